"""The one table of weights and daily limits, and the arithmetic every model shares.

``RateTable`` is built from the policy once per run (or per ``score_week`` call) and
is the only place the scoring reads an event type's weight and daily limit: the
reference model's day lines, the fast path's sums (``RateTable.week_sums``) and the collect stage's
SQL (``RateTable.earning_rows`` rendered as a VALUES list) all take it, so the three
cannot disagree about what an event is worth.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, Inexact, Rounded, localcontext

from systok.core.amount import decimal_to_units_floor
from systok.core.policy import Policy
from systok.core.scoring.types import DayCounts
from systok.core.times import day_of_date
from systok.core.weeks import IsoWeek

EXACT_PRECISION = 120
"""Significant digits of the exact-arithmetic context: far beyond any real score, so the
Inexact trap only fires on a genuine bug, never on a big number."""


@dataclass(frozen=True, slots=True)
class EventRate:
    """What one event type earns: ``weight`` points per counted event, at most
    ``limit_daily`` counted events a day."""

    event_type: str
    weight: int
    limit_daily: int


@dataclass(frozen=True, slots=True)
class RateTable:
    """Every event type the policy names, with its weight and daily limit.

    A type the policy does not name has no rate (it earns nothing); a type with
    weight 0 (``PageView``) has one but earns nothing either.
    """

    rates: Mapping[str, EventRate]

    @classmethod
    def of(cls, policy: Policy) -> RateTable:
        """The policy's table (a handful of rows: build it once per batch of members)."""
        return cls(
            {
                name: EventRate(name, rule.weight, rule.limit_daily)
                for name, rule in sorted(policy.events.items())
            }
        )

    def rate(self, event_type: str) -> EventRate | None:
        """The rate of an event type, or None when the policy gives it no value."""
        return self.rates.get(event_type)

    def earning_rows(self) -> list[tuple[str, int, int]]:
        """(event type, weight, limit_daily) of each type with a weight > 0, by type:
        the collect SQL joins the daily counters to exactly these rows."""
        return [
            (rate.event_type, rate.weight, rate.limit_daily)
            for rate in self.rates.values()
            if rate.weight > 0
        ]

    def week_sums(self, counts_by_day: DayCounts) -> tuple[int, int]:
        """(base points, counted events) of a week, ignoring payment and levels.

        ``Σ weight × min(count, limit_daily)`` and ``Σ min(count, limit_daily)`` over
        the days and the types with a weight > 0: what the collect stage's SQL computes
        per member from ``earning_rows``, computed here so ``verify`` can check the
        stored sums against the raw events.
        """
        base_points = 0
        counted_events = 0
        for by_type in counts_by_day.values():
            for event_type, count in by_type.items():
                rate = self.rates.get(event_type)
                if rate is None or rate.weight == 0:
                    continue
                counted = min(count, rate.limit_daily)
                base_points += rate.weight * counted
                counted_events += counted
        return base_points, counted_events


@contextmanager
def exact_arithmetic() -> Iterator[None]:
    """A Decimal context where any rounding raises instead of silently losing a digit."""
    with localcontext() as context:
        context.prec = EXACT_PRECISION
        context.traps[Inexact] = True
        context.traps[Rounded] = True
        yield


def points_to_units(policy: Policy, points: Decimal) -> tuple[int, Decimal]:
    """Points → (base units floored, the sub-unit remainder left in the pool).

    The one rounding step of the scoring: ``floor(points × stk_per_point, base unit)``.
    """
    scale = policy.stk_scale
    stk = points * policy.conversion.stk_per_point
    exact_units = stk.scaleb(scale)
    units = decimal_to_units_floor(stk, scale)
    return units, exact_units - units


def week_day_numbers(week: IsoWeek) -> tuple[int, ...]:
    """The seven day numbers Monday..Sunday of ``week``."""
    return tuple(day_of_date(d) for d in week.days())
