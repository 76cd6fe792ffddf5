"""The reference model's day-by-day pieces, shared by both policy models.

``score_week`` (``systok.core.scoring.reference``) checks its inputs, writes one line
per event type and day from the ``RateTable`` and assembles the ``WeeklyScore`` here;
``weighted`` and ``rank`` only decide each day's coefficient and the week's carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from decimal import Decimal

from systok.core.policy import Policy
from systok.core.scoring.table import RateTable, points_to_units
from systok.core.scoring.types import (
    ConsistencyBreakdown,
    DayCounts,
    DayScore,
    Ineligible,
    RankBreakdown,
    TypeDayLine,
    WeeklyScore,
)
from systok.core.weeks import IsoWeek


def check_inputs(
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


def level_for_day(
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


def day_lines(
    table: RateTable, by_type: Mapping[str, int], paid: bool, coefficient: Decimal
) -> tuple[tuple[TypeDayLine, ...], int, int]:
    """Lines of one day; returns (lines, counted events, base points)."""
    lines: list[TypeDayLine] = []
    counted_events = 0
    base_points = 0
    for event_type in sorted(by_type):
        count = by_type[event_type]
        rule = table.rate(event_type)
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


def is_paid_day(policy: Policy, paid_days: AbstractSet[int], day: int) -> bool:
    """Whether events of ``day`` can earn: a paid membership covers it, or the policy
    lets everyone earn."""
    return (not policy.eligibility.paid_members_only) or day in paid_days


def finish_week(
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
    units, remainder = points_to_units(policy, points)
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
