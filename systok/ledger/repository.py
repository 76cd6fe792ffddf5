"""All SQL of the ledger. Functions take the session of the caller's unit of work.

Lock order, the same for every operation: a hold row (hold steps only), then accounts
in ascending id, then the chain head. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, func, select, tuple_, update
from sqlalchemy.orm import Session

from systok.core.ledger import (
    AccountRef,
    AccountType,
    EntryKind,
    HoldStatus,
    chain_hash,
    chain_lane,
)
from systok.db.kit import (
    accounts_t,
    assets_t,
    chain_head_t,
    chain_links_t,
    dialect_insert,
    holds_t,
    postings_t,
    transactions_t,
)


@dataclass(frozen=True)
class LockedAccount:
    """An account row read under its row lock."""

    id: int
    ref: AccountRef
    allow_negative: bool
    posted_units: int
    held_units: int

    @property
    def available_units(self) -> int:
        return self.posted_units - self.held_units


@dataclass(frozen=True)
class StoredTransaction:
    """A journal entry as stored, with its postings named by account."""

    id: int
    idempotency_key: str
    kind: str
    code: str
    reference: str
    hold_id: int | None
    digest: bytes
    created_at_us: int
    chain_seq: int | None
    hash: bytes | None
    postings: tuple[tuple[AccountRef, int], ...]


@dataclass(frozen=True)
class StoredHold:
    """A hold row with its accounts named."""

    id: int
    debit: AccountRef
    credit: AccountRef
    debit_account_id: int
    credit_account_id: int
    amount_units: int
    posted_units: int
    status: HoldStatus
    expires_at_us: int | None
    code: str
    created_transaction_id: int
    resolved_transaction_id: int | None


def named_postings() -> Any:
    """Postings with their account's natural key: (transaction_id, type, owner, asset, amount)."""
    return select(
        postings_t.c.transaction_id,
        accounts_t.c.type,
        accounts_t.c.owner,
        accounts_t.c.asset,
        postings_t.c.amount_units,
    ).join(accounts_t, accounts_t.c.id == postings_t.c.account_id)


def _ref(row: tuple[str, str, str]) -> AccountRef:
    account_type, owner, asset = row
    return AccountRef(AccountType(account_type), asset, owner)


# --- assets ---------------------------------------------------------------------------


def asset_scales(session: Session) -> dict[str, int]:
    """Every asset the ledger knows, with its scale."""
    return {
        code: scale for code, scale in session.execute(select(assets_t.c.code, assets_t.c.scale))
    }


def insert_asset(session: Session, code: str, scale: int) -> None:
    """Register an asset (the caller checked it is new)."""
    session.execute(assets_t.insert().values(code=code, scale=scale))


# --- journal entries ------------------------------------------------------------------


def claim_entry(
    session: Session,
    *,
    idempotency_key: str,
    kind: EntryKind,
    code: str,
    reference: str,
    digest: bytes,
    created_at_us: int,
    hold_id: int | None = None,
) -> int | None:
    """Insert the entry row, claiming its idempotency key; None if the key is taken."""
    statement = (
        dialect_insert(session, transactions_t)
        .values(
            idempotency_key=idempotency_key,
            kind=kind.value,
            code=code,
            reference=reference,
            digest=digest,
            created_at_us=created_at_us,
            hold_id=hold_id,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(transactions_t.c.id)
    )
    return session.execute(statement).scalar_one_or_none()


def seal_entry(session: Session, transaction_id: int, created_at_us: int, digest: bytes) -> int:
    """Link the entry into its lane of the hash chain, under the lane head's lock.

    Returns the entry's sequence number in its lane.
    """
    lane = chain_lane(transaction_id)
    head = session.execute(
        select(chain_head_t.c.seq, chain_head_t.c.hash)
        .where(chain_head_t.c.id == lane)
        .with_for_update()
    ).one()
    seq: int = head.seq + 1
    entry_hash = chain_hash(head.hash, seq, created_at_us, digest)
    session.execute(
        update(chain_head_t).where(chain_head_t.c.id == lane).values(seq=seq, hash=entry_hash)
    )
    session.execute(
        chain_links_t.insert().values(
            lane=lane, seq=seq, transaction_id=transaction_id, hash=entry_hash
        )
    )
    return seq


def find_entry(session: Session, *, idempotency_key: str) -> StoredTransaction | None:
    """The entry stored under an idempotency key, with its postings."""
    row = session.execute(
        _entry_query().where(transactions_t.c.idempotency_key == idempotency_key)
    ).one_or_none()
    return None if row is None else _stored(session, row)


def _entry_query() -> Any:
    created_hold = holds_t.alias("created_hold")
    return (
        select(
            transactions_t,
            chain_links_t.c.seq.label("chain_seq"),
            chain_links_t.c.hash.label("chain_hash"),
            func.coalesce(transactions_t.c.hold_id, created_hold.c.id).label("any_hold_id"),
        )
        .outerjoin(chain_links_t, chain_links_t.c.transaction_id == transactions_t.c.id)
        .outerjoin(created_hold, created_hold.c.created_transaction_id == transactions_t.c.id)
    )


def _stored(session: Session, row: Row[Any]) -> StoredTransaction:
    postings = session.execute(
        select(accounts_t.c.type, accounts_t.c.owner, accounts_t.c.asset, postings_t.c.amount_units)
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .where(postings_t.c.transaction_id == row.id)
    ).all()
    return StoredTransaction(
        id=row.id,
        idempotency_key=row.idempotency_key,
        kind=row.kind,
        code=row.code,
        reference=row.reference,
        hold_id=row.any_hold_id,
        digest=row.digest,
        created_at_us=row.created_at_us,
        chain_seq=row.chain_seq,
        hash=row.chain_hash,
        postings=tuple(
            sorted((_ref((p.type, p.owner, p.asset)), p.amount_units) for p in postings)
        ),
    )


def insert_postings(
    session: Session, transaction_id: int, lines: Sequence[tuple[int, int]]
) -> None:
    """Write postings as (account id, signed amount) lines."""
    session.execute(
        postings_t.insert(),
        [
            {"transaction_id": transaction_id, "account_id": account_id, "amount_units": amount}
            for account_id, amount in lines
        ],
    )


# --- accounts -------------------------------------------------------------------------


def lock_accounts(
    session: Session, refs: Iterable[AccountRef], created_at_us: int
) -> dict[AccountRef, LockedAccount]:
    """Lock the accounts in id order, opening the missing ones first."""
    wanted = sorted(set(refs))
    locked = lock_existing(session, wanted)
    if len(locked) < len(wanted):
        open_accounts(session, [ref for ref in wanted if ref not in locked], created_at_us)
        locked = lock_existing(session, wanted)
    assert len(locked) == len(wanted), "every account was opened"
    return locked


def lock_existing(session: Session, refs: Iterable[AccountRef]) -> dict[AccountRef, LockedAccount]:
    """Lock those of the accounts that exist, in id order; the missing ones are absent."""
    return _select_locked(session, sorted(set(refs)))


def open_accounts(session: Session, refs: Sequence[AccountRef], created_at_us: int) -> None:
    """Open accounts with zero balances (no-op for those that exist meanwhile).

    Inserted in (type, owner, asset) order, the order the PostgreSQL function uses, so
    two writers opening the same accounts queue instead of deadlocking.
    """
    if not refs:
        return
    ordered = sorted(set(refs), key=lambda ref: (ref.type.value, ref.owner, ref.asset))
    # One cached statement executed for many rows, not a VALUES list compiled anew for
    # each size (compiling 2 000-row VALUES lists was most of a weekly post on SQLite).
    session.connection().execute(
        dialect_insert(session, accounts_t).on_conflict_do_nothing(
            index_elements=["type", "owner", "asset"]
        ),
        [
            {
                "type": ref.type.value,
                "owner": ref.owner,
                "asset": ref.asset,
                "allow_negative": ref.allow_negative,
                "posted_units": 0,
                "held_units": 0,
                "created_at_us": created_at_us,
            }
            for ref in ordered
        ],
    )


def _select_locked(session: Session, refs: Sequence[AccountRef]) -> dict[AccountRef, LockedAccount]:
    keys = [(ref.type.value, ref.owner, ref.asset) for ref in refs]
    rows = session.execute(
        select(
            accounts_t.c.id,
            accounts_t.c.type,
            accounts_t.c.owner,
            accounts_t.c.asset,
            accounts_t.c.allow_negative,
            accounts_t.c.posted_units,
            accounts_t.c.held_units,
        )
        .where(tuple_(accounts_t.c.type, accounts_t.c.owner, accounts_t.c.asset).in_(keys))
        .order_by(accounts_t.c.id)
        .with_for_update()
    ).all()
    result = {}
    for row in rows:
        ref = _ref((row.type, row.owner, row.asset))
        result[ref] = LockedAccount(
            row.id, ref, row.allow_negative, row.posted_units, row.held_units
        )
    return result


_ADD_TO_BALANCE = (
    update(accounts_t)
    .where(accounts_t.c.id == bindparam("account_id"))
    .values(
        posted_units=accounts_t.c.posted_units + bindparam("posted_delta"),
        held_units=accounts_t.c.held_units + bindparam("held_delta"),
    )
)


def add_to_balances(session: Session, deltas: Sequence[tuple[int, int, int]]) -> None:
    """Apply (account id, posted delta, held delta) to locked accounts (one executemany)."""
    if not deltas:
        return
    session.connection().execute(
        _ADD_TO_BALANCE,
        [{"account_id": a, "posted_delta": p, "held_delta": h} for a, p, h in deltas],
    )


def read_balance(session: Session, ref: AccountRef) -> tuple[int, int] | None:
    """(posted, held) of an account, or None if it was never opened."""
    row = session.execute(
        select(accounts_t.c.posted_units, accounts_t.c.held_units).where(
            accounts_t.c.type == ref.type.value,
            accounts_t.c.owner == ref.owner,
            accounts_t.c.asset == ref.asset,
        )
    ).one_or_none()
    return None if row is None else (row.posted_units, row.held_units)


def list_balances(session: Session, asset: str | None = None) -> list[tuple[AccountRef, int, int]]:
    """Every account with (posted, held), ordered by name."""
    statement = select(
        accounts_t.c.type,
        accounts_t.c.owner,
        accounts_t.c.asset,
        accounts_t.c.posted_units,
        accounts_t.c.held_units,
    ).order_by(accounts_t.c.asset, accounts_t.c.type, accounts_t.c.owner)
    if asset is not None:
        statement = statement.where(accounts_t.c.asset == asset)
    return [
        (_ref((r.type, r.owner, r.asset)), r.posted_units, r.held_units)
        for r in session.execute(statement)
    ]


# --- holds ----------------------------------------------------------------------------


def insert_hold(
    session: Session,
    *,
    debit_account_id: int,
    credit_account_id: int,
    amount_units: int,
    expires_at_us: int | None,
    created_transaction_id: int,
) -> int:
    """Insert a pending hold; returns its id."""
    hold_id: int = session.execute(
        holds_t.insert()
        .values(
            debit_account_id=debit_account_id,
            credit_account_id=credit_account_id,
            amount_units=amount_units,
            posted_units=0,
            status=HoldStatus.PENDING.value,
            expires_at_us=expires_at_us,
            created_transaction_id=created_transaction_id,
        )
        .returning(holds_t.c.id)
    ).scalar_one()
    return hold_id


def _hold_query(lock: bool) -> Any:
    debit = accounts_t.alias("debit")
    credit = accounts_t.alias("credit")
    statement = (
        select(
            holds_t,
            debit.c.type.label("d_type"),
            debit.c.owner.label("d_owner"),
            debit.c.asset.label("d_asset"),
            credit.c.type.label("c_type"),
            credit.c.owner.label("c_owner"),
            credit.c.asset.label("c_asset"),
            transactions_t.c.code,
        )
        .join(debit, debit.c.id == holds_t.c.debit_account_id)
        .join(credit, credit.c.id == holds_t.c.credit_account_id)
        .join(transactions_t, transactions_t.c.id == holds_t.c.created_transaction_id)
    )
    return statement.with_for_update(of=holds_t) if lock else statement


def _stored_hold(row: Row[Any]) -> StoredHold:
    return StoredHold(
        id=row.id,
        debit=_ref((row.d_type, row.d_owner, row.d_asset)),
        credit=_ref((row.c_type, row.c_owner, row.c_asset)),
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount_units=row.amount_units,
        posted_units=row.posted_units,
        status=HoldStatus(row.status),
        expires_at_us=row.expires_at_us,
        code=row.code,
        created_transaction_id=row.created_transaction_id,
        resolved_transaction_id=row.resolved_transaction_id,
    )


def lock_hold(session: Session, hold_id: int) -> StoredHold | None:
    """Read a hold under its row lock."""
    row = session.execute(_hold_query(lock=True).where(holds_t.c.id == hold_id)).one_or_none()
    return None if row is None else _stored_hold(row)


def get_hold(session: Session, hold_id: int) -> StoredHold | None:
    """Read a hold without locking it."""
    row = session.execute(_hold_query(lock=False).where(holds_t.c.id == hold_id)).one_or_none()
    return None if row is None else _stored_hold(row)


def iter_holds(session: Session) -> Iterator[StoredHold]:
    """Every hold, by id (for the audit)."""
    for row in session.execute(_hold_query(lock=False).order_by(holds_t.c.id)):
        yield _stored_hold(row)


def resolve_hold(
    session: Session, hold_id: int, status: HoldStatus, posted_units: int, transaction_id: int
) -> None:
    """Record how a pending hold ended."""
    session.execute(
        update(holds_t)
        .where(holds_t.c.id == hold_id, holds_t.c.status == HoldStatus.PENDING.value)
        .values(
            status=status.value, posted_units=posted_units, resolved_transaction_id=transaction_id
        )
    )


def due_hold_ids(session: Session, now_us: int, limit: int) -> list[int]:
    """Pending holds whose expiry has passed, oldest first."""
    return list(
        session.execute(
            select(holds_t.c.id)
            .where(
                holds_t.c.status == HoldStatus.PENDING.value,
                holds_t.c.expires_at_us.is_not(None),
                holds_t.c.expires_at_us <= now_us,
            )
            .order_by(holds_t.c.expires_at_us, holds_t.c.id)
            .limit(limit)
        ).scalars()
    )


def lane_heads(session: Session) -> list[tuple[int, int, bytes]]:
    """(lane, seq, hash) of every lane head, by lane."""
    return [
        (row.id, row.seq, row.hash)
        for row in session.execute(
            select(chain_head_t.c.id, chain_head_t.c.seq, chain_head_t.c.hash).order_by(
                chain_head_t.c.id
            )
        )
    ]
