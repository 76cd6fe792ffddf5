"""Members' effective-dated profiles over a week, and the state carried from last week."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from systok.db.kit import memberships_t, qualifications_t, rewards_t

MEMBERS_PER_QUERY = 10_000
"""Member ids per IN list: PostgreSQL's protocol caps a statement at 65 535 parameters."""


def member_chunks(member_ids: Iterable[str]) -> list[list[str]]:
    """Distinct member ids, sorted, in lists of at most ``MEMBERS_PER_QUERY``."""
    ordered = sorted(set(member_ids))
    return [ordered[i : i + MEMBERS_PER_QUERY] for i in range(0, len(ordered), MEMBERS_PER_QUERY)]


def paid_days(
    session: Session, member_ids: Sequence[str], first_day: int, last_day: int
) -> dict[str, set[int]]:
    """The days of the week each member had a paid membership (a query per 10 000)."""
    covered: dict[str, set[int]] = defaultdict(set)
    for chunk in member_chunks(member_ids):
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
    for chunk in member_chunks(member_ids):
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
    for chunk in member_chunks(member_ids):
        rows = session.execute(statement.where(rewards_t.c.member_id.in_(chunk)))
        states.update({row.member_id: row for row in rows})
    return states
