"""Events: stored once by ``(source, source_event_id)``, read back, retracted.

Every write here keeps the daily counters true in the same unit of work
(``day_counts.add_day_counts``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, or_, select, text, tuple_, update
from sqlalchemy.orm import Session

from systok.db.kit import dialect_insert, events_t
from systok.ingest.repository.chunks import chunks
from systok.ingest.repository.day_counts import DayKey, add_day_counts, counted_key
from systok.ingest.schemas import CanonicalEvent, Party

EVENT_COLUMNS = (
    "source",
    "source_event_id",
    "event_type",
    "member_id",
    "actor_source",
    "actor_alias",
    "counterpart_member_id",
    "counterpart_source",
    "counterpart_alias",
    "occurred_at_us",
    "occurred_day",
    "received_at_us",
    "retracted_at_us",
    "payload",
)


def _event_row(e: CanonicalEvent) -> tuple[Any, ...]:
    counterpart = e.counterpart
    return (
        e.source,
        e.source_event_id,
        e.event_type,
        e.actor.member_id,
        e.actor.alias_source,
        e.actor.alias,
        counterpart.member_id if counterpart else None,
        counterpart.alias_source if counterpart else None,
        counterpart.alias if counterpart else None,
        e.occurred_at_us,
        e.occurred_day,
        e.received_at_us,
        None,
        e.payload,
    )


def insert_events(session: Session, events: Sequence[CanonicalEvent]) -> dict[tuple[str, str], int]:
    """Insert events, skipping those stored already; returns the new ones' ids by key.

    The new events are added to the daily counters in the same unit of work, as
    ``attribute_events`` and ``retract_events`` do for theirs: every change to events
    keeps the counters true. Keys must be unique within ``events``.

    PostgreSQL: COPY into a temporary staging table, then one statement that inserts
    ``… ON CONFLICT DO NOTHING`` and adds the inserted rows to the counters grouped by
    key (MEASUREMENTS.md: the fastest idempotent path; a multi-row VALUES statement is
    re-parsed by the driver on every call, and one upsert per counter was a third of a
    batch's time — ADR 0048). SQLite: one cached statement executed for many rows,
    which SQLAlchemy batches itself, and the counters' deltas added from Python.
    """
    by_key = {(e.source, e.source_event_id): e for e in events}
    assert len(by_key) == len(events), "event keys are unique within one insert"
    if not events:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        return _insert_events_by_copy(session, events)
    inserted = _insert_events_by_executemany(session, events)
    deltas: dict[DayKey, int] = {}
    for key in inserted:
        counter = counted_key(by_key[key])
        if counter is not None:
            deltas[counter] = deltas.get(counter, 0) + 1
    add_day_counts(session, deltas)
    return inserted


def _insert_events_by_executemany(
    session: Session, events: Sequence[CanonicalEvent]
) -> dict[tuple[str, str], int]:
    inserted: dict[tuple[str, str], int] = {}
    statement = (
        dialect_insert(session, events_t)
        .on_conflict_do_nothing(index_elements=["source", "source_event_id"])
        .returning(events_t.c.id, events_t.c.source, events_t.c.source_event_id)
    )
    for chunk in chunks(events):
        rows = [dict(zip(EVENT_COLUMNS, _event_row(e), strict=True)) for e in chunk]
        result = session.execute(statement, rows)
        inserted.update({(r.source, r.source_event_id): r.id for r in result})
    return inserted


def _insert_events_by_copy(
    session: Session, events: Sequence[CanonicalEvent]
) -> dict[tuple[str, str], int]:
    columns = ", ".join(EVENT_COLUMNS)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS systok_events_staging ON COMMIT DROP AS "
            f"SELECT {columns} FROM events WITH NO DATA"
        )
        cursor.execute("TRUNCATE systok_events_staging")
        with cursor.copy(f"COPY systok_events_staging ({columns}) FROM STDIN") as copy:
            for event in events:
                copy.write_row(_event_row(event))
        cursor.execute(_INSERT_AND_COUNT.format(columns=columns))
        return {(source, key): event_id for event_id, source, key in cursor.fetchall()}
    finally:
        cursor.close()


_INSERT_AND_COUNT = """
WITH inserted AS (
    INSERT INTO events ({columns}) SELECT {columns} FROM systok_events_staging
    ON CONFLICT (source, source_event_id) DO NOTHING
    RETURNING id, source, source_event_id, member_id, counterpart_member_id, occurred_day,
        event_type
), counted AS (
    INSERT INTO event_day_counts AS c (member_id, day, event_type, count)
    SELECT member_id, occurred_day, event_type, count(*) FROM inserted
    WHERE member_id IS NOT NULL AND counterpart_member_id IS DISTINCT FROM member_id
    GROUP BY member_id, occurred_day, event_type
    ORDER BY member_id COLLATE "C", occurred_day, event_type COLLATE "C"
    ON CONFLICT (member_id, day, event_type) DO UPDATE SET count = c.count + excluded.count
)
SELECT id, source, source_event_id FROM inserted
"""
"""The PostgreSQL insert: new events, and their counters in the same statement.

The ``WHERE`` is ``counted_key`` (attributed, not a self-interaction) in SQL; the
counters are upserted in ``(member, day, type)`` order, code point order like the
``sorted`` of ``add_day_counts`` (``COLLATE "C"``), so every writer locks them in one
order."""


def stored_events(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, CanonicalEvent]]:
    """The stored events of these keys, by key: (event id, the event as validated)."""
    wanted = sorted(set(keys))
    found: dict[tuple[str, str], tuple[int, CanonicalEvent]] = {}
    for r in _rows_of_keys(session, wanted):
        counterpart = (
            Party(r.counterpart_member_id, r.counterpart_source, r.counterpart_alias)
            if r.counterpart_member_id is not None or r.counterpart_alias is not None
            else None
        )
        found[(r.source, r.source_event_id)] = (
            r.id,
            CanonicalEvent(
                source=r.source,
                source_event_id=r.source_event_id,
                event_type=r.event_type,
                actor=Party(r.member_id, r.actor_source, r.actor_alias),
                counterpart=counterpart,
                occurred_at_us=r.occurred_at_us,
                received_at_us=r.received_at_us,
                payload=r.payload,
            ),
        )
    return found


def _rows_of_keys(session: Session, keys: Sequence[tuple[str, str]]) -> list[Any]:
    """The events rows of these keys. PostgreSQL takes them as two arrays in one
    statement (a 10 000-event batch's repeats in one round trip, no 20 000 parameters to
    bind); SQLite in chunks of row-value ``IN`` lists."""
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.execute(
                text(
                    "SELECT * FROM events WHERE (source, source_event_id) IN "
                    "(SELECT * FROM unnest(CAST(:sources AS text[]), CAST(:ids AS text[])))"
                ),
                {"sources": [k[0] for k in keys], "ids": [k[1] for k in keys]},
            )
        )
    rows: list[Any] = []
    for chunk in chunks(keys):
        rows.extend(
            session.execute(
                select(events_t).where(
                    tuple_(events_t.c.source, events_t.c.source_event_id).in_(chunk)
                )
            )
        )
    return rows


def retract_events(session: Session, event_ids: Sequence[int], now_us: int) -> int:
    """Mark events retracted (a removed like) and take them out of the daily counters."""
    deltas: dict[DayKey, int] = {}
    retracted = 0
    for chunk in chunks(sorted(set(event_ids))):
        rows = session.execute(
            update(events_t)
            .where(events_t.c.id.in_(chunk), events_t.c.retracted_at_us.is_(None))
            .values(retracted_at_us=now_us)
            .returning(
                events_t.c.member_id,
                events_t.c.counterpart_member_id,
                events_t.c.occurred_day,
                events_t.c.event_type,
            )
        ).all()
        retracted += len(rows)
        for row in rows:
            if row.member_id is not None and row.counterpart_member_id != row.member_id:
                key = (row.member_id, row.occurred_day, row.event_type)
                deltas[key] = deltas.get(key, 0) - 1
    add_day_counts(session, deltas)
    return retracted


def unretracted_events_naming(
    session: Session,
    *,
    source: str,
    event_types: Sequence[str],
    aliases: Sequence[str],
    since_us: int,
    until_us: int,
) -> list[tuple[int, str]]:
    """``(id, source_event_id)`` of the source's unretracted events of these types that
    occurred in ``[since, until)`` and name one of these aliases of the source (as actor
    or counterpart): what a reconciliation of those people may retract."""
    rows = session.execute(
        select(events_t.c.id, events_t.c.source_event_id).where(
            events_t.c.source == source,
            events_t.c.event_type.in_(event_types),
            events_t.c.retracted_at_us.is_(None),
            events_t.c.occurred_at_us >= since_us,
            events_t.c.occurred_at_us < until_us,
            or_(
                and_(events_t.c.actor_source == source, events_t.c.actor_alias.in_(aliases)),
                and_(
                    events_t.c.counterpart_source == source,
                    events_t.c.counterpart_alias.in_(aliases),
                ),
            ),
        )
    ).all()
    return [(r.id, r.source_event_id) for r in rows]
