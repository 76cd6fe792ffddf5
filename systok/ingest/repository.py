"""All SQL of ingestion. Functions take the caller's session; nothing here commits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.orm import Session

from systok.db.kit import (
    aliases_t,
    day_counts_t,
    dialect_insert,
    events_t,
    ingest_batches_t,
    ingest_cursors_t,
    members_t,
    memberships_t,
    qualifications_t,
    quarantine_t,
)
from systok.ingest.schemas import CanonicalEvent, Party

DayKey = tuple[str, int, str]
"""(member_id, day, event_type): the key of a daily counter."""

T = TypeVar("T")

INSERT_CHUNK_ROWS = 1000
"""Rows per INSERT: 16 columns × 1000 stays under SQLite's bound-variable limit."""


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """Slices of at most INSERT_CHUNK_ROWS items (bound-variable limits, memory)."""
    for start in range(0, len(items), INSERT_CHUNK_ROWS):
        yield items[start : start + INSERT_CHUNK_ROWS]


def existing_members(session: Session, member_ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(member_ids))
    found: set[str] = set()
    for chunk in _chunks(wanted):
        found.update(
            session.execute(select(members_t.c.id).where(members_t.c.id.in_(chunk))).scalars()
        )
    return found


def linked_aliases(
    session: Session, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    wanted = sorted(set(pairs))
    found: dict[tuple[str, str], str] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(aliases_t.c.source, aliases_t.c.alias, aliases_t.c.member_id).where(
                tuple_(aliases_t.c.source, aliases_t.c.alias).in_(chunk)
            )
        )
        found.update({(r.source, r.alias): r.member_id for r in rows})
    return found


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

    PostgreSQL: COPY into a temporary staging table, then one ``INSERT … SELECT … ON
    CONFLICT DO NOTHING RETURNING`` (MEASUREMENTS.md: the fastest idempotent path; a
    multi-row VALUES statement is re-parsed by the driver on every call). SQLite: one
    cached statement executed for many rows, which SQLAlchemy batches itself.
    """
    by_key = {(e.source, e.source_event_id): e for e in events}
    assert len(by_key) == len(events), "event keys are unique within one insert"
    if not events:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        inserted = _insert_events_by_copy(session, events)
    else:
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
    for chunk in _chunks(events):
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
        cursor.execute(
            f"INSERT INTO events ({columns}) SELECT {columns} FROM systok_events_staging "
            "ON CONFLICT (source, source_event_id) DO NOTHING "
            "RETURNING id, source, source_event_id"
        )
        return {(source, key): event_id for event_id, source, key in cursor.fetchall()}
    finally:
        cursor.close()


def event_ids(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    wanted = sorted(set(keys))
    found: dict[tuple[str, str], int] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(events_t.c.id, events_t.c.source, events_t.c.source_event_id).where(
                tuple_(events_t.c.source, events_t.c.source_event_id).in_(chunk)
            )
        )
        found.update({(r.source, r.source_event_id): r.id for r in rows})
    return found


def stored_events(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, CanonicalEvent]]:
    """The stored events of these keys, by key: (event id, the event as validated)."""
    wanted = sorted(set(keys))
    found: dict[tuple[str, str], tuple[int, CanonicalEvent]] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(events_t).where(tuple_(events_t.c.source, events_t.c.source_event_id).in_(chunk))
        )
        for r in rows:
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


QUARANTINE_FIELD_LENGTH_MAX = 64


def quarantine(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
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


def record_batch(
    session: Session,
    *,
    source: str,
    received: int,
    accepted: int,
    duplicates: int,
    conflicts: int,
    quarantined: int,
    started_at_us: int,
) -> None:
    session.execute(
        ingest_batches_t.insert().values(
            source=source,
            received=received,
            accepted=accepted,
            duplicates=duplicates,
            conflicts=conflicts,
            quarantined=quarantined,
            started_at_us=started_at_us,
        )
    )


def open_quarantine(
    session: Session, limit: int, source: str | None = None, status: str = "open"
) -> list[Any]:
    """Quarantine rows of one status (``open``: to fix and retry; ``conflict``: kept)."""
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


DISMISSABLE_STATUSES = ("open", "conflict")
"""Quarantine rows an operator may dismiss: open ones (never to be fixed) and conflicts
(seen and settled). Accepted and duplicate rows are done already."""


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


def refuse_again(session: Session, row_id: int, field: str | None, reason: str) -> None:
    session.execute(
        update(quarantine_t)
        .where(quarantine_t.c.id == row_id)
        .values(field=field, reason=reason, attempts=quarantine_t.c.attempts + 1)
    )


def ensure_member(session: Session, member_id: str, created_at_us: int) -> None:
    session.execute(
        dialect_insert(session, members_t)
        .values(id=member_id, created_at_us=created_at_us)
        .on_conflict_do_nothing(index_elements=["id"])
    )


def alias_owner(session: Session, source: str, alias: str) -> str | None:
    return session.execute(
        select(aliases_t.c.member_id).where(
            aliases_t.c.source == source, aliases_t.c.alias == alias
        )
    ).scalar_one_or_none()


def insert_alias(session: Session, source: str, alias: str, member_id: str) -> None:
    session.execute(aliases_t.insert().values(source=source, alias=alias, member_id=member_id))


def remove_alias(session: Session, source: str, alias: str) -> str | None:
    """Unlink ``source:alias`` (spelled as stored); returns its member, or None if unknown.

    Only the link goes: events attributed through it stay attributed (the ledger and
    settled runs are not touched), and later events naming it wait unattributed.
    """
    removed: str | None = session.execute(
        delete(aliases_t)
        .where(aliases_t.c.source == source, aliases_t.c.alias == alias)
        .returning(aliases_t.c.member_id)
    ).scalar_one_or_none()
    return removed


def aliases_of(session: Session, member_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """Each member's ``(source, alias)`` pairs, sorted."""
    found: dict[str, list[tuple[str, str]]] = {}
    for chunk in _chunks(sorted(set(member_ids))):
        rows = session.execute(
            select(aliases_t.c.member_id, aliases_t.c.source, aliases_t.c.alias)
            .where(aliases_t.c.member_id.in_(chunk))
            .order_by(aliases_t.c.member_id, aliases_t.c.source, aliases_t.c.alias)
        )
        for row in rows:
            found.setdefault(row.member_id, []).append((row.source, row.alias))
    return found


def list_members(session: Session, limit: int, after: str | None = None) -> list[Any]:
    """Members by id (``id``, ``created_at_us``), at most ``limit``, after ``after``."""
    statement = select(members_t).order_by(members_t.c.id).limit(limit)
    if after is not None:
        statement = statement.where(members_t.c.id > after)
    return list(session.execute(statement))


def find_member(session: Session, member_id: str) -> Any | None:
    """The member row (``id``, ``created_at_us``), or None when the id is unknown."""
    return session.execute(select(members_t).where(members_t.c.id == member_id)).one_or_none()


@dataclass(frozen=True)
class WaitingAlias:
    """An alias that events name and no member has: what ``events unattributed`` lists.

    ``as_actor`` and ``as_counterpart`` count the events waiting on each side; the
    moments are when SysTok received the first and the last of them.
    """

    source: str
    alias: str
    as_actor: int
    as_counterpart: int
    first_seen_at_us: int
    last_seen_at_us: int

    @property
    def events(self) -> int:
        return self.as_actor + self.as_counterpart


def unattributed_aliases(session: Session, source: str | None = None) -> list[WaitingAlias]:
    """Aliases with events waiting for them (actor or counterpart), most events first."""
    sides: dict[tuple[str, str], list[int]] = {}
    for index, (source_column, alias_column, member_column) in enumerate(
        (
            (events_t.c.actor_source, events_t.c.actor_alias, events_t.c.member_id),
            (
                events_t.c.counterpart_source,
                events_t.c.counterpart_alias,
                events_t.c.counterpart_member_id,
            ),
        )
    ):
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


def retract_events(session: Session, event_ids: Sequence[int], now_us: int) -> int:
    """Mark events retracted (a removed like) and take them out of the daily counters."""
    deltas: dict[DayKey, int] = {}
    retracted = 0
    for chunk in _chunks(sorted(set(event_ids))):
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
        for chunk in _chunks(increments):
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


def recount_day_counts(session: Session) -> dict[DayKey, int]:
    """The daily counters recomputed from the raw events (for verification)."""
    rows = session.execute(
        select(events_t.c.member_id, events_t.c.occurred_day, events_t.c.event_type, func.count())
        .where(
            events_t.c.member_id.is_not(None),
            events_t.c.retracted_at_us.is_(None),
            (events_t.c.counterpart_member_id.is_(None))
            | (events_t.c.counterpart_member_id != events_t.c.member_id),
        )
        .group_by(events_t.c.member_id, events_t.c.occurred_day, events_t.c.event_type)
    )
    return {(m, d, t): int(n) for m, d, t, n in rows}


def day_count_mismatches(session: Session) -> list[str]:
    """Every counter that disagrees with its recount, named (empty when they agree)."""
    stored = {
        (member_id, day, event_type): int(n)
        for member_id, day, event_type, n in session.execute(
            select(
                day_counts_t.c.member_id,
                day_counts_t.c.day,
                day_counts_t.c.event_type,
                day_counts_t.c.count,
            )
        )
        if n != 0
    }
    recounted = recount_day_counts(session)
    return [
        f"counter {key}: stored {stored.get(key, 0)}, events say {recounted.get(key, 0)}"
        for key in sorted(set(stored) | set(recounted))
        if stored.get(key, 0) != recounted.get(key, 0)
    ]


def member_history(
    session: Session, member_id: str
) -> tuple[list[tuple[int, int]], list[tuple[int, int | None]]]:
    """(qualification rows as (from_day, level), membership rows as (starts, ends))."""
    qualifications = [
        (r.valid_from_day, r.level)
        for r in session.execute(
            select(qualifications_t)
            .where(qualifications_t.c.member_id == member_id)
            .order_by(qualifications_t.c.valid_from_day)
        )
    ]
    memberships = [
        (r.starts_day, r.ends_day)
        for r in session.execute(
            select(memberships_t)
            .where(memberships_t.c.member_id == member_id)
            .order_by(memberships_t.c.starts_day)
        )
    ]
    return qualifications, memberships


def replace_member_history(
    session: Session,
    member_id: str,
    qualifications: Sequence[tuple[int, int]],
    memberships: Sequence[tuple[int, int | None]],
) -> None:
    session.execute(delete(qualifications_t).where(qualifications_t.c.member_id == member_id))
    session.execute(delete(memberships_t).where(memberships_t.c.member_id == member_id))
    if qualifications:
        session.execute(
            qualifications_t.insert(),
            [
                {"member_id": member_id, "valid_from_day": d, "level": lvl}
                for d, lvl in qualifications
            ],
        )
    if memberships:
        session.execute(
            memberships_t.insert(),
            [{"member_id": member_id, "starts_day": s, "ends_day": e} for s, e in memberships],
        )


def batch_totals(session: Session) -> dict[str, int]:
    row = session.execute(
        select(
            func.coalesce(func.sum(ingest_batches_t.c.received), 0),
            func.coalesce(func.sum(ingest_batches_t.c.accepted), 0),
            func.coalesce(func.sum(ingest_batches_t.c.duplicates), 0),
            func.coalesce(func.sum(ingest_batches_t.c.conflicts), 0),
            func.coalesce(func.sum(ingest_batches_t.c.quarantined), 0),
        )
    ).one()
    return dict(
        zip(
            ("received", "accepted", "duplicates", "conflicts", "quarantined"),
            map(int, row),
            strict=True,
        )
    )


def read_cursor(session: Session, name: str) -> str | None:
    return session.execute(
        select(ingest_cursors_t.c.cursor).where(ingest_cursors_t.c.source == name)
    ).scalar_one_or_none()


def write_cursor(session: Session, name: str, cursor: str, now_us: int) -> None:
    statement = dialect_insert(session, ingest_cursors_t).values(
        source=name, cursor=cursor, updated_at_us=now_us
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["source"], set_={"cursor": cursor, "updated_at_us": now_us}
        )
    )


def resolve_open_member_lines(session: Session, member_id: str) -> None:
    """A member line imported cleanly settles that member's earlier refused lines."""
    session.execute(
        update(quarantine_t)
        .where(
            quarantine_t.c.source == "members",
            quarantine_t.c.source_event_id == member_id,
            quarantine_t.c.status == "open",
        )
        .values(status="accepted")
    )


def profile_on(session: Session, member_id: str, day: int) -> tuple[int | None, bool]:
    """The qualification level in force on ``day``, and whether a paid membership covered it.

    Effective-dated: the level is the one of the latest row starting on or before the
    day (None before the first); the membership covers ``starts_day <= day < ends_day``.
    """
    level = session.execute(
        select(qualifications_t.c.level)
        .where(qualifications_t.c.member_id == member_id, qualifications_t.c.valid_from_day <= day)
        .order_by(qualifications_t.c.valid_from_day.desc())
        .limit(1)
    ).scalar_one_or_none()
    covered = session.execute(
        select(func.count())
        .select_from(memberships_t)
        .where(
            memberships_t.c.member_id == member_id,
            memberships_t.c.starts_day <= day,
            (memberships_t.c.ends_day.is_(None)) | (memberships_t.c.ends_day > day),
        )
    ).scalar_one()
    return level, covered > 0


def aliases_with_waiting_events(
    session: Session, pairs: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which of these aliases have events waiting to be attributed (as actor or giver)."""
    wanted = sorted(set(pairs))
    waiting: set[tuple[str, str]] = set()
    for chunk in _chunks(wanted):
        for source_column, alias_column, member_column in (
            (events_t.c.actor_source, events_t.c.actor_alias, events_t.c.member_id),
            (
                events_t.c.counterpart_source,
                events_t.c.counterpart_alias,
                events_t.c.counterpart_member_id,
            ),
        ):
            rows = session.execute(
                select(source_column, alias_column)
                .where(tuple_(source_column, alias_column).in_(chunk), member_column.is_(None))
                .distinct()
            )
            waiting.update((source, alias) for source, alias in rows)
    return waiting


def members_with_open_lines(session: Session, member_ids: Iterable[str]) -> set[str]:
    """Members that have refused lines still open in the quarantine."""
    wanted = sorted(set(member_ids))
    found: set[str] = set()
    for chunk in _chunks(wanted):
        found.update(
            session.execute(
                select(quarantine_t.c.source_event_id).where(
                    quarantine_t.c.source == "members",
                    quarantine_t.c.status == "open",
                    quarantine_t.c.source_event_id.in_(chunk),
                )
            ).scalars()
        )
    return found
