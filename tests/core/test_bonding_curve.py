"""The bonding-curve quote derived from the directive price (SPEC §8, ADR 0035)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.core.bonding_curve import curve_quote
from systok.core.price import directive_price_units

RUB = 100  # kopecks per rouble
STK = 10**6  # base units per STK
SEED_BACKING = 1_999_500 * RUB  # seed 001: 499 500 + 1 500 000 RUB
SEED_ISSUED = 1_500_000 * STK


def test_seed_001_world_buying_15_000_stk() -> None:
    """Seed 001's price world: B₀ = 199 950 000 kopecks, S = 1 500 000 STK (1.33 RUB).

    Buying N = 15 000 STK: N/S = 0.01, e^0.01 − 1 = 0.010050167084168057…
    cost = 199 950 000 × 0.010050167084168057… = 2 009 530.908… kopecks → up: 2 009 531
    (20 095.31 RUB); average = ⌈2 009 531 / 15 000⌉ = ⌈133.968…⌉ = 134 kopecks;
    p₀ = 199 950 000 / 1 500 000 = 133.3 kopecks, marginal = 133.3 × e^0.01 = 134.639…
    → 135; directive = ⌊133.3⌋ = 133.
    """
    quote = curve_quote(SEED_BACKING, SEED_ISSUED, 15_000 * STK, 6)
    assert quote.cost_units == 2_009_531
    assert quote.average_price_units == 134
    assert quote.marginal_price_units == 135
    assert quote.directive_price_units == 133


def test_one_token_costs_the_starting_price_rounded_up() -> None:
    """N = 1 STK: 199 950 000 × (e^(1/1 500 000) − 1) = 133.30004… → 134 kopecks; the
    next token 133.3 × e^(1/1 500 000) = 133.30008… → 134."""
    quote = curve_quote(SEED_BACKING, SEED_ISSUED, STK, 6)
    assert (quote.cost_units, quote.average_price_units, quote.marginal_price_units) == (
        134,
        134,
        134,
    )


def test_nothing_bought_costs_nothing() -> None:
    """N = 0: e^0 − 1 = 0; no average; the next token is p₀ = 133.3 → 134 up."""
    quote = curve_quote(SEED_BACKING, SEED_ISSUED, 0, 6)
    assert (quote.cost_units, quote.average_price_units, quote.marginal_price_units) == (
        0,
        None,
        134,
    )


@pytest.mark.parametrize(
    ("backing", "issued", "buy"),
    [(-1, SEED_ISSUED, 1), (1, 0, 0), (1, SEED_ISSUED, -1), (1, 10, 11)],
)
def test_impossible_inputs_are_refused(backing: int, issued: int, buy: int) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        curve_quote(backing, issued, buy, 6)


worlds = st.tuples(
    st.integers(min_value=0, max_value=10**15),  # backing, kopecks
    st.integers(min_value=1, max_value=10**18),  # issued, STK base units
)


@given(worlds, st.data())
def test_monotone_and_never_below_the_directive_price(
    world: tuple[int, int], data: st.DataObject
) -> None:
    """More bought never costs less, nor raises the next price less; the cost is at
    least N × the directive price (e^x − 1 ≥ x, and the directive price is floored)."""
    backing, issued = world
    low = data.draw(st.integers(min_value=0, max_value=issued))
    high = data.draw(st.integers(min_value=low, max_value=issued))
    a, b = curve_quote(backing, issued, low, 6), curve_quote(backing, issued, high, 6)
    assert a.cost_units <= b.cost_units
    assert a.marginal_price_units <= b.marginal_price_units
    directive = directive_price_units(backing, issued, 6)
    assert directive is not None and b.directive_price_units == directive
    # cost ≥ ⌈N × directive / 10^6⌉ ⇔ cost × 10^6 ≥ N × directive (cost is whole)
    assert b.cost_units * STK >= high * directive
    if high == 0:
        assert b.cost_units == 0
    else:
        assert b.average_price_units is not None
        assert b.average_price_units >= directive
        assert b.average_price_units * high >= b.cost_units * STK
