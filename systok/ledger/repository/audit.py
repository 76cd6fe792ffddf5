"""The audit's reads: set-based checks as SQL, and the journal in chain order by batches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select, tuple_
from sqlalchemy.orm import Session

from systok.core.ledger import AccountRef, AccountType, EntryKind, HoldStatus
from systok.db.kit import accounts_t, chain_links_t, holds_t, postings_t, transactions_t
from systok.ledger.repository.accounts import ref_of
from systok.ledger.repository.journal import named_postings
from systok.ledger.schemas import AccountTotals, AssetSupply, ChainedEntry


def unbalanced_transactions(session: Session, limit: int) -> list[tuple[int, str, int]]:
    """(transaction id, asset, sum) of postings that do not sum to zero per asset."""
    rows = session.execute(
        select(postings_t.c.transaction_id, accounts_t.c.asset, func.sum(postings_t.c.amount_units))
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .group_by(postings_t.c.transaction_id, accounts_t.c.asset)
        .having(func.sum(postings_t.c.amount_units) != 0)
        .limit(limit)
    )
    return [(transaction_id, asset, total) for transaction_id, asset, total in rows]


def entries_with_postings_except(
    session: Session, kinds: Iterable[EntryKind], limit: int
) -> list[tuple[int, str]]:
    """(id, kind) of entries that carry postings although their kind is not in ``kinds``."""
    rows = session.execute(
        select(transactions_t.c.id, transactions_t.c.kind)
        .join(postings_t, postings_t.c.transaction_id == transactions_t.c.id)
        .where(transactions_t.c.kind.not_in([kind.value for kind in kinds]))
        .distinct()
        .limit(limit)
    )
    return [(transaction_id, kind) for transaction_id, kind in rows]


def account_totals(session: Session) -> Iterator[AccountTotals]:
    """Every account, by id, with the sum of its postings and of its pending holds."""
    posted_sums = (
        select(postings_t.c.account_id, func.sum(postings_t.c.amount_units).label("total"))
        .group_by(postings_t.c.account_id)
        .subquery()
    )
    pending_sums = (
        select(holds_t.c.debit_account_id, func.sum(holds_t.c.amount_units).label("total"))
        .where(holds_t.c.status == HoldStatus.PENDING.value)
        .group_by(holds_t.c.debit_account_id)
        .subquery()
    )
    rows = session.execute(
        select(
            accounts_t.c.type,
            accounts_t.c.owner,
            accounts_t.c.asset,
            accounts_t.c.allow_negative,
            accounts_t.c.posted_units,
            accounts_t.c.held_units,
            func.coalesce(posted_sums.c.total, 0).label("posted_sum"),
            func.coalesce(pending_sums.c.total, 0).label("held_sum"),
        )
        .outerjoin(posted_sums, posted_sums.c.account_id == accounts_t.c.id)
        .outerjoin(pending_sums, pending_sums.c.debit_account_id == accounts_t.c.id)
        .order_by(accounts_t.c.id)
    )
    for row in rows:
        yield AccountTotals(
            ref=ref_of(row.type, row.owner, row.asset),
            allow_negative=row.allow_negative,
            posted_units=row.posted_units,
            held_units=row.held_units,
            postings_sum_units=row.posted_sum,
            pending_holds_sum_units=row.held_sum,
        )


def postings_of_kind(session: Session, kind: EntryKind) -> dict[int, dict[AccountRef, int]]:
    """The postings of every entry of ``kind``, by entry id."""
    lines: dict[int, dict[AccountRef, int]] = defaultdict(dict)
    rows = session.execute(
        named_postings()
        .join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        .where(transactions_t.c.kind == kind.value)
    )
    for row in rows:
        lines[row.transaction_id][ref_of(row.type, row.owner, row.asset)] = row.amount_units
    return lines


def entries_of_kinds(
    session: Session, kinds: Iterable[EntryKind]
) -> dict[int, tuple[str, int | None]]:
    """(kind, hold id) of every entry of the given kinds, by entry id."""
    rows = session.execute(
        select(transactions_t.c.id, transactions_t.c.kind, transactions_t.c.hold_id).where(
            transactions_t.c.kind.in_([kind.value for kind in kinds])
        )
    )
    return {row.id: (row.kind, row.hold_id) for row in rows}


def hold_creating_entry_kinds(session: Session) -> dict[int, str]:
    """The kind of every entry some hold names as its creation, by entry id."""
    rows = session.execute(
        select(transactions_t.c.id, transactions_t.c.kind).join(
            holds_t, holds_t.c.created_transaction_id == transactions_t.c.id
        )
    )
    return {transaction_id: kind for transaction_id, kind in rows}


def unchained_entry_count(session: Session) -> int:
    """How many entries have no link in the hash chain."""
    count: int = session.execute(
        select(func.count())
        .select_from(transactions_t)
        .outerjoin(chain_links_t, chain_links_t.c.transaction_id == transactions_t.c.id)
        .where(chain_links_t.c.seq.is_(None))
    ).scalar_one()
    return count


def chained_entries_after(session: Session, lane: int, seq: int, limit: int) -> list[ChainedEntry]:
    """Up to ``limit`` entries in (lane, seq) order, starting after ``(lane, seq)``."""
    rows = session.execute(
        select(
            transactions_t,
            chain_links_t.c.lane,
            chain_links_t.c.seq,
            chain_links_t.c.hash.label("link_hash"),
        )
        .join(chain_links_t, chain_links_t.c.transaction_id == transactions_t.c.id)
        .where(
            tuple_(chain_links_t.c.lane, chain_links_t.c.seq) > tuple_(literal(lane), literal(seq))
        )
        .order_by(chain_links_t.c.lane, chain_links_t.c.seq)
        .limit(limit)
    )
    return [
        ChainedEntry(
            id=row.id,
            kind=row.kind,
            code=row.code,
            reference=row.reference,
            idempotency_key=row.idempotency_key,
            hold_id=row.hold_id,
            digest=row.digest,
            created_at_us=row.created_at_us,
            lane=row.lane,
            seq=row.seq,
            link_hash=row.link_hash,
        )
        for row in rows
    ]


def named_postings_of(
    session: Session, transaction_ids: list[int]
) -> dict[int, list[tuple[str, int]]]:
    """(account name, amount) of each entry's postings, by entry id."""
    postings: dict[int, list[tuple[str, int]]] = defaultdict(list)
    rows = session.execute(named_postings().where(postings_t.c.transaction_id.in_(transaction_ids)))
    for row in rows:
        postings[row.transaction_id].append(
            (ref_of(row.type, row.owner, row.asset).name, row.amount_units)
        )
    return postings


def asset_supplies(session: Session) -> list[AssetSupply]:
    """Per asset: the sum of all balances, world's balance and the burn account's."""

    def balance_of(account_type: AccountType) -> ColumnElement[Any]:
        return func.sum(
            case((accounts_t.c.type == account_type.value, accounts_t.c.posted_units), else_=0)
        )

    rows = session.execute(
        select(
            accounts_t.c.asset,
            func.sum(accounts_t.c.posted_units),
            balance_of(AccountType.WORLD),
            balance_of(AccountType.BURN),
        ).group_by(accounts_t.c.asset)
    )
    return [
        AssetSupply(asset, int(total), int(world), int(burned))
        for asset, total, world, burned in rows
    ]
