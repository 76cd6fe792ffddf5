"""The arithmetic of approved stabilisation decisions (``core.stabilisation_steps``,
ADR 0034), golden values by hand and the invariants as properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.core.amount import BASIS_POINTS_WHOLE
from systok.core.emission import emission_for_week, fund_split_for_week
from systok.core.quarters import Quarter
from systok.core.stabilisation_steps import (
    buyback_payment_units,
    emission_factor_bps,
    fee_rate_bps,
    scaled_emission_units,
    week_quarter,
)
from systok.core.weeks import IsoWeek
from systok.policy_files import load_policy

POLICY = load_policy("stk-2025-12")


def test_emission_factor_golden() -> None:
    """Step 2 500 bps → factor 7 500; no step → 10 000 (the policy's emission).

    A week of stk-2025-12 mints 7 × 2 739 726 000 000 = 19 178 082 000 000 units; at
    7 500 bps: 19 178 082 000 000 × 0.75 = 14 383 561 500 000 (exact). One unit more:
    19 178 082 000 001 × 7 500 / 10 000 = 14 383 561 500 000.75 → floor 14 383 561 500 000
    (the 0.75 unit is not minted).
    """
    assert emission_factor_bps(2500) == 7500
    assert emission_factor_bps(None) == BASIS_POINTS_WHOLE
    week = IsoWeek(2026, 16)
    assert emission_for_week(POLICY, week) == 19_178_082_000_000
    assert emission_for_week(POLICY, week, 7500) == 14_383_561_500_000
    assert scaled_emission_units(19_178_082_000_001, 7500) == 14_383_561_500_000
    assert sum(fund_split_for_week(POLICY, week, 7500).values()) == 14_383_561_500_000


@pytest.mark.parametrize("step", [0, -1, 10_001])
def test_an_emission_step_out_of_range_is_refused(step: int) -> None:
    with pytest.raises(ValueError, match="emission step"):
        emission_factor_bps(step)


def test_fee_rate_golden() -> None:
    """50 bps + a 10 bps step = 60 bps; no step leaves 50; 9 995 + 10 caps at 10 000."""
    assert fee_rate_bps(50, 10) == 60
    assert fee_rate_bps(50, None) == 50
    assert fee_rate_bps(9995, 10) == BASIS_POINTS_WHOLE


@pytest.mark.parametrize(
    ("week", "quarter"),
    [
        # W13: Mon 2026-03-23, Thu 03-26 → Q1. W14: Mon 03-30, Thu 04-02 → Q2.
        (IsoWeek(2026, 13), Quarter(2026, 1)),
        (IsoWeek(2026, 14), Quarter(2026, 2)),
        # W27: Mon 2026-06-29, Thu 07-02 → Q3 (three of its days are in June).
        (IsoWeek(2026, 27), Quarter(2026, 3)),
        # 2026-W53: Mon 2026-12-28, Thu 12-31 → 2026-Q4, though it ends in January.
        (IsoWeek(2026, 53), Quarter(2026, 4)),
    ],
)
def test_a_week_takes_the_override_of_its_thursdays_quarter(
    week: IsoWeek, quarter: Quarter
) -> None:
    assert week_quarter(week) == quarter


def test_buyback_payment_golden() -> None:
    """At 7.50 RUB (750 kopecks) per STK (10^6 units):
    2.5 STK → 2 500 000 × 750 / 10^6 = 1 875 kopecks;
    1.333333 STK → 999.99975 → 999 kopecks (0.99975 stays in the fund);
    1 unit → 0.00075 → 0 kopecks."""
    assert buyback_payment_units(2_500_000, 750, 6) == 1875
    assert buyback_payment_units(1_333_333, 750, 6) == 999
    assert buyback_payment_units(1, 750, 6) == 0


@given(
    units=st.integers(0, 10**15),
    step=st.integers(1, BASIS_POINTS_WHOLE),
)
def test_a_slowed_emission_never_exceeds_the_policys(units: int, step: int) -> None:
    """floor: 0 ≤ scaled ≤ units, and what is not minted is under one unit of the exact
    product."""
    scaled = scaled_emission_units(units, emission_factor_bps(step))
    assert 0 <= scaled <= units
    exact_numerator = units * (BASIS_POINTS_WHOLE - step)
    assert 0 <= exact_numerator - scaled * BASIS_POINTS_WHOLE < BASIS_POINTS_WHOLE


@given(
    parts=st.lists(st.integers(1, 10**12), min_size=1, max_size=20),
    price=st.integers(1, 10**6),
)
def test_split_sales_never_pay_more_than_one_sale(parts: list[int], price: int) -> None:
    """Each sale floors on its own, so selling in parts never pays more than selling the
    sum at once: splitting cannot drain the budget faster."""
    assert sum(buyback_payment_units(p, price, 6) for p in parts) <= buyback_payment_units(
        sum(parts), price, 6
    )
