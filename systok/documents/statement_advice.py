"""Recommendations of a weekly statement, computed from the rules (pure, no I/O).

Nothing here is canned text: each recommendation is a number the policy and the
member's own week produce, and the renderer words it in the member's language.

* **Unused daily limits** (weighted_daily_caps): for every rewarded type the member
  did this week (advice about what they already do, not a list of every rule) and
  every paid day of the week, the slots left under ``limit_daily``; what they would have
  added is ``slots × weight × that day's qualification coefficient × the week's
  consistency coefficient`` points, converted like the reward itself (one floor at the
  end, ``points_to_units``). Largest first. The rank ladder caps points per day rather
  than events per type, so it has no such advice; it gets ``rank_next`` instead.
* **Streak**: the consistency coefficient next week if the member stays active (at
  least ``active_week_min_counted_events`` counted events) when it is higher than now,
  and the coefficient they fall back to after a week without activity.
* **Next qualification**: the next level's coefficient and what this week would have
  paid under it.
* **Vesting**: each held part of this week's reward with its release day.
* **Inactivity**: each slashing tier that moves tokens or warns, with the day it
  starts if the member is not active again after ``last_active_day``.

When the week was scaled pro rata (the pool could not pay every reward in full), the
amounts of the unused-limit and next-qualification advice are scaled by the same
factor, floored (``prorated``): advice must not promise what the pool did not pay.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from systok.core.amount import format_amount
from systok.core.policy import Policy, RankLadder, WeightedDailyCaps
from systok.core.scoring import WeeklyScore
from systok.core.scoring.table import exact_arithmetic, points_to_units
from systok.documents.statement_schemas import Recommendation, VestingPart


def prorated(units: int, factor: Fraction | None) -> int:
    """``units`` times the week's pro-rata factor, floored (the remainder stays unpaid
    advice: it is never rounded up); unchanged when the week was not scaled."""
    if factor is None:
        return units
    return units * factor.numerator // factor.denominator


def unused_limits(
    policy: Policy, score: WeeklyScore, factor: Fraction | None = None
) -> list[Recommendation]:
    """Unused daily slots of the rewarded types the member did this week, over the
    week's paid days, and their value.

    Only types whose slots are worth at least one base unit are listed, largest first
    (ties by type name, so the order is stable).
    """
    if not isinstance(policy.scoring, WeightedDailyCaps) or score.consistency is None:
        return []
    consistency = score.consistency.coefficient
    done = score.totals_by_type()
    found: list[tuple[int, str, int]] = []
    for name, rule in sorted(policy.events.items()):
        if rule.weight <= 0 or rule.limit_daily <= 0 or name not in done:
            continue
        slots, points = 0, Decimal(0)
        with exact_arithmetic():
            for day in score.days:
                if not day.paid:
                    continue
                line = score.line(day.day, name)
                free = rule.limit_daily - (line.counted + line.capped if line else 0)
                if free > 0:
                    slots += free
                    points += free * rule.weight * day.coefficient * consistency
            units, _ = points_to_units(policy, points)
        units = prorated(units, factor)
        if units > 0:
            found.append((units, name, slots))
    found.sort(key=lambda item: (-item[0], item[1]))
    return [
        Recommendation(
            kind="unused_limit",
            event_type=name,
            count=slots,
            amount=format_amount(units, policy.stk_scale),
        )
        for units, name, slots in found
    ]


def streak_advice(policy: Policy, score: WeeklyScore) -> list[Recommendation]:
    """The consistency step next week brings if the member stays active, and the one
    a week without activity drops them to (each only when it differs from now)."""
    scoring = policy.scoring
    if not isinstance(scoring, WeightedDailyCaps) or score.consistency is None:
        return []
    streak, now = score.consistency.streak_weeks, score.consistency.coefficient
    needed = scoring.active_week_min_counted_events
    advice: list[Recommendation] = []
    following = scoring.consistency_coefficient(streak + 1)
    if following > now:
        advice.append(
            Recommendation(
                kind="streak_reach", weeks=streak + 1, coefficient=str(following), count=needed
            )
        )
    restart = scoring.consistency_coefficient(1)
    if now > restart:
        advice.append(
            Recommendation(kind="streak_lose", weeks=1, coefficient=str(restart), count=needed)
        )
    return advice


def next_qualification(
    policy: Policy, score: WeeklyScore, factor: Fraction | None = None
) -> list[Recommendation]:
    """The next qualification level above the week's last day's and what this week's
    counted events would have paid under it (weighted_daily_caps), or the rank the
    ladder carries into next week (rank_ladder)."""
    scoring = policy.scoring
    last = score.days[-1]
    if isinstance(scoring, RankLadder):
        if score.rank is None:
            return []
        after = score.rank.terms_after
        return [
            Recommendation(
                kind="rank_next",
                level=after.level,
                level_name=after.level_name,
                coefficient=str(after.multiplier),
                count=after.cap_daily_points,
            )
        ]
    higher = sorted(level for level in scoring.levels if level > last.level)
    if not higher or score.consistency is None:
        return []
    level = scoring.levels[higher[0]]
    with exact_arithmetic():
        points = score.base_points * level.coefficient * score.consistency.coefficient
        units, _ = points_to_units(policy, points)
    units = prorated(units, factor)
    return [
        Recommendation(
            kind="next_qualification",
            level=level.level,
            level_name=level.name,
            coefficient=str(level.coefficient),
            amount=format_amount(units, policy.stk_scale),
        )
    ]


def vesting_releases(parts: list[VestingPart]) -> list[Recommendation]:
    """Each part still held, with the day it is validated."""
    return [
        Recommendation(
            kind="vesting_release",
            event_type=part.event_type,
            amount=part.amount,
            on=part.unlock_on,
        )
        for part in parts
        if part.status == "held"
    ]


def inactivity_tiers(policy: Policy, last_active: date | None) -> list[Recommendation]:
    """The slashing tiers that take tokens or warn, with the day each starts if the
    member stays inactive after ``last_active`` (none when that day is unknown)."""
    if last_active is None:
        return []
    return [
        Recommendation(
            kind="inactivity_tier",
            days=tier.from_days,
            on=(last_active + timedelta(days=tier.from_days)).isoformat(),
            rate_bps=tier.rate_bps,
            warn=tier.warn,
        )
        for tier in policy.slashing.tiers
        if tier.rate_bps > 0 or tier.warn
    ]


def recommendations(
    policy: Policy,
    score: WeeklyScore,
    parts: list[VestingPart],
    last_active: date | None,
    factor: Fraction | None = None,
) -> list[Recommendation]:
    """Every recommendation of the statement, in the order the PDF shows them
    (``factor``: the week's pro-rata factor, None when it was paid in full)."""
    return [
        *unused_limits(policy, score, factor),
        *streak_advice(policy, score),
        *next_qualification(policy, score, factor),
        *vesting_releases(parts),
        *inactivity_tiers(policy, last_active),
    ]
