"""``rank_ladder`` (seed 001): the rank carried from last week fixes this week's terms.

The rank in force for the whole week fixes the daily cap (the most points a day can
earn) and the multiplier (each counted event earns ``weight × multiplier``). This week's
active days move the rank for *next* week: up after a fully active week, down after an
inactive one. See ``RankLadder`` in ``systok.core.policy`` for the ladder itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from decimal import Decimal
from fractions import Fraction

from systok.core.policy import Policy, RankLadder
from systok.core.scoring.days import day_lines, finish_week, is_paid_day, level_for_day
from systok.core.scoring.table import RateTable, week_day_numbers
from systok.core.scoring.types import (
    MULTIPLIER_DECIMALS,
    DayCounts,
    DayScore,
    RankBreakdown,
    RankChange,
    RankState,
    RankTerms,
    WeeklyScore,
)
from systok.core.times import date_of_day
from systok.core.weeks import IsoWeek


def _fraction_to_decimal_floor(value: Fraction, decimals: int) -> tuple[Decimal, bool]:
    """``value`` as an exact Decimal if it has a finite decimal form, else floored."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:
        return Decimal(value.numerator) / Decimal(value.denominator), False
    floored = value.numerator * 10**decimals // value.denominator
    return Decimal(floored).scaleb(-decimals), True


def rank_terms(ladder: RankLadder, step: int) -> RankTerms:
    """The daily cap and multiplier of a ladder step.

    At a qualification's base the values are that level's. Between two bases,
    ``between_levels = "linear"`` interpolates (cap floored to whole points, in favour
    of the pool; multiplier exact, or floored to ``MULTIPLIER_DECIMALS`` decimals when it
    has no finite decimal form) and ``"step"`` keeps the lower base's values.

    Raises:
        ValueError: when the step is off the ladder.
    """
    top = ladder.base_step(max(ladder.levels))
    if not 0 <= step <= top:
        raise ValueError(f"rank step {step} is off the ladder 0..{top}")
    per_level = ladder.weeks_to_next_level
    level, offset = step // per_level + 1, step % per_level
    low = ladder.levels[level]
    if offset == 0 or ladder.between_levels == "step":
        return RankTerms(step, level, low.name, offset, low.base_cap_daily, low.multiplier, False)
    high = ladder.levels[level + 1]
    cap = low.base_cap_daily + (high.base_cap_daily - low.base_cap_daily) * offset // per_level
    exact = Fraction(low.multiplier) + (
        Fraction(high.multiplier) - Fraction(low.multiplier)
    ) * Fraction(offset, per_level)
    multiplier, floored = _fraction_to_decimal_floor(exact, MULTIPLIER_DECIMALS)
    return RankTerms(step, level, low.name, offset, cap, multiplier, floored)


def score_rank(
    policy: Policy,
    ladder: RankLadder,
    *,
    week: IsoWeek,
    counts_by_day: DayCounts,
    paid_days: AbstractSet[int],
    levels_by_day: Mapping[int, int | None],
    rank_before: RankState | None,
    table: RateTable,
) -> WeeklyScore:
    """The rank_ladder week: see the package docstring for the rules."""
    names = ladder.level_names()
    week_days = week_day_numbers(week)
    notes: list[str] = []
    floor_step = ladder.base_step(ladder.floor_level)
    top_step = ladder.base_step(max(ladder.levels))

    # The rank in force this week: carried, or the base of the week's first-day level.
    start_level, start_assumed = level_for_day(levels_by_day, week_days[0], names)
    raised = False
    if rank_before is None:
        step = ladder.base_step(start_level)
    else:
        step = min(max(rank_before.step, floor_step), top_step)
        if step != rank_before.step:
            notes.append(
                f"the carried rank step {rank_before.step} is outside this policy's ladder "
                f"{floor_step}..{top_step}; it is taken as {step}"
            )
        if start_level > rank_before.qualification_level and step < ladder.base_step(start_level):
            step = ladder.base_step(start_level)
            raised = True
    if start_assumed:
        notes.append(
            f"no qualification in force on {date_of_day(week_days[0]).isoformat()}: "
            f"the rank is reconciled with level {start_level} ({names[start_level]})"
        )
    terms = rank_terms(ladder, step)

    days: list[DayScore] = []
    for day in week_days:
        level, assumed = level_for_day(levels_by_day, day, names)
        paid = is_paid_day(policy, paid_days, day)
        lines, counted, base = day_lines(table, counts_by_day.get(day, {}), paid, terms.multiplier)
        uncapped = base * terms.multiplier
        points = min(uncapped, Decimal(terms.cap_daily_points))
        days.append(
            DayScore(
                day=day,
                calendar_date=date_of_day(day),
                paid=paid,
                level=level,
                level_name=names[level],
                level_assumed=assumed,
                coefficient=terms.multiplier,
                counted_events=counted,
                active=counted >= ladder.active_day_min_counted_events,
                base_points=base,
                points_uncapped=uncapped,
                cap_points=terms.cap_daily_points,
                points=points,
                lines=lines,
            )
        )

    active_days = sum(1 for d in days if d.active)
    if active_days >= ladder.full_week_active_days:
        change = RankChange.RISE
        step_after = min(step + ladder.rise_steps_per_full_week, top_step)
        why = f"active on {active_days} of 7 days: the rank rises"
    elif active_days <= ladder.inactive_week_max_active_days:
        change = RankChange.FALL
        step_after = max(step - ladder.fall_steps_per_inactive_week, floor_step)
        why = f"active on {active_days} of 7 days: the rank falls"
    else:
        change = RankChange.HOLD
        step_after = step
        why = f"active on {active_days} of 7 days: the rank holds"
    if step_after == step and change is not RankChange.HOLD:
        why += " no further (it is at the ladder's " + (
            "top)" if change is RankChange.RISE else "floor)"
        )
    terms_after = rank_terms(ladder, step_after)
    why += (
        f"; step {step} → {step_after}, daily cap {terms.cap_daily_points} → "
        f"{terms_after.cap_daily_points}, multiplier ×{terms.multiplier} → "
        f"×{terms_after.multiplier} from next week"
    )
    capped_days = [d for d in days if d.points < d.points_uncapped]
    if capped_days:
        notes.append(
            f"{len(capped_days)} day(s) reached the rank's daily cap of "
            f"{terms.cap_daily_points} points"
        )
    rank = RankBreakdown(
        carried=rank_before,
        started_at_base=rank_before is None,
        raised_to_qualification=raised,
        terms=terms,
        active_days=active_days,
        full_week_active_days=ladder.full_week_active_days,
        inactive_week_max_active_days=ladder.inactive_week_max_active_days,
        change=change,
        after=RankState(step_after, start_level),
        terms_after=terms_after,
        why=why,
    )
    total = sum((d.points for d in days), Decimal(0))
    return finish_week(
        policy,
        week,
        days=tuple(days),
        points=total,
        consistency=None,
        rank=rank,
        notes=notes,
    )
