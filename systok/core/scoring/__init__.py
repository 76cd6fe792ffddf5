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

Two models, chosen by ``policy.scoring`` (numbers live in the policy file, never here;
the weights and daily limits reach every model through one ``RateTable``):

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

from systok.core.scoring.rank import rank_terms
from systok.core.scoring.reference import score_week
from systok.core.scoring.table import EventRate, RateTable, week_day_numbers
from systok.core.scoring.types import (
    MULTIPLIER_DECIMALS,
    ConsistencyBreakdown,
    DayCounts,
    DayScore,
    Ineligible,
    RankBreakdown,
    RankChange,
    RankState,
    RankTerms,
    TypeDayLine,
    TypeTotals,
    WeeklyScore,
)
from systok.core.scoring.uniform import (
    FactsTuple,
    UniformFacts,
    UniformWeek,
    score_uniform_week,
    score_uniform_weeks,
)

__all__ = [
    "MULTIPLIER_DECIMALS",
    "ConsistencyBreakdown",
    "DayCounts",
    "DayScore",
    "EventRate",
    "FactsTuple",
    "Ineligible",
    "RankBreakdown",
    "RankChange",
    "RankState",
    "RankTerms",
    "RateTable",
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
]
