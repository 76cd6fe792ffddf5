"""``weighted_daily_caps`` (seed 002), the reference model: day by day, type by type.

Per day and type ``counted = min(count, limit_daily)``. A day's base points are
``Σ weight × counted``, multiplied by the qualification coefficient in force *that day*
(a mid-week promotion pays from its day on). The week's sum is multiplied by the
consistency coefficient of the streak including this week; an inactive week resets the
streak to 0 and gets the neutral coefficient 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from decimal import Decimal

from systok.core.policy import Policy, WeightedDailyCaps
from systok.core.scoring.days import day_lines, finish_week, is_paid_day, level_for_day
from systok.core.scoring.table import RateTable, week_day_numbers
from systok.core.scoring.types import ConsistencyBreakdown, DayCounts, DayScore, WeeklyScore
from systok.core.times import date_of_day
from systok.core.weeks import IsoWeek


def score_weighted(
    policy: Policy,
    scoring: WeightedDailyCaps,
    *,
    week: IsoWeek,
    counts_by_day: DayCounts,
    paid_days: AbstractSet[int],
    levels_by_day: Mapping[int, int | None],
    streak_before_weeks: int,
    table: RateTable,
) -> WeeklyScore:
    """The weighted_daily_caps week: see the package docstring for the rules."""
    names = scoring.level_names()
    days: list[DayScore] = []
    notes: list[str] = []
    weighted_sum = Decimal(0)
    for day in week_day_numbers(week):
        level, assumed = level_for_day(levels_by_day, day, names)
        coefficient = scoring.qualification_coefficient(level)
        paid = is_paid_day(policy, paid_days, day)
        lines, counted, base = day_lines(table, counts_by_day.get(day, {}), paid, coefficient)
        day_points = base * coefficient
        weighted_sum += day_points
        if assumed and base:
            notes.append(
                f"{date_of_day(day).isoformat()}: no qualification in force, "
                f"level {level} ({names[level]}) assumed"
            )
        days.append(
            DayScore(
                day=day,
                calendar_date=date_of_day(day),
                paid=paid,
                level=level,
                level_name=names[level],
                level_assumed=assumed,
                coefficient=coefficient,
                counted_events=counted,
                active=counted > 0,
                base_points=base,
                points_uncapped=day_points,
                cap_points=None,
                points=day_points,
                lines=lines,
            )
        )
    counted_week = sum(d.counted_events for d in days)
    threshold = scoring.active_week_min_counted_events
    active = counted_week >= threshold
    if active:
        streak = streak_before_weeks + 1
        coefficient = scoring.consistency_coefficient(streak)
        why = (
            f"active week ({counted_week} counted event(s) ≥ {threshold}): "
            f"{streak} active week(s) in a row → ×{coefficient}"
        )
    else:
        streak = 0
        coefficient = Decimal(1)
        why = (
            f"inactive week ({counted_week} counted event(s) < {threshold}): "
            "the streak resets to 0, no consistency bonus"
        )
    consistency = ConsistencyBreakdown(
        counted_events=counted_week,
        min_counted_events=threshold,
        active=active,
        streak_before_weeks=streak_before_weeks,
        streak_weeks=streak,
        coefficient=coefficient,
        why=why,
    )
    return finish_week(
        policy,
        week,
        days=tuple(days),
        points=weighted_sum * coefficient,
        consistency=consistency,
        rank=None,
        notes=notes,
    )
