"""All SQL of the weekly run. Functions take the caller's session; nothing here commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Row,
    String,
    case,
    column,
    func,
    insert,
    literal,
    select,
    text,
    update,
    values,
)
from sqlalchemy.orm import Session

from systok.db.bulk import insert_rows
from systok.db.kit import (
    accrual_counts_t,
    adjustments_t,
    day_counts_t,
    events_t,
    member_sums_t,
    memberships_t,
    qualifications_t,
    rewards_t,
    runs_t,
)

MEMBERS_PER_QUERY = 10_000
"""Member ids per IN list: PostgreSQL's protocol caps a statement at 65 535 parameters."""


def _member_chunks(member_ids: Iterable[str]) -> list[list[str]]:
    ordered = sorted(set(member_ids))
    return [ordered[i : i + MEMBERS_PER_QUERY] for i in range(0, len(ordered), MEMBERS_PER_QUERY)]


def find_run(session: Session, week: str, policy_version: str) -> Row[Any] | None:
    """The run of a week under a policy version, if one was started."""
    return session.execute(
        select(runs_t).where(runs_t.c.week == week, runs_t.c.policy_version == policy_version)
    ).one_or_none()


def latest_runs(session: Session, limit: int = 20) -> list[Row[Any]]:
    """The most recent runs, newest first."""
    return list(session.execute(select(runs_t).order_by(runs_t.c.id.desc()).limit(limit)))


def create_run(
    session: Session,
    *,
    week: str,
    policy_version: str,
    policy_hash: str,
    now_us: int,
    run_id: int | None = None,
) -> int:
    """Start a run at its first stage.

    ``run_id`` None takes the next id from the table's sequence; a dry run passes its
    own id, which leaves the sequence untouched (a sequence does not roll back).
    """
    statement = insert(runs_t).values(
        week=week,
        policy_version=policy_version,
        policy_hash=policy_hash,
        stage="collect",
        started_at_us=now_us,
        updated_at_us=now_us,
    )
    if run_id is not None:
        statement = statement.values(id=run_id)
    created: int = session.execute(statement.returning(runs_t.c.id)).scalar_one()
    return created


def get_run(session: Session, run_id: int) -> Row[Any]:
    """A run row, read without locking it."""
    return session.execute(select(runs_t).where(runs_t.c.id == run_id)).one()


def count_rewards(session: Session, run_id: int) -> int:
    """How many members a run rewards."""
    return int(
        session.execute(
            select(func.count()).select_from(rewards_t).where(rewards_t.c.run_id == run_id)
        ).scalar_one()
    )


def mark_absorbed(session: Session, run_id: int, absorbed_to_us: int, now_us: int) -> None:
    """Record that a settled week's late events up to ``absorbed_to_us`` are paid for."""
    session.execute(
        update(runs_t)
        .where(runs_t.c.id == run_id)
        .values(absorbed_to_us=absorbed_to_us, updated_at_us=now_us)
    )


def lock_run(session: Session, run_id: int) -> Row[Any]:
    """The run row under its lock: one stage advances at a time, whoever runs it."""
    return session.execute(select(runs_t).where(runs_t.c.id == run_id).with_for_update()).one()


def advance(session: Session, run_id: int, stage: str, now_us: int, **values: Any) -> None:
    """Record that the run reached ``stage`` (with the stage's results)."""
    session.execute(
        update(runs_t)
        .where(runs_t.c.id == run_id)
        .values(stage=stage, updated_at_us=now_us, **values)
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
    rules: Sequence[tuple[str, int, int]],
    vested_types: Sequence[str],
) -> None:
    """Store each member's week sums: one GROUP BY member over the daily counters.

    ``rules`` are (event type, weight, limit_daily) of the types with a weight > 0;
    other types still give their member a row (with zero sums), as ``score_week``
    scores every member with counts. See ``systok.core.scoring.week_sums`` for the
    same sums in Python. The aggregate is read and the 100 000-odd rows written back
    in bulk rather than with INSERT … SELECT, because PostgreSQL runs a SELECT over
    the counters in parallel workers but never an INSERT's.
    """
    c = day_counts_t.c
    source: Any = day_counts_t
    base_points: Any = literal(0, BigInteger)
    counted_events: Any = literal(0, BigInteger)
    if rules:
        rule = (
            values(
                column("event_type", String),
                column("weight", BigInteger),
                column("limit_daily", BigInteger),
                name="rules",
            )
            .data(list(rules))
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
    if session.get_bind().dialect.name == "postgresql":
        # The planner's estimate of this one big aggregate makes PostgreSQL JIT-compile
        # it, which costs more (seconds) than running it; and the default work_mem
        # spills the hash aggregate to disk. Both settings end with the transaction.
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '256MB'"))
    rows = session.execute(
        select(c.member_id, base_points, counted_events, vested)
        .select_from(source)
        .where(c.day >= first_day, c.day <= last_day, c.count > 0)
        .group_by(c.member_id)
    ).all()
    insert_rows(
        session,
        member_sums_t,
        ("run_id", "member_id", "base_points", "counted_events", "vested_events"),
        ((run_id, m, int(b), int(n), int(v)) for m, b, n, v in rows),
    )


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
) -> list[Row[Any]]:
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


def paid_days(
    session: Session, member_ids: Sequence[str], first_day: int, last_day: int
) -> dict[str, set[int]]:
    """The days of the week each member had a paid membership (a query per 10 000)."""
    covered: dict[str, set[int]] = defaultdict(set)
    for chunk in _member_chunks(member_ids):
        rows = session.execute(
            select(
                memberships_t.c.member_id, memberships_t.c.starts_day, memberships_t.c.ends_day
            ).where(
                memberships_t.c.member_id.in_(chunk),
                memberships_t.c.starts_day <= last_day,
                (memberships_t.c.ends_day.is_(None)) | (memberships_t.c.ends_day > first_day),
            )
        )
        for member_id, starts, ends in rows:
            stop = last_day + 1 if ends is None else min(ends, last_day + 1)
            covered[member_id].update(range(max(starts, first_day), stop))
    return covered


def levels_by_day(
    session: Session, member_ids: Sequence[str], first_day: int, last_day: int
) -> dict[str, dict[int, int | None]]:
    """The qualification level in force on each day of the week (effective-dated)."""
    history: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for chunk in _member_chunks(member_ids):
        rows = session.execute(
            select(
                qualifications_t.c.member_id,
                qualifications_t.c.valid_from_day,
                qualifications_t.c.level,
            )
            .where(
                qualifications_t.c.member_id.in_(chunk),
                qualifications_t.c.valid_from_day <= last_day,
            )
            .order_by(qualifications_t.c.member_id, qualifications_t.c.valid_from_day)
        )
        for member_id, valid_from, level in rows:
            history[member_id].append((valid_from, level))
    result: dict[str, dict[int, int | None]] = {}
    for member_id in member_ids:
        rows_of = history.get(member_id, [])
        by_day: dict[int, int | None] = {}
        for day in range(first_day, last_day + 1):
            in_force = [level for valid_from, level in rows_of if valid_from <= day]
            by_day[day] = in_force[-1] if in_force else None
        result[member_id] = by_day
    return result


def previous_states(
    session: Session, member_ids: Iterable[str], previous_run_id: int | None
) -> dict[str, Any]:
    """Each member's carried state (streak, rank) from the previous week's run."""
    if previous_run_id is None:
        return {}
    statement = select(
        rewards_t.c.member_id,
        rewards_t.c.streak_weeks,
        rewards_t.c.rank_step,
        rewards_t.c.rank_level,
    ).where(rewards_t.c.run_id == previous_run_id)
    states: dict[str, Any] = {}
    for chunk in _member_chunks(member_ids):
        rows = session.execute(statement.where(rewards_t.c.member_id.in_(chunk)))
        states.update({row.member_id: row for row in rows})
    return states


REWARD_COLUMNS = (
    "run_id",
    "member_id",
    "points",
    "units",
    "paid_units",
    "streak_weeks",
    "rank_step",
    "rank_level",
)


def insert_rewards(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Store the run's rewards (one row per scored member), in bulk."""
    insert_rows(session, rewards_t, REWARD_COLUMNS, ([r[c] for c in REWARD_COLUMNS] for r in rows))


def member_reward(session: Session, run_id: int, member_id: str) -> Row[Any] | None:
    """One member's reward row in a run, if any (``accrual.explain`` renders its breakdown)."""
    return session.execute(
        select(rewards_t).where(rewards_t.c.run_id == run_id, rewards_t.c.member_id == member_id)
    ).one_or_none()


def run_rewards(session: Session, run_id: int) -> list[Row[Any]]:
    """The run's rewards, by member id (a few numbers each: breakdowns are not stored)."""
    return list(
        session.execute(
            select(rewards_t).where(rewards_t.c.run_id == run_id).order_by(rewards_t.c.member_id)
        )
    )


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
        for chunk in _member_chunks(members):
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


def settled_runs_before(session: Session, week: str, policy_version: str) -> list[Row[Any]]:
    """Finished runs of earlier weeks under the same policy (candidates for adjustment)."""
    return list(
        session.execute(
            select(runs_t)
            .where(
                runs_t.c.policy_version == policy_version,
                runs_t.c.week < week,
                runs_t.c.stage == "done",
            )
            .order_by(runs_t.c.week)
        )
    )


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


def paid_for_week(session: Session, run_id: int, week: str) -> dict[str, int]:
    """What each member has been paid for a week so far: the run plus every adjustment."""
    paid: dict[str, int] = {r.member_id: int(r.paid_units) for r in run_rewards(session, run_id)}
    rows = session.execute(
        select(adjustments_t.c.member_id, func.sum(adjustments_t.c.delta_units))
        .where(adjustments_t.c.week == week)
        .group_by(adjustments_t.c.member_id)
    )
    for member_id, delta in rows:
        paid[member_id] = paid.get(member_id, 0) + int(delta)
    return paid


def insert_adjustments(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(adjustments_t), list(rows))


def run_adjustments(session: Session, run_id: int) -> list[Row[Any]]:
    """The adjustments a run pays, by week and member."""
    return list(
        session.execute(
            select(adjustments_t)
            .where(adjustments_t.c.paying_run_id == run_id)
            .order_by(adjustments_t.c.week, adjustments_t.c.member_id)
        )
    )
