"""Emission per week: halving boundaries, the 21M quarterly cap, and the fund split."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from systok.core.emission import (
    emission_between,
    emission_for_day,
    emission_for_week,
    fund_split,
    fund_split_for_week,
    halving_year_index,
    quarter_amount_for_index,
    quarter_bounds,
    quarter_index,
    quarter_schedule_end,
)
from systok.core.policy import HalvingEmission, Policy, QuarterlyDecayEmission
from systok.core.weeks import IsoWeek
from systok.policy_files import load_policy_file

POLICIES = Path(__file__).resolve().parents[2] / "policies"
STK = 10**6  # base units per STK in both shipped policies
DAILY_YEAR_0 = 2_739_726 * STK  # [002 §График эмиссии]
DAILY_YEAR_4 = 1_369_863 * STK


@pytest.fixture(scope="module")
def halving() -> Policy:
    return load_policy_file(POLICIES / "stk-2025-12.toml")


@pytest.fixture(scope="module")
def decay() -> Policy:
    return load_policy_file(POLICIES / "stk-2025-04.toml")


def halving_of(policy: Policy) -> HalvingEmission:
    assert isinstance(policy.emission, HalvingEmission)
    return policy.emission


def decay_of(policy: Policy) -> QuarterlyDecayEmission:
    assert isinstance(policy.emission, QuarterlyDecayEmission)
    return policy.emission


def weeks_from(first: IsoWeek, until: date) -> list[IsoWeek]:
    """Consecutive weeks starting at ``first`` whose Monday is before ``until``."""
    weeks = []
    week = first
    while week.monday < until:
        weeks.append(week)
        week = week.next()
    return weeks


# --- halving (default policy) -----------------------------------------------------------


def test_a_week_in_year_0_is_exactly_7_daily_amounts(halving: Policy) -> None:
    genesis_week = IsoWeek.containing(halving_of(halving).genesis_date)
    assert emission_for_week(halving, genesis_week) == 7 * DAILY_YEAR_0
    assert emission_for_week(halving, genesis_week) == 19_178_082 * STK
    assert emission_for_week(halving, IsoWeek(2026, 30)) == 7 * DAILY_YEAR_0


def test_week_across_the_first_halving_is_exact_per_day(halving: Policy) -> None:
    emission = halving_of(halving)
    # 4 emission years of 365 days; 2028 is a leap year, so the boundary is one day
    # before the calendar anniversary: Friday 2029-12-14.
    boundary = emission.genesis_date + timedelta(days=4 * 365)
    assert boundary == date(2029, 12, 14)
    assert halving_year_index(emission, boundary - timedelta(days=1)) == 3
    assert halving_year_index(emission, boundary) == 4
    week = IsoWeek.containing(boundary)
    assert emission.daily_amount(3) == DAILY_YEAR_0
    assert emission.daily_amount(4) == DAILY_YEAR_4
    # Monday..Thursday at the old amount, Friday..Sunday at the new one.
    assert emission_for_week(halving, week) == 4 * DAILY_YEAR_0 + 3 * DAILY_YEAR_4
    assert emission_for_week(halving, week.previous()) == 7 * DAILY_YEAR_0
    assert emission_for_week(halving, week.next()) == 7 * DAILY_YEAR_4


def test_before_genesis_emits_nothing(halving: Policy, decay: Policy) -> None:
    for policy in (halving, decay):
        genesis = policy.emission.genesis_date
        week_before = IsoWeek.containing(genesis - timedelta(days=7))
        assert emission_for_week(policy, week_before) == 0
        assert emission_for_day(policy, genesis - timedelta(days=1)) == 0
        assert emission_between(policy, date(2000, 1, 1), genesis) == 0
        assert fund_split_for_week(policy, week_before) == dict.fromkeys(policy.funds.split, 0)


def test_a_week_straddling_genesis_emits_only_its_days_after_genesis(halving: Policy) -> None:
    # Move genesis to a Thursday (a hypothetical schedule): Thu..Sun are 4 days.
    moved = dataclasses.replace(
        halving, emission=dataclasses.replace(halving_of(halving), genesis_date=date(2026, 1, 8))
    )
    assert emission_for_week(moved, IsoWeek(2026, 2)) == 4 * DAILY_YEAR_0


def test_empty_and_reversed_ranges_emit_nothing(halving: Policy) -> None:
    day = date(2026, 3, 3)
    assert emission_between(halving, day, day) == 0
    assert emission_between(halving, day, day - timedelta(days=5)) == 0


def test_one_emission_year_is_365_daily_amounts(halving: Policy) -> None:
    genesis = halving_of(halving).genesis_date
    assert emission_between(halving, genesis, genesis + timedelta(days=365)) == 365 * DAILY_YEAR_0
    # Floored daily amounts: a little under the nominal 1 000 000 000 STK.
    assert 365 * DAILY_YEAR_0 == 999_999_990 * STK


def test_halving_emission_reaches_zero_and_stays_there(halving: Policy) -> None:
    emission = halving_of(halving)
    genesis = emission.genesis_date
    far = genesis + timedelta(days=365 * 400)
    assert emission_for_day(halving, far) == 0
    first_zero_year = next(y for y in range(1000) if emission.daily_amount(y) == 0)
    total = emission_between(halving, genesis, far)
    expected = sum(365 * emission.daily_amount(y) for y in range(first_zero_year))
    assert total == expected


def test_year_index_is_refused_before_genesis(halving: Policy) -> None:
    emission = halving_of(halving)
    with pytest.raises(ValueError, match="before genesis"):
        halving_year_index(emission, emission.genesis_date - timedelta(days=1))


# --- quarterly decay, 21 000 000 cap (variant policy) -----------------------------------


def test_quarters_are_calendar_quarters_from_genesis(decay: Policy) -> None:
    emission = decay_of(decay)
    assert emission.genesis_date == date(2025, 4, 1)
    assert quarter_bounds(emission, 0) == (date(2025, 4, 1), date(2025, 7, 1))
    assert quarter_bounds(emission, 3) == (date(2026, 1, 1), date(2026, 4, 1))
    assert quarter_index(emission, date(2025, 6, 30)) == 0
    assert quarter_index(emission, date(2025, 7, 1)) == 1
    assert quarter_index(emission, date(2026, 3, 31)) == 3
    with pytest.raises(ValueError, match="before genesis"):
        quarter_index(emission, date(2025, 3, 31))


def test_all_quarters_sum_to_exactly_21_million(decay: Policy) -> None:
    emission = decay_of(decay)
    amounts = list(emission.quarter_amounts())
    assert sum(amounts) == 21_000_000 * STK == emission.total_supply
    assert amounts[0] == 500_000 * STK
    end = quarter_schedule_end(emission)
    assert emission_between(decay, emission.genesis_date, end) == 21_000_000 * STK
    # Nothing more, ever.
    assert emission_between(decay, date(1900, 1, 1), date(2600, 1, 1)) == 21_000_000 * STK
    assert emission_for_day(decay, end) == 0
    assert quarter_amount_for_index(emission, len(amounts)) == 0


def test_quarter_amounts_never_increase(decay: Policy) -> None:
    amounts = list(decay_of(decay).quarter_amounts())
    assert all(later <= earlier for earlier, later in itertools.pairwise(amounts))
    # tail = "emit_quantum": once floor(remaining / 42) is under one STK, each quarter
    # mints one STK until the cap is reached — no lump at the end.
    assert amounts[-42:] == [1 * STK] * 42
    assert sum(amounts) == 21_000_000 * STK
    assert amounts[1] < amounts[0]  # 500 000 × 41/42, floored to whole STK
    assert amounts[1] == 488_095 * STK


def test_days_of_a_quarter_sum_to_its_amount(decay: Policy) -> None:
    emission = decay_of(decay)
    for index in (0, 1, 2, 3, 4, 100, 569):
        start, end = quarter_bounds(emission, index)
        days = [start + timedelta(days=n) for n in range((end - start).days)]
        per_day = [emission_for_day(decay, day) for day in days]
        assert sum(per_day) == quarter_amount_for_index(emission, index)
        # Spread evenly: days differ by at most one base unit, earlier days first.
        assert max(per_day) - min(per_day) <= 1
        assert per_day == sorted(per_day, reverse=True)


def test_weeks_straddling_quarters_sum_to_the_quarters(decay: Policy) -> None:
    emission = decay_of(decay)
    genesis_week = IsoWeek.containing(emission.genesis_date)
    # Genesis 2025-04-01 is a Tuesday: the Monday before emits nothing.
    assert genesis_week.monday == date(2025, 3, 31)
    q0_start, q0_end = quarter_bounds(emission, 0)
    straddling = IsoWeek.containing(q0_end)
    assert straddling.monday < q0_end  # 2025-07-01 is a Tuesday
    # Monday 2025-06-30 is Q0's last day (91 days, the remainder went to earlier days);
    # Tuesday..Sunday are Q1's first six days (92 days, remainder 72: each gets +1).
    q0_floor, _ = divmod(quarter_amount_for_index(emission, 0), (q0_end - q0_start).days)
    q1_floor, q1_remainder = divmod(quarter_amount_for_index(emission, 1), 92)
    assert q1_remainder >= 6
    assert emission_for_week(decay, straddling) == q0_floor + 6 * (q1_floor + 1)
    # All weeks touching the first four quarters == those quarters, since the weeks
    # before genesis and after the last day contribute only the edges we add back.
    q3_end = quarter_bounds(emission, 3)[1]
    weeks = weeks_from(genesis_week, q3_end)
    weekly_total = sum(emission_for_week(decay, week) for week in weeks)
    tail = emission_between(decay, q3_end, weeks[-1].monday + timedelta(days=7))
    assert weekly_total - tail == sum(quarter_amount_for_index(emission, i) for i in range(4))


def test_every_week_of_the_schedule_sums_to_the_cap(decay: Policy) -> None:
    emission = decay_of(decay)
    weeks = weeks_from(IsoWeek.containing(emission.genesis_date), quarter_schedule_end(emission))
    assert sum(emission_for_week(decay, week) for week in weeks) == emission.total_supply


def test_the_tail_emits_one_quantum_a_quarter(decay: Policy) -> None:
    emission = decay_of(decay)
    amounts = list(emission.quarter_amounts())
    remaining_before_last = emission.total_supply - sum(amounts[:-1])
    assert amounts[-1] == remaining_before_last == emission.amount_quantum
    assert emission.quarter_amount(41 * STK) == emission.amount_quantum
    assert emission.quarter_amount(0) == 0


# --- properties of both schedules --------------------------------------------------------

DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2200, 12, 31))


@settings(max_examples=200, deadline=None)
@given(a=DAYS, b=DAYS, c=DAYS)
def test_emission_is_additive_over_ranges(halving: Policy, decay: Policy, a, b, c) -> None:
    first, middle, last = sorted((a, b, c))
    for policy in (halving, decay):
        whole = emission_between(policy, first, last)
        assert whole == emission_between(policy, first, middle) + emission_between(
            policy, middle, last
        )
        assert whole >= 0


@settings(max_examples=100, deadline=None)
@given(day=DAYS, length_days=st.integers(0, 40))
def test_a_range_is_the_sum_of_its_days(halving: Policy, decay: Policy, day, length_days) -> None:
    for policy in (halving, decay):
        end = day + timedelta(days=length_days)
        per_day = sum(emission_for_day(policy, day + timedelta(days=n)) for n in range(length_days))
        assert emission_between(policy, day, end) == per_day


# --- fund split ---------------------------------------------------------------------------


def test_fund_split_sums_to_the_weeks_emission(halving: Policy, decay: Policy) -> None:
    for policy, week in (
        (halving, IsoWeek(2026, 10)),
        (halving, IsoWeek.containing(date(2029, 12, 14))),
        (decay, IsoWeek(2025, 14)),
        (decay, IsoWeek(2025, 27)),
        (decay, IsoWeek(2030, 5)),
    ):
        parts = fund_split_for_week(policy, week)
        assert set(parts) == set(policy.funds.split)
        assert sum(parts.values()) == emission_for_week(policy, week)


def test_fund_split_follows_the_shares_with_the_remainder_to_rewards(halving: Policy) -> None:
    parts = fund_split_for_week(halving, IsoWeek(2026, 10))
    week_units = 7 * DAILY_YEAR_0
    assert parts["treasury"] == week_units * 2000 // 10_000
    assert parts["startup"] == week_units * 1500 // 10_000
    assert parts["team"] == week_units * 1000 // 10_000
    assert parts["liquidity"] == week_units * 500 // 10_000
    assert parts["rewards"] == week_units - sum(v for name, v in parts.items() if name != "rewards")


@given(amount_units=st.integers(0, 10**18))
def test_fund_split_of_any_amount_is_exact(halving: Policy, amount_units: int) -> None:
    parts = fund_split(halving, amount_units)
    assert sum(parts.values()) == amount_units
    assert all(part >= 0 for part in parts.values())
