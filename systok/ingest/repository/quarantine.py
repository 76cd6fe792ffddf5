"""The quarantine: refused records (to fix and retry), conflicts and dismissals, all kept."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from systok.db.kit import quarantine_t
from systok.ingest.repository.chunks import chunks
from systok.ingest.schemas import MEMBERS_SOURCE

QUARANTINE_FIELD_LENGTH_MAX = 64

DISMISSABLE_STATUSES = ("open", "conflict")
"""Quarantine rows an operator may dismiss: open ones (never to be fixed) and conflicts
(seen and settled). Accepted and duplicate rows are done already."""


def keep_in_quarantine(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Keep refused records; a field name longer than its column (a location inside an
    input's own keys) is shortened, so PostgreSQL stores what SQLite does."""
    if not rows:
        return []
    limit = QUARANTINE_FIELD_LENGTH_MAX
    rows = [
        row | {"field": row["field"][: limit - 1] + "…"}
        if row.get("field") and len(row["field"]) > limit
        else row
        for row in rows
    ]
    result = session.execute(quarantine_t.insert().returning(quarantine_t.c.id), list(rows))
    return list(result.scalars())


def quarantine_rows(
    session: Session, *, status: str, limit: int, source: str | None = None
) -> list[Any]:
    """Quarantine rows of one status, oldest first (``open``: to fix and retry;
    ``conflict`` and ``dismissed``: kept, never retried)."""
    statement = (
        select(quarantine_t)
        .where(quarantine_t.c.status == status)
        .order_by(quarantine_t.c.id)
        .limit(limit)
    )
    if source is not None:
        statement = statement.where(quarantine_t.c.source == source)
    return list(session.execute(statement))


def resolve_quarantined(session: Session, row_id: int, status: str, event_id: int | None) -> None:
    session.execute(
        update(quarantine_t)
        .where(quarantine_t.c.id == row_id)
        .values(status=status, event_id=event_id, attempts=quarantine_t.c.attempts + 1)
    )


def refuse_again(session: Session, row_id: int, field: str | None, reason: str) -> None:
    session.execute(
        update(quarantine_t)
        .where(quarantine_t.c.id == row_id)
        .values(field=field, reason=reason, attempts=quarantine_t.c.attempts + 1)
    )


def quarantine_row(session: Session, row_id: int) -> Any | None:
    return session.execute(select(quarantine_t).where(quarantine_t.c.id == row_id)).one_or_none()


def dismiss_quarantined(session: Session, row_id: int, reason: str, now_us: int) -> bool:
    """Close an open or conflict row as ``dismissed`` with the reason; False if it was not
    dismissable (the caller reads the row to say why). The row is kept and counted."""
    result = session.execute(
        update(quarantine_t)
        .where(quarantine_t.c.id == row_id, quarantine_t.c.status.in_(DISMISSABLE_STATUSES))
        .values(status="dismissed", dismissed_at_us=now_us, dismissed_reason=reason)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def quarantine_counts(session: Session, source: str | None = None) -> dict[str, int]:
    """How many quarantine rows each status has (every status, 0 when none)."""
    statement = select(quarantine_t.c.status, func.count()).group_by(quarantine_t.c.status)
    if source is not None:
        statement = statement.where(quarantine_t.c.source == source)
    counts = dict.fromkeys(("open", "conflict", "dismissed", "accepted", "duplicate"), 0)
    counts.update({status: int(n) for status, n in session.execute(statement)})
    return counts


def resolve_open_member_lines(session: Session, member_id: str) -> None:
    """A member line imported cleanly settles that member's earlier refused lines."""
    session.execute(
        update(quarantine_t)
        .where(
            quarantine_t.c.source == MEMBERS_SOURCE,
            quarantine_t.c.source_event_id == member_id,
            quarantine_t.c.status == "open",
        )
        .values(status="accepted")
    )


def members_with_open_lines(session: Session, member_ids: Iterable[str]) -> set[str]:
    """Members that have refused lines still open in the quarantine."""
    wanted = sorted(set(member_ids))
    found: set[str] = set()
    for chunk in chunks(wanted):
        found.update(
            session.execute(
                select(quarantine_t.c.source_event_id).where(
                    quarantine_t.c.source == MEMBERS_SOURCE,
                    quarantine_t.c.status == "open",
                    quarantine_t.c.source_event_id.in_(chunk),
                )
            ).scalars()
        )
    return found
