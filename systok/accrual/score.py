"""The score stage's arithmetic: which members take the fast path, which the reference.

A weighted_daily_caps run collects two sums per member (``RateTable.week_sums`` in
SQL). Members whose week is uniform and who earned nothing that vests are scored from
those sums by ``score_uniform_weeks`` (``ScoredBy.UNIFORM``); everyone else is recounted
from raw events and scored day by day by ``score_week`` (``ScoredBy.REFERENCE``). Each
reward row records its path. ``verify``, ``explain`` and the late adjustments always use
the reference, so the two paths check each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from systok.accrual import repository as repo
from systok.accrual.schemas import Scored, ScoredBy
from systok.accrual.vesting import vested_parts
from systok.core.policy import Policy
from systok.core.prorata import scale_to_budget
from systok.core.scoring import (
    FactsTuple,
    RankState,
    RateTable,
    WeeklyScore,
    score_uniform_weeks,
    score_week,
)
from systok.core.times import day_of_date
from systok.core.vesting import vesting_days_for
from systok.core.weeks import IsoWeek

DayCountsByMember = dict[str, dict[int, dict[str, int]]]
"""member → day → event type → count."""


def vested_types(policy: Policy) -> list[str]:
    """Event types whose reward vests: their members take the reference path."""
    return sorted(name for name in policy.events if vesting_days_for(policy, name) > 0)


def collected_inputs(
    session: Session, policy: Policy, run: Any, week: IsoWeek
) -> tuple[DayCountsByMember, dict[str, FactsTuple]]:
    """Split a weighted run's members into the reference path and the fast path.

    Uniform members without vesting events take the fast path from their collected
    sums. The others (a level or membership change inside the week, or a vesting type
    whose reward must be split by type) are recounted per day and type from the raw
    events as they stood at collect — the same recount ``verify`` uses — and scored
    by the reference.
    """
    first = day_of_date(week.monday)
    previous = repo.find_run(session, str(week.previous()), policy.version)
    rows = repo.sums_with_profiles(session, run.id, first, previous.id if previous else None)
    irregular = repo.irregular_members(session, first, first + 6)
    # Rows unpack positionally (the columns ``sums_with_profiles`` documents): a
    # hundred thousand attribute lookups by name cost more than the scoring itself.
    slow = sorted(m for m, _, _, vested, *_ in rows if vested or m in irregular)
    counts = repo.recount_week(session, first, first + 6, run.collected_at_us, members=slow)
    skipped = set(slow)
    uniform: dict[str, FactsTuple] = {
        member_id: (int(base), int(counted), level, bool(paid), streak or 0)
        for member_id, base, counted, _, level, paid, streak in rows
        if member_id not in skipped
    }
    return counts, uniform


def reference_scores(
    session: Session,
    policy: Policy,
    week: IsoWeek,
    counts: Mapping[str, Mapping[int, Mapping[str, int]]],
) -> dict[str, WeeklyScore]:
    """``score_week`` of each member in ``counts``, with their profile and carried state.

    The reference path: the run uses it for non-uniform weeks, ``verify`` and
    ``explain`` for everyone.
    """
    first, last = day_of_date(week.monday), day_of_date(week.monday) + 6
    members = sorted(counts)
    paid = repo.paid_days(session, members, first, last)
    levels = repo.levels_by_day(session, members, first, last)
    previous = repo.find_run(session, str(week.previous()), policy.version)
    states = repo.previous_states(session, members, previous.id if previous else None)
    table = RateTable.of(policy)
    scores: dict[str, WeeklyScore] = {}
    for member_id in members:
        state = states.get(member_id)
        kwargs: dict[str, Any] = {}
        if policy.scoring.model == "rank_ladder":
            if state is not None and state.rank_step is not None:
                kwargs["rank_before"] = RankState(state.rank_step, state.rank_level)
        else:
            kwargs["streak_before_weeks"] = (state.streak_weeks or 0) if state else 0
        scores[member_id] = score_week(
            policy,
            week,
            counts[member_id],
            paid.get(member_id, set()),
            levels[member_id],
            table=table,
            **kwargs,
        )
    return scores


def score_members(
    session: Session,
    policy: Policy,
    week: IsoWeek,
    counts: DayCountsByMember,
    budget_units: int,
    *,
    uniform: Mapping[str, FactsTuple] | None = None,
) -> Scored:
    """Score every member, carrying last week's state; scale to the budget.

    ``counts`` members are scored by the reference (``score_week``, day by day);
    ``uniform`` members by the fast path from their sums, with their carried streak
    already in the facts. ``verify`` and the late adjustments pass everyone in
    ``counts``, so a replay is the reference's answer. Each row says its path.
    """
    scores = reference_scores(session, policy, week, counts)
    reference, uniform_path = ScoredBy.REFERENCE.value, ScoredBy.UNIFORM.value
    results: dict[str, tuple[Decimal, int, int | None, RankState | None, str]] = {
        member_id: (score.points, score.units, score.streak_weeks, score.rank_after, reference)
        for member_id, score in scores.items()
    }
    fast = score_uniform_weeks(policy, uniform) if uniform else {}
    for member_id, (points, units, streak) in fast.items():
        results[member_id] = (points, units, streak, None, uniform_path)
    paid_units, factor = scale_to_budget({m: r[1] for m, r in results.items()}, budget_units)
    rows = [
        {
            "member_id": member_id,
            "points": points_text(points),
            "units": units,
            "paid_units": paid_units[member_id],
            "streak_weeks": streak,
            "rank_step": rank.step if rank else None,
            "rank_level": rank.qualification_level if rank else None,
            "scored_by": path,
        }
        for member_id, (points, units, streak, rank, path) in sorted(results.items())
    ]
    prorata = None if factor is None else f"{factor.numerator}/{factor.denominator}"
    vested = {
        member_id: parts
        for member_id, score in scores.items()
        if (parts := vested_parts(policy, score, paid_units[member_id]))
    }
    return Scored(rows, prorata, vested)


def points_text(points: Decimal) -> str:
    """Points as plain decimal text without trailing zeros: ``75``, ``76.5``, ``1584``."""
    return format(points.normalize(), "f")
