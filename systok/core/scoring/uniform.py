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
from decimal import Decimal
from typing import NamedTuple, TypeVar

from systok.core.policy import Policy, WeightedDailyCaps
from systok.core.scoring.table import exact_arithmetic

_Key = TypeVar("_Key")


class UniformFacts(NamedTuple):
    """What the fast path needs of one member's uniform week.

    A named tuple, not a frozen dataclass: the settle builds one per member (100 000
    a week), and a frozen dataclass's ``__init__`` costs ten times a tuple's.

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


class UniformWeek(NamedTuple):
    """What ``score_week`` stores for a uniform week, without its lines (a named tuple,
    as ``UniformFacts``: one per member)."""

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
    return UniformWeek(*score_uniform_weeks(policy, {None: facts})[None])


FactsTuple = tuple[int, int, int | None, bool, int]
"""A ``UniformFacts`` or a plain tuple of its fields in its order."""
WeekTuple = tuple[Decimal, int, int]
"""The fields of a ``UniformWeek`` in its order, as a plain tuple."""


def score_uniform_weeks(policy: Policy, weeks: Mapping[_Key, FactsTuple]) -> dict[_Key, WeekTuple]:
    """``score_uniform_week`` of many members at once (the settle's inner loop).

    One exact-arithmetic context for the batch, and for each (level, streak) the
    coefficient product and the integer ratio ``points → units`` computed once: per
    member there is one Decimal multiplication (the stored points) and one integer
    floor division (the units). ``base × num // den`` is ``points_to_units`` exactly
    (the ratio is ``coefficient × stk_per_point × 10^scale`` as a fraction) without the
    per-member Decimal scaling and rounding that made it most of the stage. Facts and
    results are plain tuples in the order of ``UniformFacts`` and ``UniformWeek`` (a
    named tuple is one too): building 200 000 named tuples a week cost more than the
    arithmetic.
    """
    scoring = policy.scoring
    if not isinstance(scoring, WeightedDailyCaps):
        raise ValueError(f"{policy.version} scores by rank_ladder: no uniform fast path")
    lowest = min(scoring.levels)
    threshold = scoring.active_week_min_counted_events
    paid_only = policy.eligibility.paid_members_only
    per_point, scale = policy.conversion.stk_per_point, policy.stk_scale
    coefficients: dict[tuple[int, int], tuple[Decimal, int, int]] = {}
    results: dict[_Key, WeekTuple] = {}
    with exact_arithmetic():
        for key, (base, counted, fact_level, paid, streak_before) in weeks.items():
            if base < 0 or counted < 0 or streak_before < 0:
                raise ValueError("sums and streak must be >= 0")
            level = lowest if fact_level is None else fact_level
            if level not in scoring.levels:
                raise ValueError(f"qualification level {level} is not in the policy")
            earns = paid or not paid_only
            base_points = base if earns else 0
            counted_events = counted if earns else 0
            streak = streak_before + 1 if counted_events >= threshold else 0
            known = coefficients.get((level, streak))
            if known is None:
                coefficient = scoring.qualification_coefficient(level)
                if streak:
                    coefficient *= scoring.consistency_coefficient(streak)
                num, den = (coefficient * per_point).scaleb(scale).as_integer_ratio()
                known = coefficients[(level, streak)] = (coefficient, num, den)
            coefficient, num, den = known
            points = base_points * coefficient
            results[key] = (points, base_points * num // den, streak)
    return results
