"""The data a weekly score is made of: inputs' shape, the result and its breakdown.

Every number a member needs to see *why* they got exactly this many tokens (SPEC §1
"explain every token") is a field here; the models in ``weighted``, ``rank`` and
``uniform`` fill them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from systok.core.weeks import IsoWeek

DayCounts = Mapping[int, Mapping[str, int]]
"""Day number → event type → number of candidate events on that UTC day."""

MULTIPLIER_DECIMALS = 6
"""Decimals kept of an interpolated rank multiplier that has no finite decimal form.

Only reached when ``weeks_to_next_level`` has a prime factor other than 2 and 5 (the
shipped policy uses 5, so every multiplier is exact). The multiplier is then floored,
in favour of the pool, and the breakdown says so.
"""


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
