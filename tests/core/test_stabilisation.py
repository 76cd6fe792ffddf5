"""Stabilisation triggers (``systok.core.stabilisation``): each rule of the shipped
policies at its threshold, missing inputs, order."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.core.health import assess, health_of, measure
from systok.core.policy import Policy, StabilisationRule
from systok.core.stabilisation import (
    PRICE_CHANGE,
    Direction,
    Proposal,
    Unevaluated,
    evaluate,
    metric_values,
    price_change_percent,
    stabilise,
)
from systok.policy_files import load_policy_file
from tests.core.test_health import small_ledger

POLICIES = Path(__file__).resolve().parents[2] / "policies"
POLICY_FILES = ("stk-2025-12.toml", "stk-2025-04.toml")
EPSILON = Fraction(1, 10**6)
QUIET = {"inflation_yearly": Fraction(4), "velocity": Fraction(1), PRICE_CHANGE: Fraction(0)}


@pytest.fixture(scope="module", params=POLICY_FILES)
def policy(request: pytest.FixtureRequest) -> Policy:
    return load_policy_file(POLICIES / request.param)


def fired(policy: Policy, **values: Fraction | None) -> list[str]:
    outcome = evaluate(policy.stabilisation, {**QUIET, **values})
    return [p.rule for p in outcome.proposals]


def test_price_change_is_exact_percent() -> None:
    assert price_change_percent(10_000, 8_000) == -20
    assert price_change_percent(10_000, 7_999) == Fraction(-2001, 100)
    assert price_change_percent(133, 150) == Fraction(1700, 133)
    assert price_change_percent(None, 150) is None
    assert price_change_percent(0, 150) is None
    assert price_change_percent(150, None) is None


def test_buyback_fires_on_a_fall_of_more_than_20_percent(policy: Policy) -> None:
    # Prices in kopecks: 100.00 RUB → 80.00 is a fall of exactly 20 %: quiet.
    assert fired(policy, price_change=price_change_percent(10_000, 8_000)) == []
    # 100.00 → 79.99 is a fall of 20.01 %: the treasury is asked to buy back.
    outcome = evaluate(
        policy.stabilisation, {**QUIET, PRICE_CHANGE: price_change_percent(10_000, 7_999)}
    )
    assert outcome.proposals == (
        Proposal(
            rule="buyback",
            metric="price_change",
            value=Fraction(-2001, 100),
            direction=Direction.BELOW,
            threshold=Decimal("-20"),
            action="treasury buys back tokens",
            step_bps=None,
            automatic=False,
        ),
    )
    assert outcome.unevaluated == ()


def test_burn_fires_when_velocity_is_below_0_2(policy: Policy) -> None:
    assert fired(policy, velocity=Fraction(2, 10)) == []
    assert fired(policy, velocity=Fraction(2, 10) - EPSILON) == ["burn"]
    assert fired(policy, velocity=Fraction(0)) == ["burn"]


def test_emission_slows_when_inflation_is_above_10_percent(policy: Policy) -> None:
    assert fired(policy, inflation_yearly=Fraction(10)) == []
    outcome = evaluate(policy.stabilisation, {**QUIET, "inflation_yearly": 10 + EPSILON})
    (proposal,) = outcome.proposals
    assert (proposal.rule, proposal.step_bps, proposal.direction) == (
        "emission_adjustment",
        2500,
        Direction.ABOVE,
    )
    assert (proposal.threshold, proposal.action) == (Decimal("10"), "slow emission")


def test_fee_rises_when_velocity_is_above_5(policy: Policy) -> None:
    assert fired(policy, velocity=Fraction(5)) == []
    assert fired(policy, velocity=5 + EPSILON) == ["fee_adjustment"]
    (proposal,) = evaluate(policy.stabilisation, {**QUIET, "velocity": Fraction(6)}).proposals
    assert (proposal.step_bps, proposal.automatic) == (10, False)


def test_nothing_fires_on_missing_inputs(policy: Policy) -> None:
    outcome = evaluate(policy.stabilisation, {PRICE_CHANGE: None, "velocity": None})
    assert outcome.proposals == ()
    assert outcome.unevaluated == (
        Unevaluated("burn", "velocity", "no value for this period"),
        Unevaluated("buyback", "price_change", "no value for this period"),
        Unevaluated("emission_adjustment", "inflation_yearly", "the metric was not given"),
        Unevaluated("fee_adjustment", "velocity", "no value for this period"),
    )


def test_proposals_come_in_rule_name_order(policy: Policy) -> None:
    values = {PRICE_CHANGE: Fraction(-50), "velocity": Fraction(0), "inflation_yearly": 99}
    assert fired(policy, **values) == ["burn", "buyback", "emission_adjustment"]


def test_the_hand_computed_ledger_feeds_the_triggers(policy: Policy) -> None:
    readings = assess(measure(small_ledger()), policy.health)
    values = metric_values(readings, price_change_percent(133, 100))  # −24.8 %
    outcome = evaluate(policy.stabilisation, values)
    assert [p.rule for p in outcome.proposals] == ["buyback"]
    assert outcome.proposals[0].value == Fraction(-3300, 133)
    assert values["inflation_yearly"] == 4 and values["velocity"] == Fraction(3, 2)


thresholds = st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False)


@given(thresholds, st.booleans(), st.fractions(min_value=-2000, max_value=2000))
def test_a_rule_fires_exactly_when_strictly_beyond(
    threshold: Decimal, below: bool, value: Fraction
) -> None:
    rule = StabilisationRule(
        name="r",
        metric="m",
        trigger_below=threshold if below else None,
        trigger_above=None if below else threshold,
        action="act",
        step_bps=None,
        automatic=True,
    )
    outcome = evaluate({"r": rule}, {"m": value})
    beyond = value < threshold if below else value > threshold
    assert bool(outcome.proposals) == beyond
    assert outcome.unevaluated == ()
    if beyond:
        assert outcome.proposals[0].automatic


def test_stabilise_reads_the_policy_and_both_prices(policy: Policy) -> None:
    readings = health_of(policy, small_ledger())
    fell = stabilise(policy, readings, previous_price_units=10_000, current_price_units=7_999)
    assert [p.rule for p in fell.proposals] == ["buyback"]
    first = stabilise(policy, readings, previous_price_units=None, current_price_units=133)
    assert first.proposals == ()
    assert first.unevaluated == (
        Unevaluated("buyback", "price_change", "no value for this period"),
    )
