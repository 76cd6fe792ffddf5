"""What a run collects of its week: the sums or the counters, and recounts from raw events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    case,
    cast,
    column,
    func,
    insert,
    literal,
    select,
    text,
    values,
)
from sqlalchemy.orm import Session

from systok.accrual.repository.profiles import member_chunks
from systok.core.scoring import RateTable
from systok.db.bulk import copy_select_into
from systok.db.kit import (
    accrual_counts_t,
    day_counts_t,
    events_t,
    member_sums_t,
    memberships_t,
    qualifications_t,
    rewards_t,
)


def collect_counts(session: Session, run_id: int, first_day: int, last_day: int) -> None:
    """Copy the week's daily counters into the run, set-based inside the database."""
    session.execute(
        insert(accrual_counts_t).from_select(
            ["run_id", "member_id", "day", "event_type", "count"],
            select(
                literal(run_id, BigInteger),
                day_counts_t.c.member_id,
                day_counts_t.c.day,
                day_counts_t.c.event_type,
                day_counts_t.c.count,
            ).where(
                day_counts_t.c.day >= first_day,
                day_counts_t.c.day <= last_day,
                day_counts_t.c.count > 0,
            ),
        )
    )


def collect_sums(
    session: Session,
    run_id: int,
    *,
    first_day: int,
    last_day: int,
    table: RateTable,
    vested_types: Sequence[str],
) -> None:
    """Store each member's week sums: one GROUP BY member over the daily counters.

    The weights and daily limits come from the policy's ``RateTable`` (its
    ``earning_rows``, the types with a weight > 0, bound as a VALUES list); other types
    still give their member a row (with zero sums), as ``score_week`` scores every
    member with counts. ``RateTable.week_sums`` computes the same sums in Python.

    On PostgreSQL the aggregate goes out and back in as COPY text
    (``copy_select_into``) rather than with INSERT … SELECT, because PostgreSQL runs a
    SELECT over the counters in parallel workers but never an INSERT's, and rather
    than as fetched rows, which cost a Python object per member each way. SQLite runs
    the INSERT … SELECT.
    """
    c = day_counts_t.c
    source: Any = day_counts_t
    base_points: Any = literal(0, BigInteger)
    counted_events: Any = literal(0, BigInteger)
    rules = table.earning_rows()
    if rules:
        rule = (
            values(
                column("event_type", String),
                column("weight", BigInteger),
                column("limit_daily", BigInteger),
                name="rules",
            )
            .data(rules)
            .cte("rules")
        )
        source = day_counts_t.outerjoin(rule, rule.c.event_type == c.event_type)
        counted = case((c.count < rule.c.limit_daily, c.count), else_=rule.c.limit_daily)
        base_points = func.coalesce(func.sum(counted * rule.c.weight), 0)
        counted_events = func.coalesce(func.sum(counted), 0)
    vested = (
        func.coalesce(func.sum(case((c.event_type.in_(vested_types), c.count), else_=0)), 0)
        if vested_types
        else literal(0, BigInteger)
    )
    columns = ("run_id", "member_id", "base_points", "counted_events", "vested_events")
    statement = (
        select(
            literal(run_id, BigInteger),
            c.member_id,
            cast(base_points, BigInteger),
            cast(counted_events, BigInteger),
            cast(vested, BigInteger),
        )
        .select_from(source)
        .where(c.day >= first_day, c.day <= last_day, c.count > 0)
        .group_by(c.member_id)
    )
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(member_sums_t).from_select(columns, statement))
        return
    # The planner's estimate of this one big aggregate makes PostgreSQL JIT-compile
    # it, which costs more (seconds) than running it; and the default work_mem
    # spills the hash aggregate to disk. Both settings end with the transaction.
    session.execute(text("SET LOCAL jit = off"))
    session.execute(text("SET LOCAL work_mem = '256MB'"))
    copy_select_into(session, statement, member_sums_t, columns)
    # The score stage joins these rows to the profiles in the next transaction,
    # before autovacuum may have looked at them: on a table the planner believes
    # empty (a new deployment's first week) it nested-loops that join, which took
    # minutes for 20 000 members (bench/accrual.py). Sampling the table is
    # milliseconds.
    session.execute(text("ANALYZE accrual_member_sums"))


def run_sums(session: Session, run_id: int) -> dict[str, tuple[int, int, int]]:
    """member → (base points, counted events, vested events), as collected."""
    rows = session.execute(
        select(
            member_sums_t.c.member_id,
            member_sums_t.c.base_points,
            member_sums_t.c.counted_events,
            member_sums_t.c.vested_events,
        ).where(member_sums_t.c.run_id == run_id)
    )
    return {m: (int(b), int(n), int(v)) for m, b, n, v in rows}


def sums_with_profiles(
    session: Session, run_id: int, day: int, previous_run_id: int | None
) -> list[tuple[Any, ...]]:
    """Every collected member's sums with what the fast path needs, in one query.

    Columns: member_id, base_points, counted_events, vested_events, level (in force on
    ``day``, or None), paid (a membership covers ``day``), streak_weeks (carried from
    the previous run, or None). One read of 100 000 rows instead of four.
    """
    q, m = qualifications_t.c, memberships_t.c
    latest = (
        select(q.member_id, func.max(q.valid_from_day).label("valid_from"))
        .where(q.valid_from_day <= day)
        .group_by(q.member_id)
        .subquery()
    )
    levels = (
        select(q.member_id, q.level)
        .join(
            latest,
            (latest.c.member_id == q.member_id) & (latest.c.valid_from == q.valid_from_day),
        )
        .subquery()
    )
    paid = (
        select(m.member_id)
        .where(m.starts_day <= day, (m.ends_day.is_(None)) | (m.ends_day > day))
        .distinct()
        .subquery()
    )
    previous = (
        select(rewards_t.c.member_id, rewards_t.c.streak_weeks)
        .where(rewards_t.c.run_id == (previous_run_id or -1))
        .subquery()
    )
    return list(
        session.execute(
            select(
                member_sums_t.c.member_id,
                member_sums_t.c.base_points,
                member_sums_t.c.counted_events,
                member_sums_t.c.vested_events,
                levels.c.level,
                paid.c.member_id.is_not(None).label("paid"),
                previous.c.streak_weeks,
            )
            .select_from(
                member_sums_t.outerjoin(levels, levels.c.member_id == member_sums_t.c.member_id)
                .outerjoin(paid, paid.c.member_id == member_sums_t.c.member_id)
                .outerjoin(previous, previous.c.member_id == member_sums_t.c.member_id)
            )
            .where(member_sums_t.c.run_id == run_id)
        )
        .tuples()
        .all()  # one fetchall: iterating fetches row by row
    )


def irregular_members(session: Session, first_day: int, last_day: int) -> set[str]:
    """Members whose level or membership changes inside the week (not uniform).

    A qualification effective from day 2..7, or a membership starting or ending there,
    makes the days differ; those members are scored day by day by the reference.
    """
    q, m = qualifications_t.c, memberships_t.c
    inside = select(q.member_id).where(q.valid_from_day > first_day, q.valid_from_day <= last_day)
    boundary = select(m.member_id).where(
        ((m.starts_day > first_day) & (m.starts_day <= last_day))
        | ((m.ends_day > first_day) & (m.ends_day <= last_day))
    )
    return set(session.scalars(inside.union(boundary)))


def run_counts(
    session: Session, run_id: int, only_member: str | None = None
) -> dict[str, dict[int, dict[str, int]]]:
    """member → day → event type → count, as collected (rank_ladder runs)."""
    counts: dict[str, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    statement = select(
        accrual_counts_t.c.member_id,
        accrual_counts_t.c.day,
        accrual_counts_t.c.event_type,
        accrual_counts_t.c.count,
    ).where(accrual_counts_t.c.run_id == run_id)
    if only_member is not None:
        statement = statement.where(accrual_counts_t.c.member_id == only_member)
    rows = session.execute(statement)
    for member_id, day, event_type, count in rows:
        counts[member_id][day][event_type] = count
    return counts


def recount_week(
    session: Session,
    first_day: int,
    last_day: int,
    known_at_us: int,
    members: Sequence[str] | None = None,
) -> dict[str, dict[int, dict[str, int]]]:
    """The week's counts recomputed from raw events, as they stood at ``known_at_us``.

    Events received later, and retractions made later, are left out: they belong to a
    later run's adjustment, not to what this run collected. ``members`` limits the
    recount to those members (a query per 10 000; None: everyone).
    """
    counts: dict[str, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    if members is None:
        _recount_into(counts, session, (first_day, last_day, known_at_us), None)
    else:
        for chunk in member_chunks(members):
            _recount_into(counts, session, (first_day, last_day, known_at_us), chunk)
    return counts


def _recount_into(
    counts: dict[str, dict[int, dict[str, int]]],
    session: Session,
    window: tuple[int, int, int],
    members: list[str] | None,
) -> None:
    first_day, last_day, known_at_us = window
    statement = (
        select(events_t.c.member_id, events_t.c.occurred_day, events_t.c.event_type, func.count())
        .where(
            events_t.c.occurred_day >= first_day,
            events_t.c.occurred_day <= last_day,
            events_t.c.member_id.is_not(None),
            events_t.c.received_at_us <= known_at_us,
            (events_t.c.retracted_at_us.is_(None)) | (events_t.c.retracted_at_us > known_at_us),
            (events_t.c.counterpart_member_id.is_(None))
            | (events_t.c.counterpart_member_id != events_t.c.member_id),
        )
        .group_by(events_t.c.member_id, events_t.c.occurred_day, events_t.c.event_type)
    )
    if members is not None:
        statement = statement.where(events_t.c.member_id.in_(members))
    for member_id, day, event_type, count in session.execute(statement):
        counts[member_id][day][event_type] = int(count)


def has_late_events(
    session: Session, first_day: int, last_day: int, after_us: int, until_us: int
) -> bool:
    """Whether events of the days arrived, or were retracted, in ``(after_us, until_us]``."""
    late = session.execute(
        select(func.count())
        .select_from(events_t)
        .where(
            events_t.c.occurred_day >= first_day,
            events_t.c.occurred_day <= last_day,
            ((events_t.c.received_at_us > after_us) & (events_t.c.received_at_us <= until_us))
            | ((events_t.c.retracted_at_us > after_us) & (events_t.c.retracted_at_us <= until_us)),
        )
    ).scalar_one()
    return bool(late)
