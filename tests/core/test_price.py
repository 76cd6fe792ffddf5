"""The directive price and the backing book's arithmetic (SPEC §8, ADR 0026)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.core.policy import Policy
from systok.core.price import (
    InflowKind,
    backing_units,
    counted_parts,
    counted_up_to,
    directive_price_units,
    spread_evenly,
)
from systok.core.quarters import Quarter
from systok.policy_files import load_policy_file

POLICIES = Path(__file__).resolve().parents[2] / "policies"
RUB = 100  # kopecks per rouble
STK = 10**6  # base units per STK


@pytest.fixture(scope="module")
def variant() -> Policy:
    return load_policy_file(POLICIES / "stk-2025-04.toml")


def test_seed_001_price_is_1_33_rub(variant: Policy) -> None:
    """Seed 001 [§Котировка]: 333 000 RUB a month for the quarter, half of it backing,
    1 500 000 RUB backing from earlier quarters, 500 000 + 1 000 000 STK → 1.33 RUB."""
    q = Quarter(2026, 3)
    revenue = 333_000 * 3 * RUB
    parts = counted_parts(InflowKind.SUBSCRIPTION, revenue, q, variant.backing, variant.price)
    assert parts == [(q, 499_500 * RUB)]
    backing = counted_up_to(parts, q) + 1_500_000 * RUB
    issued = (500_000 + 1_000_000) * STK
    price = directive_price_units(backing, issued, variant.stk_scale)
    # 1 999 500 / 1 500 000 = 1.3330 RUB: floored to the kopeck, 133.
    assert price == 133


def test_one_off_inflows_spread_with_the_remainder_last(variant: Policy) -> None:
    q = Quarter(2026, 1)
    parts = counted_parts(InflowKind.GRANT, 1_000_003, q, variant.backing, variant.price)
    assert parts == [
        (Quarter(2026, 1), 250_000),
        (Quarter(2026, 2), 250_000),
        (Quarter(2026, 3), 250_000),
        (Quarter(2026, 4), 250_003),
    ]
    # a donation gives the fund half (floored), spread the same way
    donation = counted_parts(InflowKind.DONATION, 1_001, q, variant.backing, variant.price)
    assert [units for _, units in donation] == [125, 125, 125, 125]
    assert backing_units(InflowKind.DONATION, 1_001, variant.backing) == 500
    assert counted_up_to(parts, Quarter(2026, 2)) == 500_000
    assert counted_up_to(parts, Quarter(2025, 4)) == 0


def test_no_price_without_issued_supply() -> None:
    assert directive_price_units(1_000, 0, 6) is None
    with pytest.raises(ValueError, match="non-negative"):
        directive_price_units(-1, 10, 6)
    with pytest.raises(ValueError, match="at least one quarter"):
        spread_evenly(10, 0)


@given(units=st.integers(0, 10**15), quarters=st.integers(1, 40))
def test_a_spread_sums_to_the_whole(units: int, quarters: int) -> None:
    parts = spread_evenly(units, quarters)
    assert sum(parts) == units and len(parts) == quarters
    assert all(p == parts[0] for p in parts[:-1]) and parts[-1] - parts[0] < quarters


@given(
    backing=st.integers(0, 10**15),
    more=st.integers(0, 10**12),
    issued=st.integers(1, 10**18),
)
def test_price_never_exceeds_backing_per_token_and_grows_with_backing(
    backing: int, more: int, issued: int
) -> None:
    price = directive_price_units(backing, issued, 6)
    assert price is not None
    # price × issued ≤ backing × 10^6 < (price + 1) × issued: floor, never above
    assert price * issued <= backing * STK < (price + 1) * issued
    higher = directive_price_units(backing + more, issued, 6)
    assert higher is not None and higher >= price


@given(
    kind=st.sampled_from(list(InflowKind)),
    amount=st.integers(1, 10**14),
    year=st.integers(2000, 2900),
    number=st.integers(1, 4),
)
def test_an_inflow_counts_exactly_its_backing_part_once_spread(
    kind: InflowKind, amount: int, year: int, number: int
) -> None:
    policy = load_policy_file(POLICIES / "stk-2025-04.toml")
    start = Quarter(year, number)
    parts = counted_parts(kind, amount, start, policy.backing, policy.price)
    quarters = [at for at, _ in parts]
    assert quarters[0] == start and quarters == sorted(set(quarters))
    assert counted_up_to(parts, start.previous()) == 0
    assert all(units >= 0 for _, units in parts)
    if kind.one_off:
        assert len(parts) == policy.price.one_off_spread_quarters
        assert counted_up_to(parts, quarters[-1]) == backing_units(kind, amount, policy.backing)
    else:
        assert parts == [(start, amount * policy.price.subscription_share_bps // 10_000)]
