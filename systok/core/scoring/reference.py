"""The reference model: ``score_week`` scores one member's week day by day.

It writes every event type of every day as a line (where each event went and what it
earned) and dispatches to the policy's model (``weighted`` or ``rank``). The settle's
fast path (``uniform``) must agree with it; ``verify`` and ``explain`` always use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet

from systok.core.policy import Policy, WeightedDailyCaps
from systok.core.scoring.days import check_inputs
from systok.core.scoring.rank import score_rank
from systok.core.scoring.table import RateTable, exact_arithmetic, week_day_numbers
from systok.core.scoring.types import DayCounts, RankState, WeeklyScore
from systok.core.scoring.weighted import score_weighted
from systok.core.weeks import IsoWeek


def score_week(
    policy: Policy,
    week: IsoWeek,
    counts_by_day: DayCounts,
    paid_days: AbstractSet[int],
    levels_by_day: Mapping[int, int | None],
    *,
    streak_before_weeks: int = 0,
    rank_before: RankState | None = None,
    table: RateTable | None = None,
) -> WeeklyScore:
    """Score one member's week under ``policy`` (see the module docstring for the rules).

    Args:
        policy: the policy that governs ``week``.
        week: the ISO week being scored.
        counts_by_day: day number → event type → candidate events (retracted events
            and self-interaction already removed). Days outside the week are refused.
        paid_days: day numbers covered by a paid membership (days outside the week
            are ignored).
        levels_by_day: day number → qualification level in force, or None / absent
            for "no qualification" (the policy's lowest level is used).
        streak_before_weeks: weighted_daily_caps only: active weeks in a row ending
            with the previous week.
        rank_before: rank_ladder only: the state returned last week (``rank_after``);
            None starts at the base of the qualification on the week's first day. A
            carried step outside this policy's ladder (floor..top) is clamped onto it,
            with a note; a qualification on the first day higher than the carried one
            lifts the step to that qualification's base.
        table: the policy's ``RateTable`` when the caller scores many members (built
            from ``policy`` when None).

    Returns:
        The score with its full breakdown; carry ``streak_weeks`` or ``rank_after``
        into next week's call.

    Raises:
        ValueError: on counts outside the week, negative counts, unknown levels, a
            negative streak, or state given for the other model.
    """
    week_days = week_day_numbers(week)
    check_inputs(week_days, counts_by_day, streak_before_weeks)
    scoring = policy.scoring
    rates = RateTable.of(policy) if table is None else table
    with exact_arithmetic():
        if isinstance(scoring, WeightedDailyCaps):
            if rank_before is not None:
                raise ValueError(f"{policy.version} scores by weighted_daily_caps: no rank state")
            return score_weighted(
                policy,
                scoring,
                week=week,
                counts_by_day=counts_by_day,
                paid_days=paid_days,
                levels_by_day=levels_by_day,
                streak_before_weeks=streak_before_weeks,
                table=rates,
            )
        if streak_before_weeks:
            raise ValueError(f"{policy.version} scores by rank_ladder: no consistency streak")
        return score_rank(
            policy,
            scoring,
            week=week,
            counts_by_day=counts_by_day,
            paid_days=paid_days,
            levels_by_day=levels_by_day,
            rank_before=rank_before,
            table=rates,
        )
