"""The spread of member balances and the supply identity (``systok.core.distribution``)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from systok.core.distribution import (
    TypeTotals,
    decade_buckets,
    distribution_of,
    gini_text,
    nearest_rank,
    supply_of,
    top_holders,
)

STK_SCALE = 6
balances_st = st.lists(st.integers(min_value=1, max_value=10**15), max_size=60).map(sorted)


def test_gini_golden_values():
    # (2·(100 + 200 + 900) − 4·500) / (3·500) = 0.2666…, floored.
    assert gini_text([100, 100, 300]) == "0.266666"
    assert gini_text([]) == "0.000000"
    assert gini_text([5, 5, 5, 5]) == "0.000000"
    # One of two holds (almost) everything: G → (n − 1) / n = 0.5.
    assert gini_text([1, 10**12]) == "0.499999"


@given(balances_st)
def test_gini_is_the_exact_formula_floored_and_within_bounds(balances):
    text = gini_text(balances)
    whole, _, decimals = text.partition(".")
    assert whole == "0" and len(decimals) == 6
    if balances:
        n, total = len(balances), sum(balances)
        weighted = sum(i * x for i, x in enumerate(balances, start=1))
        exact = Fraction(2 * weighted - (n + 1) * total, n * total)
        assert Fraction(int(decimals), 10**6) <= exact < Fraction(int(decimals) + 1, 10**6)


@given(balances_st, st.integers(min_value=2, max_value=1000))
def test_gini_ignores_the_unit(balances, factor):
    assert gini_text([b * factor for b in balances]) == gini_text(balances)


def test_nearest_rank_golden_values():
    assert nearest_rank([], 50) == 0
    assert nearest_rank([100, 100, 300], 50) == 100
    assert nearest_rank(list(range(1, 101)), 90) == 90
    assert nearest_rank(list(range(1, 101)), 99) == 99
    assert nearest_rank([7], 1) == 7


@given(balances_st.filter(bool), st.integers(min_value=1, max_value=100))
def test_nearest_rank_is_a_balance_with_at_least_that_share_at_or_below_it(balances, percent):
    value = nearest_rank(balances, percent)
    assert value in balances
    at_or_below = sum(1 for b in balances if b <= value)
    assert at_or_below * 100 >= percent * len(balances)


@given(balances_st, st.integers(min_value=1, max_value=80))
def test_top_holders_are_the_largest_in_order_with_floored_shares(balances, count):
    top = top_holders(balances, count)
    assert [h.units for h in top] == sorted(balances, reverse=True)[:count]
    assert [h.rank for h in top] == list(range(1, len(top) + 1))
    total = sum(balances)
    for holder in top:
        assert holder.share_bps == holder.units * 10_000 // total


@given(balances_st)
def test_buckets_partition_the_holders(balances):
    buckets = decade_buckets(balances, STK_SCALE)
    assert len(buckets) == 8 and buckets[-1].high_units is None
    assert sum(b.holders for b in buckets) == len(balances)
    assert sum(b.units for b in buckets) == sum(balances)
    for bucket in buckets:
        inside = [x for x in balances if bucket.low_units <= x]
        if bucket.high_units is not None:
            inside = [x for x in inside if x < bucket.high_units]
        assert bucket.holders == len(inside)


def test_distribution_golden():
    spread = distribution_of([100, 100, 300], top_count=2, scale=STK_SCALE)
    assert (spread.holders, spread.total_units, spread.median_units) == (3, 500, 100)
    assert (spread.p90_units, spread.p99_units, spread.gini) == (300, 300, "0.266666")
    assert [(h.units, h.share_bps) for h in spread.top] == [(300, 6000), (100, 2000)]


def test_supply_is_minus_world_minus_burned():
    supply = supply_of(
        {
            "burn": TypeTotals(1, 50, 0),
            "member": TypeTotals(3, 700, 200),
            "hold:vesting": TypeTotals(1, 250, 0),
            "escrow": TypeTotals(1, 0, 30),
            "world": TypeTotals(1, -1000, 0),
        }
    )
    assert (supply.issued_units, supply.burned_units, supply.supply_units) == (1000, 50, 950)
    assert (supply.circulating_units, supply.frozen_units) == (500, 230)
    assert supply_of({}).supply_units == 0
