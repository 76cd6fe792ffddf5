"""Vesting grants: the frozen parts of weekly rewards, and their resolution."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from systok.db.kit import vesting_grants_t


def insert_grants(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store a run's grants (before their holds exist: ``hold_id`` is set at post)."""
    if rows:
        session.execute(insert(vesting_grants_t), rows)


def run_grants(session: Session, run_id: int) -> list[Row[Any]]:
    """A run's grants in the order they were stored."""
    return list(
        session.execute(
            select(vesting_grants_t)
            .where(vesting_grants_t.c.run_id == run_id)
            .order_by(vesting_grants_t.c.id)
        )
    )


def member_grants(session: Session, run_id: int, member_id: str) -> list[Row[Any]]:
    """One member's grants of a run, in the order they were stored."""
    return list(
        session.execute(
            select(vesting_grants_t)
            .where(vesting_grants_t.c.run_id == run_id, vesting_grants_t.c.member_id == member_id)
            .order_by(vesting_grants_t.c.id)
        )
    )


def latest_grants(session: Session, limit: int) -> list[Row[Any]]:
    """The newest grants first."""
    return list(
        session.execute(
            select(vesting_grants_t).order_by(vesting_grants_t.c.id.desc()).limit(limit)
        )
    )


def set_grant_hold(session: Session, grant_id: int, hold_id: Any) -> None:
    """Record the ledger hold that keeps a grant's units."""
    session.execute(
        update(vesting_grants_t).where(vesting_grants_t.c.id == grant_id).values(hold_id=hold_id)
    )


def flag_held_grant(session: Session, grant_id: int, reason: str) -> bool:
    """Mark a held grant as not to be released; False when no held grant has that id."""
    updated = session.execute(
        update(vesting_grants_t)
        .where(vesting_grants_t.c.id == grant_id, vesting_grants_t.c.status == "held")
        .values(flagged_reason=reason)
    )
    return bool(updated.rowcount == 1)  # type: ignore[attr-defined]


def due_grants(session: Session, now_us: int) -> list[Row[Any]]:
    """Held grants whose unlock time has come (and whose hold exists), oldest first."""
    return list(
        session.execute(
            select(vesting_grants_t)
            .where(
                vesting_grants_t.c.status == "held",
                vesting_grants_t.c.unlock_at_us <= now_us,
                vesting_grants_t.c.hold_id.is_not(None),
            )
            .order_by(vesting_grants_t.c.unlock_at_us, vesting_grants_t.c.id)
        ).all()
    )


def resolve_grant(session: Session, grant_id: int, status: str, now_us: int) -> None:
    """Record a grant's end: released to its member or cancelled back to the pool."""
    session.execute(
        update(vesting_grants_t)
        .where(vesting_grants_t.c.id == grant_id)
        .values(status=status, resolved_at_us=now_us)
    )
