"""Uniform weeks: the settle's fast path (weighted_daily_caps only).

A week is *uniform* when one qualification level (or none) is in force on all seven
days and a paid membership covers all seven days or none. Then the day's coefficient
is one number, so the week's points depend on the counts only through two sums
(``RateTable.week_sums``), which the database computes set-based for every member at
once. ``score_week`` stays the reference: the tests hold the two equal, and
``systok verify`` replays every week with the reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from systok.core.policy import Policy, WeightedDailyCaps
from systok.core.scoring.table import exact_arithmetic, points_to_units

_Key = TypeVar("_Key")


@dataclass(frozen=True, slots=True)
class UniformFacts:
    """What the fast path needs of one member's uniform week.

    Attributes:
        base_points, counted_events: ``RateTable.week_sums`` of the week's counts.
        level: the qualification level in force all week (None: the lowest level).
        paid: a paid membership covers every day of the week (False: no day).
        streak_before_weeks: active weeks in a row ending with the previous week.
    """

    base_points: int
    counted_events: int
    level: int | None
    paid: bool
    streak_before_weeks: int


@dataclass(frozen=True, slots=True)
class UniformWeek:
    """What ``score_week`` stores for a uniform week, without its lines."""

    points: Decimal
    units: int
    streak_weeks: int


def score_uniform_week(
    policy: Policy,
    *,
    base_points: int,
    counted_events: int,
    level: int | None,
    paid: bool,
    streak_before_weeks: int,
) -> UniformWeek:
    """Score one uniform week from its sums (``UniformFacts`` says what each one is);
    equal to ``score_week`` on such a week.

    Raises:
        ValueError: the policy is not weighted_daily_caps, the level is unknown, or
            the sums or the streak are negative.
    """
    facts = UniformFacts(base_points, counted_events, level, paid, streak_before_weeks)
    return score_uniform_weeks(policy, {None: facts})[None]


def score_uniform_weeks(
    policy: Policy, weeks: Mapping[_Key, UniformFacts]
) -> dict[_Key, UniformWeek]:
    """``score_uniform_week`` of many members at once (the settle's inner loop).

    One exact-arithmetic context for the batch, and the coefficient product of each
    (level, streak) computed once: per member there is one multiplication and one
    floor, which is what makes 100 000 members take a fraction of a second.
    """
    scoring = policy.scoring
    if not isinstance(scoring, WeightedDailyCaps):
        raise ValueError(f"{policy.version} scores by rank_ladder: no uniform fast path")
    lowest = min(scoring.levels)
    threshold = scoring.active_week_min_counted_events
    paid_only = policy.eligibility.paid_members_only
    coefficients: dict[tuple[int, int], Decimal] = {}
    results: dict[_Key, UniformWeek] = {}
    with exact_arithmetic():
        for key, facts in weeks.items():
            if facts.base_points < 0 or facts.counted_events < 0 or facts.streak_before_weeks < 0:
                raise ValueError("sums and streak must be >= 0")
            level = lowest if facts.level is None else facts.level
            if level not in scoring.levels:
                raise ValueError(f"qualification level {level} is not in the policy")
            earns = facts.paid or not paid_only
            base_points = facts.base_points if earns else 0
            counted_events = facts.counted_events if earns else 0
            streak = facts.streak_before_weeks + 1 if counted_events >= threshold else 0
            coefficient = coefficients.get((level, streak))
            if coefficient is None:
                coefficient = scoring.qualification_coefficient(level)
                if streak:
                    coefficient *= scoring.consistency_coefficient(streak)
                coefficients[(level, streak)] = coefficient
            points = base_points * coefficient
            results[key] = UniformWeek(points, points_to_units(policy, points)[0], streak)
    return results
