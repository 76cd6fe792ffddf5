"""Holds: inserting, reading (locked or not) and resolving them, finding the due ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Row, Subquery, or_, select, update
from sqlalchemy.orm import Session, aliased

from systok.core.ledger import HoldStatus
from systok.db.kit import accounts_t, holds_t, transactions_t
from systok.ledger.repository.accounts import ref_of
from systok.ledger.schemas import StoredHold


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
        debit=ref_of(row.d_type, row.d_owner, row.d_asset),
        credit=ref_of(row.c_type, row.c_owner, row.c_asset),
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


def holds_pending_at(end_us: int) -> Subquery:
    """The holds as they stood at ``end_us``: (``account_id`` debited, ``amount_units``).

    A hold is pending at a moment when its entry was written before it and it was not
    resolved (posted, voided, expired) before it. The quarterly snapshot, the health
    inputs and the report all read holds this way, so "frozen at the close" is one rule.
    """
    created, resolved = aliased(transactions_t), aliased(transactions_t)
    return (
        select(holds_t.c.debit_account_id.label("account_id"), holds_t.c.amount_units)
        .select_from(holds_t)
        .join(created, created.c.id == holds_t.c.created_transaction_id)
        .outerjoin(resolved, resolved.c.id == holds_t.c.resolved_transaction_id)
        .where(
            created.c.created_at_us < end_us,
            or_(resolved.c.id.is_(None), resolved.c.created_at_us >= end_us),
        )
        .subquery("pending_holds")
    )
