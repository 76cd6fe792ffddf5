"""Many plain transactions in a handful of set-based statements (PostgreSQL only).

The weekly post writes 100 000 reward postings in 50 transactions. Called once per
transaction, ``systok_post_transaction`` spent its time per posting (a lookup, an
account insert, an UPDATE of a fresh row, an index probe each); here the lines are
COPied into a staging table and each step is one statement over all of them (ADR
0043). The steps and their lock order are the function's: accounts in id order
(opening the missing ones), then the lanes of the hash chain in lane order.

Every function here leaves the decision to its caller (``systok.ledger.bulk``): a step
that finds something unusual (a used key, a refusal, a concurrent writer) says so and
the caller rolls its savepoint back and posts the transactions one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from systok.core.amount import UNITS_MAX
from systok.core.ledger import BALANCE_UNITS_MIN, AccountType, EntryKind
from systok.db.kit import chain_head_t, chain_links_t, dialect_insert, transactions_t

LINES = "systok_bulk_lines"
"""Staging: one row per posting, (entry, type, owner, asset, amount); entry is the
transaction's index in the batch."""
TOUCHED = "systok_bulk_accounts"
"""Per account of the batch: the lowest and highest running sum of its postings in
entry order, the net, and the account as locked (id NULL: not opened yet)."""


def _cursor(session: Session) -> Any:
    return session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]


SORT_MEMORY = "64MB"
"""``work_mem`` while a batch runs: its sorts and hashes of 100 000 lines (about 10 MB
each) stay in memory instead of spilling to disk at the server's default 4 MB."""


def sort_memory(session: Session, value: str | None = None) -> str:
    """Set ``work_mem`` for the rest of the transaction (``SORT_MEMORY`` by default);
    returns the value it replaced, to put back when the batch is done."""
    return cast(
        str,
        session.execute(
            text("SELECT current_setting('work_mem'), set_config('work_mem', :value, true)"),
            {"value": value or SORT_MEMORY},
        ).one()[0],
    )


def stage_lines(session: Session, lines: Iterable[tuple[int, str, str, str, int]]) -> None:
    """COPY the batch's postings into the staging table (dropped at commit)."""
    with _cursor(session) as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {LINES} (entry integer NOT NULL, "
            "type text NOT NULL, owner text NOT NULL, asset text NOT NULL, "
            "amount bigint NOT NULL) ON COMMIT DROP"
        )
        cursor.execute(f"TRUNCATE {LINES}")
        with cursor.copy(f"COPY {LINES} (entry, type, owner, asset, amount) FROM STDIN") as copy:
            for line in lines:
                copy.write_row(line)
        # Exact row counts for the planner: a small batch probes indexes, a big one joins.
        cursor.execute(f"ANALYZE {LINES}")


def used_keys(session: Session, keys: Sequence[str]) -> int:
    """How many of ``keys`` the journal holds already."""
    return cast(
        int,
        session.execute(
            text("SELECT count(*) FROM transactions WHERE idempotency_key = ANY(:keys)"),
            {"keys": list(keys)},
        ).scalar_one(),
    )


_LOCK_AND_CHECK = f"""
INSERT INTO {TOUCHED} (type, owner, asset, lowest, highest, net, account_id, fits)
WITH wanted AS (
    SELECT type, owner, asset, min(upto) AS lowest, max(upto) AS highest, sum(amount) AS net
    FROM (SELECT type, owner, asset, amount,
                 sum(amount) OVER (PARTITION BY type, owner, asset ORDER BY entry) AS upto
          FROM {LINES}) running
    GROUP BY type, owner, asset
), locked AS (
    SELECT a.id, a.type, a.owner, a.asset, a.allow_negative, a.posted_units, a.held_units
    FROM accounts a
    WHERE (a.type, a.owner, a.asset) IN (SELECT type, owner, asset FROM wanted)
    ORDER BY a.id
    FOR UPDATE OF a
)
SELECT w.type, w.owner, w.asset, w.lowest, w.highest, w.net, l.id,
       CASE WHEN l.id IS NULL
            THEN (w.type = '{AccountType.WORLD.value}' OR w.lowest >= 0)
                 AND w.lowest >= {BALANCE_UNITS_MIN} AND w.highest <= {UNITS_MAX}
            ELSE (l.allow_negative OR l.posted_units - l.held_units + w.lowest >= 0)
                 AND l.posted_units + w.lowest >= {BALANCE_UNITS_MIN}
                 AND l.posted_units + w.highest <= {UNITS_MAX}
       END
FROM wanted w
LEFT JOIN locked l ON l.type = w.type AND l.owner = w.owner AND l.asset = w.asset
"""


def lock_and_check(session: Session) -> tuple[int, int, bool]:
    """Lock the batch's opened accounts in id order and check every running balance.

    Each account's postings are summed in entry order, so a debit is checked against
    what the earlier transactions of the batch left, as posting them one by one
    would. Returns (accounts touched, of which not opened yet, whether all fit).
    """
    with _cursor(session) as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {TOUCHED} (type text, owner text, asset text, "
            "lowest numeric, highest numeric, net numeric, account_id bigint, fits boolean) "
            "ON COMMIT DROP"
        )
        cursor.execute(f"TRUNCATE {TOUCHED}")
        cursor.execute(_LOCK_AND_CHECK)
        cursor.execute(
            f"SELECT count(*), count(*) - count(account_id), coalesce(bool_and(fits), true) "
            f"FROM {TOUCHED}"
        )
        touched, new, fits = cursor.fetchone()
    return int(touched), int(new), bool(fits)


def claim_entries(session: Session, entries: Sequence[dict[str, object]]) -> list[int]:
    """Insert the entry rows in batch order; their ids in that order (fewer ids than
    entries: a key was claimed meanwhile)."""
    rows = [{**entry, "kind": EntryKind.TRANSACTION.value, "hold_id": None} for entry in entries]
    result = session.execute(
        dialect_insert(session, transactions_t)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(transactions_t.c.id, transactions_t.c.idempotency_key)
    ).all()
    by_key = {key: entry_id for entry_id, key in result}
    return [by_key[str(e["idempotency_key"])] for e in entries if e["idempotency_key"] in by_key]


def open_accounts(session: Session, created_at_us: int) -> int:
    """Open the batch's new accounts at their net (their only postings are this
    batch's, so no UPDATE follows), in natural-key order as the function opens them.
    No ON CONFLICT clause (speculative insertion costs a third of the insert): an
    account a writer opened meanwhile raises IntegrityError, as an unknown asset does,
    and the caller takes the one-by-one path. Returns how many were opened."""
    result = session.execute(
        text(
            "INSERT INTO accounts (type, owner, asset, allow_negative, posted_units, "
            "held_units, created_at_us) "
            f"SELECT t.type, t.owner, t.asset, t.type = '{AccountType.WORLD.value}', "
            f"t.net, 0, :created_at_us FROM {TOUCHED} t WHERE t.account_id IS NULL "
            "ORDER BY t.type, t.owner, t.asset"
        ),
        {"created_at_us": created_at_us},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def write_postings(session: Session, entry_ids: Sequence[int]) -> None:
    """The postings (entry index → its id; account by natural key) and the balances
    of the accounts opened before the batch (one UPDATE, the net per account)."""
    session.execute(
        text(
            "INSERT INTO postings (transaction_id, account_id, amount_units) "
            f"SELECT (CAST(:ids AS bigint[]))[l.entry + 1], a.id, l.amount FROM {LINES} l "
            "JOIN accounts a ON a.type = l.type AND a.owner = l.owner AND a.asset = l.asset "
            "ORDER BY 1, 2"
        ),
        {"ids": list(entry_ids)},
    )
    session.execute(
        text(
            f"UPDATE accounts a SET posted_units = a.posted_units + t.net::bigint "
            f"FROM {TOUCHED} t WHERE a.id = t.account_id AND t.net <> 0"
        )
    )


def lock_lanes(session: Session, lanes: Iterable[int]) -> dict[int, tuple[int, bytes]]:
    """Lock the chain heads of ``lanes`` in lane order: (seq, hash) by lane."""
    rows = session.execute(
        select(chain_head_t.c.id, chain_head_t.c.seq, chain_head_t.c.hash)
        .where(chain_head_t.c.id.in_(sorted(set(lanes))))
        .order_by(chain_head_t.c.id)
        .with_for_update()
    ).all()
    return {row.id: (row.seq, row.hash) for row in rows}


_MOVE_HEAD = (
    chain_head_t.update()
    .where(chain_head_t.c.id == bindparam("lane"))
    .values(seq=bindparam("seq"), hash=bindparam("hash"))
)


def link_entries(
    session: Session,
    links: Sequence[tuple[int, int, int, bytes]],
    heads: dict[int, tuple[int, bytes]],
) -> None:
    """Write the chain links (lane, seq, entry id, hash) and move the lanes' heads."""
    connection = session.connection()
    connection.execute(
        chain_links_t.insert(),
        [
            {"lane": lane, "seq": seq, "transaction_id": tid, "hash": h}
            for lane, seq, tid, h in links
        ],
    )
    connection.execute(
        _MOVE_HEAD, [{"lane": lane, "seq": seq, "hash": h} for lane, (seq, h) in heads.items()]
    )
