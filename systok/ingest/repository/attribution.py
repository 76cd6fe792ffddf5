"""Events waiting for an alias, and attributing them once the alias is linked."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from systok.db.kit import events_t
from systok.ingest.repository.chunks import chunks
from systok.ingest.repository.day_counts import DayKey, add_day_counts
from systok.ingest.schemas import WaitingAlias

_SIDES = (
    (events_t.c.actor_source, events_t.c.actor_alias, events_t.c.member_id),
    (events_t.c.counterpart_source, events_t.c.counterpart_alias, events_t.c.counterpart_member_id),
)
"""(source, alias, member) columns of an event's two parties: actor, then counterpart."""


def unattributed_aliases(session: Session, source: str | None = None) -> list[WaitingAlias]:
    """Aliases with events waiting for them (actor or counterpart), most events first."""
    sides: dict[tuple[str, str], list[int]] = {}
    for index, (source_column, alias_column, member_column) in enumerate(_SIDES):
        statement = (
            select(
                source_column,
                alias_column,
                func.count(),
                func.min(events_t.c.received_at_us),
                func.max(events_t.c.received_at_us),
            )
            .where(member_column.is_(None), alias_column.is_not(None))
            .group_by(source_column, alias_column)
        )
        if source is not None:
            statement = statement.where(source_column == source)
        for alias_source, alias, count, first, last in session.execute(statement):
            entry = sides.setdefault((alias_source, alias), [0, 0, first, last])
            entry[index] += int(count)
            entry[2], entry[3] = min(entry[2], first), max(entry[3], last)
    waiting = [
        WaitingAlias(source, alias, actor, counterpart, first, last)
        for (source, alias), (actor, counterpart, first, last) in sides.items()
    ]
    return sorted(waiting, key=lambda w: (-w.events, w.source, w.alias))


def aliases_with_waiting_events(
    session: Session, pairs: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which of these aliases have events waiting to be attributed (as actor or giver)."""
    wanted = sorted(set(pairs))
    waiting: set[tuple[str, str]] = set()
    for chunk in chunks(wanted):
        for source_column, alias_column, member_column in _SIDES:
            rows = session.execute(
                select(source_column, alias_column)
                .where(tuple_(source_column, alias_column).in_(chunk), member_column.is_(None))
                .distinct()
            )
            waiting.update((source, alias) for source, alias in rows)
    return waiting


def attribute_events(session: Session, source: str, alias: str, member_id: str) -> int:
    """Give waiting events of an alias (as actor or counterpart) to its member.

    The daily counters follow in the same unit of work: an event gained as actor
    counts (unless retracted or a self-interaction); an event whose giver turns out to
    be its receiver stops counting.
    """
    deltas: dict[DayKey, int] = {}
    as_actor = session.execute(
        update(events_t)
        .where(
            events_t.c.actor_source == source,
            events_t.c.actor_alias == alias,
            events_t.c.member_id.is_(None),
        )
        .values(member_id=member_id)
        .returning(
            events_t.c.occurred_day,
            events_t.c.event_type,
            events_t.c.counterpart_member_id,
            events_t.c.retracted_at_us,
        )
    ).all()
    for row in as_actor:
        if row.retracted_at_us is None and row.counterpart_member_id != member_id:
            key = (member_id, row.occurred_day, row.event_type)
            deltas[key] = deltas.get(key, 0) + 1
    as_counterpart = session.execute(
        update(events_t)
        .where(
            events_t.c.counterpart_source == source,
            events_t.c.counterpart_alias == alias,
            events_t.c.counterpart_member_id.is_(None),
        )
        .values(counterpart_member_id=member_id)
        .returning(
            events_t.c.member_id,
            events_t.c.occurred_day,
            events_t.c.event_type,
            events_t.c.retracted_at_us,
        )
    ).all()
    for row in as_counterpart:
        if row.retracted_at_us is None and row.member_id == member_id:  # a self-interaction
            key = (member_id, row.occurred_day, row.event_type)
            deltas[key] = deltas.get(key, 0) - 1
    add_day_counts(session, deltas)
    return len(as_actor) + len(as_counterpart)
