"""Emission schedule → how many base units are minted for a week, and each fund's part.

Both schedules are defined *per UTC day* and a period's emission is the sum of its
days. That makes every boundary exact without special cases: a week that spans a
halving mints the old daily amount on its days before the boundary and the new one
after; a week that straddles two quarters gets each quarter's days; a week that starts
before genesis mints nothing for its days before genesis. And because any range is a
sum of days, the sum over consecutive ranges equals the emission of their union
(``emission_between(a, c) == emission_between(a, b) + emission_between(b, c)``), so
weekly, quarterly and total figures can never disagree.

Halving (seed 002, ``HalvingEmission``):
    the year index of a day is ``(day - genesis_date) // days_per_year`` in whole days.
    With ``days_per_year = 365`` these "emission years" drift one day per leap year
    from calendar anniversaries; that is deliberate: the seed defines the daily amount
    as ``yearly / 365``, so an emission year is 365 days of that daily amount. Each day
    mints ``daily_amount(year_index)``. The series is unbounded in time but tends to 0
    (the floored daily amount reaches 0 after enough halvings).

Quarterly decay (seed 001, ``QuarterlyDecayEmission``):
    quarter ``k`` (``k = 0, 1, …``) runs from ``genesis_date`` plus ``3·k`` calendar
    months (inclusive) to ``genesis_date`` plus ``3·(k+1)`` months (exclusive). The
    policy requires ``genesis_date`` to be the first day of a calendar quarter, so these
    are calendar quarters (Jan–Mar, Apr–Jun, …) of 90, 91 or 92 days. Quarter ``k``
    mints the ``k``-th amount of ``quarter_amounts()`` (0 once the cap is reached). A
    quarter's amount is spread over its days with ``split_amount`` and equal weights:
    every day gets ``floor(amount / days)`` and the remainder (fewer units than days)
    goes one unit each to the earliest days, so the days of a quarter sum to its amount
    exactly and the grand total is exactly ``total_supply``, never more.

Pure: standard library and ``systok.core`` only; amounts are integer base units.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from systok.core.amount import BASIS_POINTS_WHOLE, split_amount
from systok.core.policy import HalvingEmission, Policy, QuarterlyDecayEmission
from systok.core.splits import split_by_bps
from systok.core.stabilisation_steps import scaled_emission_units
from systok.core.weeks import IsoWeek

__all__ = [
    "emission_between",
    "emission_for_day",
    "emission_for_week",
    "fund_split",
    "fund_split_for_week",
    "halving_year_index",
    "quarter_amount_for_index",
    "quarter_bounds",
    "quarter_index",
    "quarter_schedule_end",
]

MONTHS_PER_QUARTER = 3
_MONTHS_PER_YEAR = 12


# ------------------------------------------------------------------------------------
# Public API
# ------------------------------------------------------------------------------------


def emission_for_week(policy: Policy, week: IsoWeek, factor_bps: int = BASIS_POINTS_WHOLE) -> int:
    """Base units minted for one ISO week: the sum of its seven UTC days, times
    ``factor_bps`` / 10 000 floored (an approved stabilisation override; the floor's
    remainder is not minted, ADR 0034).

    This is the amount the weekly run mints into the funds (``fund_split_for_week``
    divides it). Summing days, not taking ``7 × daily``, is what makes a week that
    spans a halving, a quarter boundary or the genesis date exact.
    """
    first_day = week.monday
    units = emission_between(policy, first_day, first_day + timedelta(days=7))
    return scaled_emission_units(units, factor_bps)


def emission_between(policy: Policy, first_day: date, last_day_exclusive: date) -> int:
    """Base units minted on the UTC days ``first_day <= day < last_day_exclusive``.

    Days before the policy's ``genesis_date`` mint nothing. An empty or reversed range
    mints nothing (so callers may clip ranges freely).

    It is computed by whole segments (an emission year, a quarter) rather than day by
    day, so a range of decades costs a few hundred steps, not tens of thousands.
    """
    emission = policy.emission
    start = max(first_day, emission.genesis_date)
    if last_day_exclusive <= start:
        return 0
    if isinstance(emission, HalvingEmission):
        return _halving_between(emission, start, last_day_exclusive)
    return _decay_between(emission, start, last_day_exclusive)


def emission_for_day(policy: Policy, day: date) -> int:
    """Base units minted on one UTC day (0 before genesis)."""
    return emission_between(policy, day, day + timedelta(days=1))


def fund_split(policy: Policy, amount_units: int) -> dict[str, int]:
    """Divide an emission among the policy's funds (fund name → base units).

    Each fund gets ``floor(amount × share_bps / 10 000)``; the few leftover units go to
    ``funds.remainder_to``, so the parts always sum to ``amount_units``. This is the
    same split ``systok.economy.emission.mint_emission`` posts.
    """
    return split_by_bps(amount_units, policy.funds.shares_bps(), policy.funds.remainder_to)


def fund_split_for_week(
    policy: Policy, week: IsoWeek, factor_bps: int = BASIS_POINTS_WHOLE
) -> dict[str, int]:
    """Each fund's part of the week's emission (sums to ``emission_for_week``)."""
    return fund_split(policy, emission_for_week(policy, week, factor_bps))


def halving_year_index(emission: HalvingEmission, day: date) -> int:
    """The emission year of a UTC day: whole ``days_per_year`` blocks since genesis.

    Raises:
        ValueError: for a day before ``genesis_date`` (it belongs to no emission year).
    """
    offset_days = (day - emission.genesis_date).days
    if offset_days < 0:
        raise ValueError(f"{day.isoformat()} is before genesis {emission.genesis_date}")
    return offset_days // emission.days_per_year


def quarter_index(emission: QuarterlyDecayEmission, day: date) -> int:
    """The quarter (0 = the genesis quarter) a UTC day falls in.

    Raises:
        ValueError: for a day before ``genesis_date``.
    """
    genesis = emission.genesis_date
    if day < genesis:
        raise ValueError(f"{day.isoformat()} is before genesis {genesis.isoformat()}")
    months = (day.year - genesis.year) * _MONTHS_PER_YEAR + (day.month - genesis.month)
    index = months // MONTHS_PER_QUARTER
    # Only needed if genesis were not the 1st of a month (the policy refuses that):
    # a day early in the month may still belong to the previous quarter.
    while index > 0 and day < _add_months(genesis, index * MONTHS_PER_QUARTER):
        index -= 1
    return index


def quarter_bounds(emission: QuarterlyDecayEmission, index: int) -> tuple[date, date]:
    """First day (inclusive) and end (exclusive) of quarter ``index``."""
    if index < 0:
        raise ValueError("quarter index must be ≥ 0")
    genesis = emission.genesis_date
    return (
        _add_months(genesis, index * MONTHS_PER_QUARTER),
        _add_months(genesis, (index + 1) * MONTHS_PER_QUARTER),
    )


def quarter_amount_for_index(emission: QuarterlyDecayEmission, index: int) -> int:
    """Base units quarter ``index`` mints (0 after the cap has been reached)."""
    if index < 0:
        raise ValueError("quarter index must be ≥ 0")
    amounts = _quarter_amounts(emission)
    return amounts[index] if index < len(amounts) else 0


def quarter_schedule_end(emission: QuarterlyDecayEmission) -> date:
    """The first day after the last quarter that mints anything.

    ``emission_between(policy, genesis, quarter_schedule_end(...)) == total_supply``;
    nothing is minted on or after this day.
    """
    return quarter_bounds(emission, len(_quarter_amounts(emission)))[0]


# ------------------------------------------------------------------------------------
# Internals
# ------------------------------------------------------------------------------------


def _halving_between(emission: HalvingEmission, start: date, end: date) -> int:
    """Sum of daily amounts over ``[start, end)``, one emission year at a time."""
    total_units = 0
    day = start
    while day < end:
        year_index = halving_year_index(emission, day)
        year_end = emission.genesis_date + timedelta(days=(year_index + 1) * emission.days_per_year)
        segment_end = min(end, year_end)
        daily_units = emission.daily_amount(year_index)
        if daily_units == 0:
            # Floored to nothing: every later year (more halvings) mints nothing too.
            break
        total_units += (segment_end - day).days * daily_units
        day = segment_end
    return total_units


def _decay_between(emission: QuarterlyDecayEmission, start: date, end: date) -> int:
    """Sum over ``[start, end)`` of each quarter's per-day shares, one quarter at a time."""
    total_units = 0
    day = start
    index = quarter_index(emission, start)
    quarters_minting = len(_quarter_amounts(emission))
    while day < end and index < quarters_minting:
        quarter_start, quarter_end = quarter_bounds(emission, index)
        segment_end = min(end, quarter_end)
        if day == quarter_start and segment_end == quarter_end:
            # A whole quarter: its days sum to its amount by construction.
            total_units += quarter_amount_for_index(emission, index)
        else:
            daily = _quarter_daily_amounts(emission, index)
            first = (day - quarter_start).days
            last = (segment_end - quarter_start).days
            total_units += sum(daily[first:last])
        day = segment_end
        index += 1
    return total_units


@lru_cache(maxsize=16)
def _quarter_amounts(emission: QuarterlyDecayEmission) -> tuple[int, ...]:
    """Every quarter's amount, computed once per schedule (a few hundred quarters)."""
    return tuple(emission.quarter_amounts())


@lru_cache(maxsize=64)
def _quarter_daily_amounts(emission: QuarterlyDecayEmission, index: int) -> tuple[int, ...]:
    """A quarter's amount spread over its days: equal weights, largest remainder.

    Equal weights give every day the same floor and the remainder one unit each to the
    earliest days (``split_amount`` breaks ties toward the earlier part), so the days
    sum to the quarter's amount exactly.
    """
    quarter_start, quarter_end = quarter_bounds(emission, index)
    days = (quarter_end - quarter_start).days
    return tuple(split_amount(quarter_amount_for_index(emission, index), [1] * days))


def _add_months(day: date, months: int) -> date:
    """The same day-of-month ``months`` later, clamped to the month's last day."""
    month_zero = day.month - 1 + months
    year = day.year + month_zero // _MONTHS_PER_YEAR
    month = month_zero % _MONTHS_PER_YEAR + 1
    next_month_first = (
        date(year + 1, 1, 1) if month == _MONTHS_PER_YEAR else date(year, month + 1, 1)
    )
    last_day = (next_month_first - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))
