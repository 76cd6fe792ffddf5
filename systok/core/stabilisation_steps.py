"""The arithmetic of approved stabilisation decisions (ADR 0034): the emission factor,
the overridden transfer fee rate, the quarter a week's override comes from, and what a
buyback pays.

- **Emission.** An approved ``emission_adjustment`` of ``step_bps`` sets the factor of
  its effective quarter to ``10 000 − step_bps`` basis points; a week's emission is
  ``floor(emission × factor_bps / 10 000)``. The floor's remainder is simply not minted.
  Overrides do not compound: a quarter has at most one (it comes from the quarter
  before), and a quarter without one mints the policy's emission.
- **A week's quarter** is the quarter of its Thursday (the ISO rule that gives a week
  its year: four of its seven days).
- **Fee.** An approved ``fee_adjustment`` of ``step_bps`` makes the fee rate of its
  effective quarter the policy's ``rate_bps + step_bps``, at most 10 000 (100 %).
- **Buyback.** Selling ``stk_units`` at ``price_units`` (quote minor units per whole
  STK) pays ``floor(stk_units × price_units / 10^stk_scale)`` minor units; the floor's
  remainder stays in the fund.

Pure: standard library and ``systok.core`` only.
"""

from __future__ import annotations

from datetime import timedelta

from systok.core.amount import BASIS_POINTS_WHOLE
from systok.core.quarters import Quarter
from systok.core.weeks import IsoWeek

__all__ = [
    "buyback_payment_units",
    "emission_factor_bps",
    "fee_rate_bps",
    "scaled_emission_units",
    "week_quarter",
]

THURSDAY_OFFSET_DAYS = 3


def emission_factor_bps(step_bps: int | None) -> int:
    """The emission factor a step gives: ``10 000 − step_bps`` (no step: 10 000)."""
    if step_bps is None:
        return BASIS_POINTS_WHOLE
    if not 0 < step_bps <= BASIS_POINTS_WHOLE:
        raise ValueError(f"an emission step is 1..{BASIS_POINTS_WHOLE} bps, got {step_bps}")
    return BASIS_POINTS_WHOLE - step_bps


def scaled_emission_units(units: int, factor_bps: int) -> int:
    """``floor(units × factor_bps / 10 000)``: the remainder is not minted."""
    if units < 0 or not 0 <= factor_bps <= BASIS_POINTS_WHOLE:
        raise ValueError(f"scaled_emission_units({units}, {factor_bps}): out of range")
    return units * factor_bps // BASIS_POINTS_WHOLE


def fee_rate_bps(rate_bps: int, step_bps: int | None) -> int:
    """The policy's fee rate raised by an approved step, capped at 10 000 (100 %)."""
    if step_bps is None:
        return rate_bps
    return min(rate_bps + step_bps, BASIS_POINTS_WHOLE)


def week_quarter(week: IsoWeek) -> Quarter:
    """The quarter whose override applies to ``week``: the quarter of its Thursday."""
    return Quarter.containing(week.monday + timedelta(days=THURSDAY_OFFSET_DAYS))


def buyback_payment_units(stk_units: int, price_units: int, stk_scale: int) -> int:
    """Quote minor units paid for ``stk_units`` base units at ``price_units`` per whole
    STK: ``floor(stk_units × price_units / 10^stk_scale)``; the remainder stays in the
    fund."""
    if stk_units < 0 or price_units < 0:
        raise ValueError("a buyback pays for non-negative units at a non-negative price")
    paid: int = stk_units * price_units // 10**stk_scale
    return paid
