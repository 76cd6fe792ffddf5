"""The weekly score of one member: counted events × coefficients → points → STK base units.

Pure: plain data in, a frozen ``WeeklyScore`` out, with every number a member needs to
see *why* they got exactly this many tokens (SPEC §1 "explain every token"). The
weekly job computes the per-day counts set-based in the database (MEASUREMENTS.md:
never stream raw events into Python) and hands them here; the simulator and the
explanation use the same function, so what is explained is what was paid.

Inputs (all UTC day numbers, see ``systok.core.times``):

* ``counts_by_day``: day → event type → number of *candidate* events. The caller has
  already dropped retracted events and self-interaction; this module still decides
  eligibility: a day without a paid membership earns nothing, and a type the policy
  gives no value (no rule, or weight 0 such as ``PageView``) earns nothing. Every
  event ends in exactly one bucket: ``count == counted + capped + ineligible``.
* ``paid_days``: the days covered by a paid membership (only members earn [001]).
* ``levels_by_day``: the qualification level in force on each day, or None.
* the carried state: the consistency streak before this week (``weighted_daily_caps``)
  or the rank state after the previous week (``rank_ladder``).

Two models, chosen by ``policy.scoring`` (numbers live in the policy file, never here):

``weighted_daily_caps`` (seed 002)
    Per day and type ``counted = min(count, limit_daily)``. A day's base points are
    ``Σ weight × counted``, multiplied by the qualification coefficient in force *that
    day* (a mid-week promotion pays from its day on). The week's sum is multiplied by
    the consistency coefficient of the streak including this week. A week is active
    when its counted events reach ``active_week_min_counted_events``; an inactive week
    resets the streak to 0 and gets the neutral coefficient 1.

``rank_ladder`` (seed 001)
    The rank in force for the whole week is the one carried from last week; it fixes
    the daily cap (the most points a day can earn) and the multiplier (each counted
    event earns ``weight × multiplier``). This week's active days move the rank for
    *next* week: up after a fully active week, down after an inactive one. See
    ``RankLadder`` in ``systok.core.policy`` for the ladder itself.

Arithmetic is exact ``Decimal`` (a context that traps any inexact result), and there is
exactly one rounding step: ``units = floor(points × stk_per_point, base unit)``. The
sub-unit remainder stays in ``conversion.remainder_to`` (the rewards pool); the result
reports it. No floats anywhere (MEASUREMENTS.md: float ties disagreed for up to 11 %
of members).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, Inexact, Rounded, localcontext
from enum import StrEnum
from fractions import Fraction
from typing import TypeVar

from systok.core.amount import decimal_to_units_floor
from systok.core.policy import Policy, RankLadder, WeightedDailyCaps
from systok.core.times import date_of_day, day_of_date
from systok.core.weeks import IsoWeek

__all__ = [
    "MULTIPLIER_DECIMALS",
    "ConsistencyBreakdown",
    "DayCounts",
    "DayScore",
    "Ineligible",
    "RankBreakdown",
    "RankChange",
    "RankState",
    "RankTerms",
    "TypeDayLine",
    "TypeTotals",
    "UniformFacts",
    "UniformWeek",
    "WeeklyScore",
    "rank_terms",
    "score_uniform_week",
    "score_uniform_weeks",
    "score_week",
    "week_day_numbers",
    "week_sums",
]

DayCounts = Mapping[int, Mapping[str, int]]
"""Day number → event type → number of candidate events on that UTC day."""

MULTIPLIER_DECIMALS = 6
"""Decimals kept of an interpolated rank multiplier that has no finite decimal form.

Only reached when ``weeks_to_next_level`` has a prime factor other than 2 and 5 (the
shipped policy uses 5, so every multiplier is exact). The multiplier is then floored,
in favour of the pool, and the breakdown says so.
"""

_EXACT_PRECISION = 120
"""Significant digits of the exact-arithmetic context: far beyond any real score, so the
Inexact trap only fires on a genuine bug, never on a big number."""


@contextmanager
def _exact() -> Iterator[None]:
    """A Decimal context where any rounding raises instead of silently losing a digit."""
    with localcontext() as context:
        context.prec = _EXACT_PRECISION
        context.traps[Inexact] = True
        context.traps[Rounded] = True
        yield


class Ineligible(StrEnum):
    """Why events earned nothing although they happened (shown to the member)."""

    NO_PAID_MEMBERSHIP = "no_paid_membership"
    """The day is not covered by a paid membership: only members earn [001]."""
    NOT_REWARDED = "not_rewarded"
    """The policy gives the type no value (no rule, or weight 0 such as PageView)."""


class RankChange(StrEnum):
    """What this week's activity does to next week's rank."""

    RISE = "rise"
    FALL = "fall"
    HOLD = "hold"


# ====================================================================================
# Result types
# ====================================================================================


@dataclass(frozen=True, slots=True)
class TypeDayLine:
    """One event type on one day: where every event went and what it earned.

    Attributes:
        count: candidate events handed in.
        counted: events that earn (within ``limit_daily`` on an eligible day).
        capped: events over the daily limit on an eligible day: kept, earn nothing.
        ineligible: events that earn nothing for ``ineligible_reason``.
        weight: points per counted event (0 when the policy has no rule).
        limit_daily: the policy's per-day limit (0 when there is no rule).
        base_points: ``weight × counted``, before any coefficient.
        points: ``base_points × the day's coefficient`` (qualification coefficient, or
            the rank multiplier) — before the rank's daily cap and before the week's
            consistency coefficient, which apply to sums, not to lines.
    """

    event_type: str
    count: int
    counted: int
    capped: int
    ineligible: int
    ineligible_reason: Ineligible | None
    weight: int
    limit_daily: int
    base_points: int
    points: Decimal


@dataclass(frozen=True, slots=True)
class DayScore:
    """One UTC day of the week.

    Attributes:
        day: the day number; ``calendar_date`` is the same day as a date.
        paid: covered by a paid membership (or the policy lets everyone earn).
        level: the qualification level in force that day; ``level_assumed`` is True
            when none was given and the policy's lowest level was used.
        coefficient: what the day's base points are multiplied by: the qualification
            coefficient (weighted_daily_caps) or the rank multiplier (rank_ladder).
        counted_events: counted events of types with a weight > 0.
        active: the day counts as active (rank_ladder: at least
            ``active_day_min_counted_events``; weighted_daily_caps: any counted event).
        base_points: ``Σ weight × counted``.
        points_uncapped: ``base_points × coefficient``.
        cap_points: the rank's daily cap (rank_ladder), None otherwise.
        points: the day's points, after the cap if any.
        lines: one line per event type seen that day, sorted by type name.
    """

    day: int
    calendar_date: date
    paid: bool
    level: int
    level_name: str
    level_assumed: bool
    coefficient: Decimal
    counted_events: int
    active: bool
    base_points: int
    points_uncapped: Decimal
    cap_points: int | None
    points: Decimal
    lines: tuple[TypeDayLine, ...]

    @property
    def capped_points(self) -> Decimal:
        """Points lost to the rank's daily cap (0 without a cap)."""
        return self.points_uncapped - self.points


@dataclass(frozen=True, slots=True)
class TypeTotals:
    """One event type summed over the week (for the per-activity report)."""

    event_type: str
    count: int
    counted: int
    capped: int
    ineligible: int
    base_points: int
    points: Decimal


@dataclass(frozen=True, slots=True)
class ConsistencyBreakdown:
    """The consistency coefficient of a week and why (weighted_daily_caps).

    Attributes:
        counted_events: counted events of the week (weight > 0, eligible, in limits).
        min_counted_events: the policy's threshold for an active week.
        active: ``counted_events >= min_counted_events``.
        streak_before_weeks: active weeks in a row ending with the previous week.
        streak_weeks: active weeks in a row including this one (0 when inactive):
            pass it as ``streak_before_weeks`` next week.
        coefficient: the policy's coefficient for ``streak_weeks``; 1 when inactive.
        why: one sentence for the member.
    """

    counted_events: int
    min_counted_events: int
    active: bool
    streak_before_weeks: int
    streak_weeks: int
    coefficient: Decimal
    why: str


@dataclass(frozen=True, slots=True)
class RankState:
    """What the rank ladder carries from one week to the next.

    Attributes:
        step: the ladder step (level ``L``'s base is ``(L - 1) × weeks_to_next_level``).
        qualification_level: the qualification the step was last reconciled with; a
            later, higher qualification lifts the step to at least its base.
    """

    step: int
    qualification_level: int


@dataclass(frozen=True, slots=True)
class RankTerms:
    """What a ladder step is worth.

    Attributes:
        step: the ladder step.
        level, level_name: the qualification base at or below the step.
        steps_above_base: how far past that base (0 at a base).
        cap_daily_points: the most points a day can earn.
        multiplier: points per counted event are ``weight × multiplier``.
        multiplier_floored: True when the interpolated multiplier had no finite decimal
            form and was floored to ``MULTIPLIER_DECIMALS`` decimals.
    """

    step: int
    level: int
    level_name: str
    steps_above_base: int
    cap_daily_points: int
    multiplier: Decimal
    multiplier_floored: bool


@dataclass(frozen=True, slots=True)
class RankBreakdown:
    """The rank in force this week, and where this week's activity moves it.

    Attributes:
        carried: the state handed in (None: the member starts at their base).
        started_at_base: no carried state; the week starts at the base of the
            qualification in force on the week's first day.
        raised_to_qualification: a qualification higher than the carried one lifted
            the step to its base.
        terms: the rank in force this week (cap and multiplier).
        active_days: days with at least ``active_day_min_counted_events`` counted events.
        change: rise (``active_days >= full_week_active_days``), fall (``active_days
            <= inactive_week_max_active_days``) or hold.
        after: the state for next week.
        terms_after: what ``after`` will be worth.
        why: one sentence for the member.
    """

    carried: RankState | None
    started_at_base: bool
    raised_to_qualification: bool
    terms: RankTerms
    active_days: int
    full_week_active_days: int
    inactive_week_max_active_days: int
    change: RankChange
    after: RankState
    terms_after: RankTerms
    why: str


@dataclass(frozen=True, slots=True)
class WeeklyScore:
    """One member's week, scored, with the whole breakdown.

    Attributes:
        week: the ISO week.
        model: ``weighted_daily_caps`` or ``rank_ladder``.
        policy_version, policy_hash: the policy that scored it (recorded by every run).
        paid_days: days of the week covered by a paid membership.
        days: Monday..Sunday.
        counted_events, capped_events, ineligible_events: the week's event buckets.
        base_points: ``Σ weight × counted`` over the week, before any coefficient.
        consistency: weighted_daily_caps only.
        rank: rank_ladder only.
        points: the exact points of the week (``Decimal``).
        stk_per_point, stk_scale: the conversion used.
        units: ``floor(points × stk_per_point)`` in STK base units.
        remainder_units: the fraction of one base unit cut by the floor
            (``0 <= remainder_units < 1``); it stays in ``remainder_to``.
        reason: why nothing was earned, or None when ``units > 0``.
        notes: other facts a member should see (lapsed days, assumed levels, …).
    """

    week: IsoWeek
    model: str
    policy_version: str
    policy_hash: str
    paid_days: int
    days: tuple[DayScore, ...]
    counted_events: int
    capped_events: int
    ineligible_events: int
    base_points: int
    consistency: ConsistencyBreakdown | None
    rank: RankBreakdown | None
    points: Decimal
    stk_per_point: Decimal
    stk_scale: int
    units: int
    remainder_units: Decimal
    remainder_to: str
    reason: str | None
    notes: tuple[str, ...]

    @property
    def streak_weeks(self) -> int | None:
        """The streak to carry into next week (weighted_daily_caps), else None."""
        return None if self.consistency is None else self.consistency.streak_weeks

    @property
    def rank_after(self) -> RankState | None:
        """The rank state to carry into next week (rank_ladder), else None."""
        return None if self.rank is None else self.rank.after

    def line(self, day: int, event_type: str) -> TypeDayLine | None:
        """The line of one type on one day, or None when no such events were handed in."""
        for day_score in self.days:
            if day_score.day == day:
                for entry in day_score.lines:
                    if entry.event_type == event_type:
                        return entry
        return None

    def totals_by_type(self) -> dict[str, TypeTotals]:
        """Each event type summed over the week, sorted by type name."""
        sums: dict[str, list[int]] = {}
        points: dict[str, Decimal] = {}
        for day_score in self.days:
            for entry in day_score.lines:
                row = sums.setdefault(entry.event_type, [0, 0, 0, 0, 0])
                row[0] += entry.count
                row[1] += entry.counted
                row[2] += entry.capped
                row[3] += entry.ineligible
                row[4] += entry.base_points
                points[entry.event_type] = points.get(entry.event_type, Decimal(0)) + entry.points
        return {
            name: TypeTotals(name, row[0], row[1], row[2], row[3], row[4], points[name])
            for name, row in sorted(sums.items())
        }


# ====================================================================================
# Shared pieces
# ====================================================================================


def week_day_numbers(week: IsoWeek) -> tuple[int, ...]:
    """The seven day numbers Monday..Sunday of ``week``."""
    return tuple(day_of_date(d) for d in week.days())


def _check_inputs(
    week_days: tuple[int, ...], counts_by_day: DayCounts, streak_before_weeks: int
) -> None:
    """Refuse inputs that would otherwise vanish silently (events outside the week)."""
    outside = sorted(set(counts_by_day) - set(week_days))
    if outside:
        raise ValueError(
            f"counts for days {outside} are outside the week "
            f"{week_days[0]}..{week_days[-1]}; score each week with its own days"
        )
    for day, by_type in counts_by_day.items():
        for event_type, count in by_type.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(
                    f"count of {event_type} on day {day} must be a non-negative int, got {count!r}"
                )
    if streak_before_weeks < 0:
        raise ValueError("streak_before_weeks must be >= 0")


def _level_for_day(
    levels_by_day: Mapping[int, int | None], day: int, known: Mapping[int, str]
) -> tuple[int, bool]:
    """The level in force on ``day`` and whether it was assumed (none given).

    A day with no qualification uses the policy's lowest level (1, Первокурсник):
    every member starts as a first-year, so a missing record must not pay more.
    """
    level = levels_by_day.get(day)
    if level is None:
        return min(known), True
    if level not in known:
        raise ValueError(f"qualification level {level} on day {day} is not in the policy")
    return level, False


def _day_lines(
    policy: Policy, by_type: Mapping[str, int], paid: bool, coefficient: Decimal
) -> tuple[tuple[TypeDayLine, ...], int, int]:
    """Lines of one day; returns (lines, counted events, base points)."""
    lines: list[TypeDayLine] = []
    counted_events = 0
    base_points = 0
    for event_type in sorted(by_type):
        count = by_type[event_type]
        rule = policy.event_rule(event_type)
        weight = 0 if rule is None else rule.weight
        limit = 0 if rule is None else rule.limit_daily
        reason: Ineligible | None = None
        if rule is None or weight == 0:
            reason = Ineligible.NOT_REWARDED
        elif not paid:
            reason = Ineligible.NO_PAID_MEMBERSHIP
        if reason is not None:
            counted, capped, ineligible = 0, 0, count
        else:
            counted = min(count, limit)
            capped, ineligible = count - counted, 0
        line_base = weight * counted
        lines.append(
            TypeDayLine(
                event_type=event_type,
                count=count,
                counted=counted,
                capped=capped,
                ineligible=ineligible,
                ineligible_reason=reason if count > 0 else None,
                weight=weight,
                limit_daily=limit,
                base_points=line_base,
                points=line_base * coefficient,
            )
        )
        counted_events += counted
        base_points += line_base
    return tuple(lines), counted_events, base_points


def _convert(policy: Policy, points: Decimal) -> tuple[int, Decimal]:
    """Points → (base units floored, the sub-unit remainder left in the pool)."""
    scale = policy.stk_scale
    exact_units = (points * policy.conversion.stk_per_point).scaleb(scale)
    units = decimal_to_units_floor(points * policy.conversion.stk_per_point, scale)
    return units, exact_units - units


def _is_paid(policy: Policy, paid_days: AbstractSet[int], day: int) -> bool:
    return (not policy.eligibility.paid_members_only) or day in paid_days


def _finish(
    policy: Policy,
    week: IsoWeek,
    *,
    days: tuple[DayScore, ...],
    points: Decimal,
    consistency: ConsistencyBreakdown | None,
    rank: RankBreakdown | None,
    notes: list[str],
) -> WeeklyScore:
    """Convert to units and assemble the result with its reason and notes."""
    units, remainder = _convert(policy, points)
    paid_count = sum(1 for d in days if d.paid)
    counted = sum(d.counted_events for d in days)
    capped = sum(line.capped for d in days for line in d.lines)
    ineligible = sum(line.ineligible for d in days for line in d.lines)
    lapsed = [d for d in days if not d.paid]
    if paid_count and lapsed and any(line.ineligible for d in lapsed for line in d.lines):
        notes.append(
            f"{len(lapsed)} day(s) without a paid membership "
            f"({', '.join(d.calendar_date.isoformat() for d in lapsed)}): "
            "events on those days earn nothing"
        )
    reason: str | None = None
    if units == 0:
        if paid_count == 0:
            reason = (
                f"no paid membership on any day of {week}: only members earn STK "
                f"({policy.eligibility.membership_product})"
            )
        elif counted == 0:
            reason = f"no counted events in {week}"
        else:
            reason = "the points are worth less than one base unit of STK"
    if remainder:
        notes.append(
            f"rounding floor: {remainder} of a base unit stays in {policy.conversion.remainder_to}"
        )
    return WeeklyScore(
        week=week,
        model=policy.scoring.model,
        policy_version=policy.version,
        policy_hash=policy.content_hash,
        paid_days=paid_count,
        days=days,
        counted_events=counted,
        capped_events=capped,
        ineligible_events=ineligible,
        base_points=sum(d.base_points for d in days),
        consistency=consistency,
        rank=rank,
        points=points,
        stk_per_point=policy.conversion.stk_per_point,
        stk_scale=policy.stk_scale,
        units=units,
        remainder_units=remainder,
        remainder_to=policy.conversion.remainder_to,
        reason=reason,
        notes=tuple(notes),
    )


# ====================================================================================
# weighted_daily_caps (seed 002)
# ====================================================================================


def _score_weighted(
    policy: Policy,
    scoring: WeightedDailyCaps,
    *,
    week: IsoWeek,
    counts_by_day: DayCounts,
    paid_days: AbstractSet[int],
    levels_by_day: Mapping[int, int | None],
    streak_before_weeks: int,
) -> WeeklyScore:
    names = scoring.level_names()
    days: list[DayScore] = []
    notes: list[str] = []
    weighted_sum = Decimal(0)
    for day in week_day_numbers(week):
        level, assumed = _level_for_day(levels_by_day, day, names)
        coefficient = scoring.qualification_coefficient(level)
        paid = _is_paid(policy, paid_days, day)
        lines, counted, base = _day_lines(policy, counts_by_day.get(day, {}), paid, coefficient)
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
    return _finish(
        policy,
        week,
        days=tuple(days),
        points=weighted_sum * coefficient,
        consistency=consistency,
        rank=None,
        notes=notes,
    )


# ====================================================================================
# rank_ladder (seed 001)
# ====================================================================================


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


def _score_rank(
    policy: Policy,
    ladder: RankLadder,
    *,
    week: IsoWeek,
    counts_by_day: DayCounts,
    paid_days: AbstractSet[int],
    levels_by_day: Mapping[int, int | None],
    rank_before: RankState | None,
) -> WeeklyScore:
    names = ladder.level_names()
    week_days = week_day_numbers(week)
    notes: list[str] = []
    floor_step = ladder.base_step(ladder.floor_level)
    top_step = ladder.base_step(max(ladder.levels))

    # The rank in force this week: carried, or the base of the week's first-day level.
    start_level, start_assumed = _level_for_day(levels_by_day, week_days[0], names)
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
        level, assumed = _level_for_day(levels_by_day, day, names)
        paid = _is_paid(policy, paid_days, day)
        lines, counted, base = _day_lines(
            policy, counts_by_day.get(day, {}), paid, terms.multiplier
        )
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
    return _finish(
        policy,
        week,
        days=tuple(days),
        points=total,
        consistency=None,
        rank=rank,
        notes=notes,
    )


# ====================================================================================
# Uniform weeks: the settle's fast path (weighted_daily_caps only)
# ====================================================================================


@dataclass(frozen=True, slots=True)
class UniformWeek:
    """What ``score_week`` stores for a week that is the same every day, without lines.

    A week is *uniform* when one qualification level (or none) is in force on all
    seven days and a paid membership covers all seven days or none. Then the day's
    coefficient is one number, so the week's points depend on the counts only through
    two sums (see ``week_sums``), which the database computes set-based for every
    member at once. ``score_week`` stays the reference: the tests hold the two equal,
    and ``systok verify`` replays every week with the reference.
    """

    points: Decimal
    units: int
    streak_weeks: int


def week_sums(policy: Policy, counts_by_day: DayCounts) -> tuple[int, int]:
    """(base points, counted events) of a week, ignoring payment and levels.

    ``Σ weight × min(count, limit_daily)`` and ``Σ min(count, limit_daily)`` over the
    days and the types with a weight > 0: what the collect stage's SQL computes per
    member (``systok.accrual.repository.collect_sums``), written once more in Python
    so ``verify`` can check the stored sums against the raw events.
    """
    base_points = 0
    counted_events = 0
    for by_type in counts_by_day.values():
        for event_type, count in by_type.items():
            rule = policy.event_rule(event_type)
            if rule is None or rule.weight == 0:
                continue
            counted = min(count, rule.limit_daily)
            base_points += rule.weight * counted
            counted_events += counted
    return base_points, counted_events


_Key = TypeVar("_Key")

UniformFacts = tuple[int, int, int | None, bool, int]
"""(base points, counted events, level or None, paid all week, streak before) of a
uniform week: the inputs of ``score_uniform_week`` as one tuple, for batches."""


def score_uniform_week(
    policy: Policy,
    *,
    base_points: int,
    counted_events: int,
    level: int | None,
    paid: bool,
    streak_before_weeks: int,
) -> UniformWeek:
    """Score a uniform week from its sums; equal to ``score_week`` on such a week.

    Args:
        base_points, counted_events: ``week_sums`` of the week's counts.
        level: the qualification level in force all week (None: the lowest level).
        paid: a paid membership covers every day of the week (False: no day).
        streak_before_weeks: active weeks in a row ending with the previous week.

    Raises:
        ValueError: the policy is not weighted_daily_caps, the level is unknown, or
            the sums or the streak are negative.
    """
    facts = (base_points, counted_events, level, paid, streak_before_weeks)
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
    with _exact():
        for key, (base_in, counted_in, level_in, paid, streak_before) in weeks.items():
            if base_in < 0 or counted_in < 0 or streak_before < 0:
                raise ValueError("sums and streak must be >= 0")
            level = lowest if level_in is None else level_in
            if level not in scoring.levels:
                raise ValueError(f"qualification level {level} is not in the policy")
            earns = paid or not paid_only
            base_points = base_in if earns else 0
            counted_events = counted_in if earns else 0
            streak = streak_before + 1 if counted_events >= threshold else 0
            coefficient = coefficients.get((level, streak))
            if coefficient is None:
                coefficient = scoring.qualification_coefficient(level)
                if streak:
                    coefficient *= scoring.consistency_coefficient(streak)
                coefficients[(level, streak)] = coefficient
            points = base_points * coefficient
            results[key] = UniformWeek(points, _convert(policy, points)[0], streak)
    return results


# ====================================================================================
# The entry point
# ====================================================================================


def score_week(
    policy: Policy,
    week: IsoWeek,
    counts_by_day: DayCounts,
    paid_days: AbstractSet[int],
    levels_by_day: Mapping[int, int | None],
    *,
    streak_before_weeks: int = 0,
    rank_before: RankState | None = None,
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

    Returns:
        The score with its full breakdown; carry ``streak_weeks`` or ``rank_after``
        into next week's call.

    Raises:
        ValueError: on counts outside the week, negative counts, unknown levels, a
            negative streak, or state given for the other model.
    """
    week_days = week_day_numbers(week)
    _check_inputs(week_days, counts_by_day, streak_before_weeks)
    scoring = policy.scoring
    with _exact():
        if isinstance(scoring, WeightedDailyCaps):
            if rank_before is not None:
                raise ValueError(f"{policy.version} scores by weighted_daily_caps: no rank state")
            return _score_weighted(
                policy,
                scoring,
                week=week,
                counts_by_day=counts_by_day,
                paid_days=paid_days,
                levels_by_day=levels_by_day,
                streak_before_weeks=streak_before_weeks,
            )
        if streak_before_weeks:
            raise ValueError(f"{policy.version} scores by rank_ladder: no consistency streak")
        return _score_rank(
            policy,
            scoring,
            week=week,
            counts_by_day=counts_by_day,
            paid_days=paid_days,
            levels_by_day=levels_by_day,
            rank_before=rank_before,
        )
