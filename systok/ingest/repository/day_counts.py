"""The daily counters (``event_day_counts``): the weekly run's input, kept as deltas.

Every change to events (insert, attribution of an alias, retraction) adds its deltas here
in the same unit of work, so the counters always equal a recount of the events.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from systok.db.kit import day_counts_t, dialect_insert
from systok.ingest.repository.chunks import chunks
from systok.ingest.schemas import CanonicalEvent

DayKey = tuple[str, int, str]
"""(member_id, day, event_type): the key of a daily counter."""


def counted_key(event: CanonicalEvent) -> DayKey | None:
    """The counter an event adds to, or None (unattributed, or a self-interaction)."""
    member = event.actor.member_id
    if member is None or (event.counterpart is not None and event.counterpart.member_id == member):
        return None
    return (member, event.occurred_day, event.event_type)


def add_day_counts(session: Session, deltas: dict[DayKey, int]) -> None:
    """Add deltas to the daily counters, in key order (one lock order for all writers).

    Increments are upserts. Decrements (retractions, a self-interaction found late)
    update an existing counter: SQLite checks ``count >= 0`` on an upsert's proposed
    row before resolving the conflict, so a negative upsert would fail even when the
    stored counter is large enough. A decrement with no counter to take from means the
    counters and the events disagree: the unit of work fails rather than hiding it.
    """
    increments = [
        {"member_id": m, "day": d, "event_type": t, "count": n}
        for (m, d, t), n in sorted(deltas.items())
        if n > 0
    ]
    if increments:
        insert = dialect_insert(session, day_counts_t)
        statement = insert.on_conflict_do_update(
            index_elements=["member_id", "day", "event_type"],
            set_={"count": day_counts_t.c.count + insert.excluded.count},
        )
        for chunk in chunks(increments):
            session.execute(statement, list(chunk))
    for (member_id, day, event_type), delta in sorted(deltas.items()):
        if delta >= 0:
            continue
        updated = session.execute(
            update(day_counts_t)
            .where(
                day_counts_t.c.member_id == member_id,
                day_counts_t.c.day == day,
                day_counts_t.c.event_type == event_type,
                day_counts_t.c.count >= -delta,
            )
            .values(count=day_counts_t.c.count + delta)
        )
        if updated.rowcount != 1:  # type: ignore[attr-defined]
            raise AssertionError(
                f"daily counter {(member_id, day, event_type)} cannot drop by {-delta}: "
                "the counters and the events disagree"
            )
