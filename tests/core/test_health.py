"""Health metrics (``systok.core.health``): exact definitions, units and the rating."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.core.health import (
    METRICS,
    WEEKS_PER_YEAR,
    HealthInputs,
    HealthStatus,
    Metric,
    Reading,
    assess,
    classify,
    fraction_text,
    in_unit,
    measure,
)
from systok.core.policy import HealthMetric, Policy
from systok.core.quarters import QUARTERS_PER_YEAR
from systok.policy_files import load_policy_file

POLICIES = Path(__file__).resolve().parents[2] / "policies"
POLICY_FILES = ("stk-2025-12.toml", "stk-2025-04.toml")
EPSILON = Fraction(1, 10**6)


@pytest.fixture(scope="module", params=POLICY_FILES)
def policy(request: pytest.FixtureRequest) -> Policy:
    return load_policy_file(POLICIES / request.param)


def small_ledger() -> HealthInputs:
    """A hand-computed quarter (base units; the numbers are small on purpose).

    Supply at the quarter's start 10 000; 150 minted and 50 burned in the quarter, so
    the supply at the close is 10 100. Members held 3 000 spendable at the start and
    5 000 at the close; they spent 6 000 (transfers and purchases). Eight members hold
    tokens — 500, six of 1 000, and 1 500 (8 000 posted, 3 000 of it held) — and two of
    them were active. 3 030 are held in all (3 000 members' vesting, 30 escrow); the
    treasury holds 404.

    - inflation_yearly = (150 − 50) / 10 000 × 4 = 0.04 → 4 %: ok (target ≤ 5).
    - velocity = 6 000 / ((3 000 + 5 000) / 2) × 4 / 4 = 1.5: ok (0.5–2.0).
    - active_wallets = 2 / 8 = 0.25 → 25 %: warning (target ≥ 30, critical < 10).
    - frozen_tokens = 3 030 / 10 100 = 0.3 → 30 %: warning (target ≤ 20, critical > 40).
    - treasury = 404 / 10 100 = 0.04 → 4 %: critical (< 5).
    - gini over [500, 1000 ×6, 1500]: Σ i·x = 500 + (2+…+7)·1000 + 8·1500 = 39 500;
      (2·39 500 − 9·8 000) / (8·8 000) = 7 000 / 64 000 = 7/64 = 0.109375: unrated.
    """
    return HealthInputs(
        periods_per_year=QUARTERS_PER_YEAR,
        supply_start_units=10_000,
        issued_units=150,
        burned_units=50,
        circulating_start_units=3_000,
        circulating_end_units=5_000,
        transaction_volume_units=6_000,
        holders=8,
        active_holders=2,
        frozen_units=3_030,
        treasury_units=404,
        member_balances=(1_000, 1_000, 1_500, 1_000, 1_000, 500, 1_000, 1_000),
    )


def test_each_metric_on_a_hand_computed_ledger() -> None:
    values = measure(small_ledger())
    assert dict(values) == {
        "inflation_yearly": Fraction(4, 100),
        "velocity": Fraction(3, 2),
        "active_wallets": Fraction(1, 4),
        "frozen_tokens": Fraction(3, 10),
        "treasury": Fraction(4, 100),
        "gini": Fraction(7, 64),
    }
    assert tuple(values) == METRICS


def test_the_hand_computed_ledger_rated_by_each_shipped_policy(policy: Policy) -> None:
    readings = assess(measure(small_ledger()), policy.health)
    assert readings == (
        Reading("inflation_yearly", "percent", Fraction(4), HealthStatus.OK),
        Reading("velocity", "ratio", Fraction(3, 2), HealthStatus.OK),
        Reading("active_wallets", "percent", Fraction(25), HealthStatus.WARNING),
        Reading("frozen_tokens", "percent", Fraction(30), HealthStatus.WARNING),
        Reading("treasury", "percent", Fraction(4), HealthStatus.CRITICAL),
        Reading("gini", "ratio", Fraction(7, 64), HealthStatus.UNRATED),
    )


def test_a_week_annualises_by_52_and_reads_velocity_per_quarter() -> None:
    week = dataclasses.replace(small_ledger(), periods_per_year=WEEKS_PER_YEAR)
    values = measure(week)
    assert values["inflation_yearly"] == Fraction(100 * 52, 10_000)  # 52 %
    assert values["velocity"] == Fraction(6_000, 4_000) * 13  # a week's spending × 13


def test_zero_denominators_give_no_value_and_nothing_else_changes() -> None:
    empty = HealthInputs(4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ())
    values = measure(empty)
    assert values["gini"] == 0
    assert all(values[m] is None for m in METRICS if m != "gini")
    readings = assess(values, {})
    assert [r.status for r in readings] == [HealthStatus.NO_VALUE] * 5 + [HealthStatus.UNRATED]


def test_a_metric_only_the_policy_names_has_no_value() -> None:
    bounds = HealthMetric("holder_growth", "percent", Decimal(1), None, Decimal(0), None)
    readings = assess(measure(small_ledger()), {"holder_growth": bounds})
    assert readings[-1] == Reading("holder_growth", "percent", None, HealthStatus.NO_VALUE)


def test_deflation_is_negative_inflation() -> None:
    burning = dataclasses.replace(small_ledger(), issued_units=0, burned_units=250)
    assert measure(burning)["inflation_yearly"] == Fraction(-250 * 4, 10_000)


BOUND_CASES = [
    # metric, value (in the policy's unit), status: each bound of the shipped policies
    # (identical in both) exactly, and one millionth on either side of it.
    ("inflation_yearly", Fraction(5), HealthStatus.OK),
    ("inflation_yearly", 5 + EPSILON, HealthStatus.WARNING),
    ("inflation_yearly", Fraction(10), HealthStatus.WARNING),
    ("inflation_yearly", 10 + EPSILON, HealthStatus.CRITICAL),
    ("inflation_yearly", Fraction(-50), HealthStatus.OK),  # no lower bound
    ("velocity", Fraction(2, 10) - EPSILON, HealthStatus.CRITICAL),
    ("velocity", Fraction(2, 10), HealthStatus.WARNING),
    ("velocity", Fraction(1, 2) - EPSILON, HealthStatus.WARNING),
    ("velocity", Fraction(1, 2), HealthStatus.OK),
    ("velocity", Fraction(2), HealthStatus.OK),
    ("velocity", 2 + EPSILON, HealthStatus.WARNING),
    ("velocity", Fraction(5), HealthStatus.WARNING),
    ("velocity", 5 + EPSILON, HealthStatus.CRITICAL),
    ("active_wallets", 10 - EPSILON, HealthStatus.CRITICAL),
    ("active_wallets", Fraction(10), HealthStatus.WARNING),
    ("active_wallets", 30 - EPSILON, HealthStatus.WARNING),
    ("active_wallets", Fraction(30), HealthStatus.OK),
    ("active_wallets", Fraction(100), HealthStatus.OK),
    ("frozen_tokens", Fraction(0), HealthStatus.OK),
    ("frozen_tokens", Fraction(20), HealthStatus.OK),
    ("frozen_tokens", 20 + EPSILON, HealthStatus.WARNING),
    ("frozen_tokens", Fraction(40), HealthStatus.WARNING),
    ("frozen_tokens", 40 + EPSILON, HealthStatus.CRITICAL),
    ("treasury", 5 - EPSILON, HealthStatus.CRITICAL),
    ("treasury", Fraction(5), HealthStatus.WARNING),
    ("treasury", 15 - EPSILON, HealthStatus.WARNING),
    ("treasury", Fraction(15), HealthStatus.OK),
]


@pytest.mark.parametrize(("metric", "value", "status"), BOUND_CASES)
def test_every_bound_of_the_shipped_policies(
    policy: Policy, metric: str, value: Fraction, status: HealthStatus
) -> None:
    assert classify(value, policy.health[metric]) is status


def test_velocity_zero_is_critical(policy: Policy) -> None:
    assert classify(Fraction(0), policy.health["velocity"]) is HealthStatus.CRITICAL


def test_units() -> None:
    assert in_unit(Fraction(1, 8), "percent") == Fraction(25, 2)
    assert in_unit(Fraction(1, 8), "ratio") == Fraction(1, 8)
    with pytest.raises(ValueError, match="unit must be 'percent' or 'ratio'"):
        in_unit(Fraction(1), "bps")


def test_fraction_text_floors_toward_minus_infinity() -> None:
    assert fraction_text(Fraction(7, 64)) == "0.109375"
    assert fraction_text(Fraction(2, 3)) == "0.666666"
    assert fraction_text(Fraction(-2, 3)) == "-0.666667"
    assert fraction_text(Fraction(-1, 10**7)) == "-0.000001"
    assert fraction_text(Fraction(52), 2) == "52.00"
    assert fraction_text(Fraction(7, 2), 0) == "3"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"holders": -1}, "holders must be a non-negative integer"),
        ({"periods_per_year": 0}, "periods_per_year must be at least 1"),
        ({"burned_units": 20_000}, "burned_units 20000 exceeds supply_start_units"),
        ({"active_holders": 9}, "active_holders 9 exceeds holders 8"),
        ({"frozen_units": 10_101}, "frozen_units 10101 exceeds the supply at the close"),
        ({"treasury_units": 10_101}, "treasury_units 10101 exceeds the supply"),
        ({"circulating_start_units": 10_001}, "circulating_start_units 10001 exceeds"),
        ({"member_balances": (0,)}, "member_balances must be positive integers"),
        ({"member_balances": (10_000, 101)}, "member_balances add up to more than"),
        ({"issued_units": 1.5}, "issued_units must be a non-negative integer"),
    ],
)
def test_impossible_inputs_are_refused_naming_the_field(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(small_ledger(), **change)


@st.composite
def consistent_inputs(draw: st.DrawFn) -> HealthInputs:
    balances = draw(st.lists(st.integers(1, 10**12), max_size=30))
    supply_end = sum(balances) + draw(st.integers(0, 10**12))
    issued = draw(st.integers(0, supply_end))
    burned = draw(st.integers(0, 10**12))
    holders = draw(st.integers(0, 50))
    supply_start = supply_end - issued + burned
    return HealthInputs(
        periods_per_year=draw(st.sampled_from([QUARTERS_PER_YEAR, WEEKS_PER_YEAR, 1])),
        supply_start_units=supply_start,
        issued_units=issued,
        burned_units=burned,
        circulating_start_units=draw(st.integers(0, supply_start)),
        circulating_end_units=draw(st.integers(0, supply_end)),
        transaction_volume_units=draw(st.integers(0, 10**14)),
        holders=holders,
        active_holders=draw(st.integers(0, holders)),
        frozen_units=draw(st.integers(0, supply_end)),
        treasury_units=draw(st.integers(0, supply_end)),
        member_balances=tuple(balances),
    )


@given(consistent_inputs())
def test_shares_lie_in_0_1_gini_below_1_and_rates_are_bounded(inputs: HealthInputs) -> None:
    values = measure(inputs)
    for share in ("active_wallets", "frozen_tokens", "treasury"):
        value = values[share]
        assert value is None or 0 <= value <= 1
    assert 0 <= values["gini"] < 1  # type: ignore[operator]
    velocity = values["velocity"]
    assert velocity is None or velocity >= 0
    inflation = values["inflation_yearly"]
    assert inflation is None or inflation >= -inputs.periods_per_year  # cannot burn > supply


@given(consistent_inputs(), st.sampled_from(POLICY_FILES))
def test_statuses_follow_the_bounds(inputs: HealthInputs, file: str) -> None:
    policy = load_policy_file(POLICIES / file)
    for reading in assess(measure(inputs), policy.health):
        bounds = policy.health.get(reading.metric)
        if reading.value is None:
            assert reading.status is HealthStatus.NO_VALUE
            continue
        if bounds is None:
            assert reading.status is HealthStatus.UNRATED
            continue
        value = reading.value
        beyond = (bounds.critical_below is not None and value < bounds.critical_below) or (
            bounds.critical_above is not None and value > bounds.critical_above
        )
        within = (bounds.target_min is None or value >= bounds.target_min) and (
            bounds.target_max is None or value <= bounds.target_max
        )
        assert (reading.status is HealthStatus.CRITICAL) == beyond
        assert (reading.status is HealthStatus.OK) == (within and not beyond)


def test_metric_names_match_the_policy(policy: Policy) -> None:
    assert set(policy.health) <= set(METRICS)
    assert {str(m) for m in Metric} == set(METRICS)
