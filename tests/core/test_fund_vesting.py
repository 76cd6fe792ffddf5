"""Fund vesting (``systok.core.fund_vesting``): quarterly releases of a linear grant."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.core.fund_vesting import (
    Grant,
    Release,
    fund_grant,
    initial_sale_grant,
    release_schedule,
    released_in,
    tranche,
    vested_by,
)
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.policy_files import load_policy_file

POLICIES = Path(__file__).resolve().parents[2] / "policies"
STK = 10**6


@pytest.fixture(scope="module")
def decay() -> Policy:
    return load_policy_file(POLICIES / "stk-2025-04.toml")


@pytest.fixture(scope="module")
def halving() -> Policy:
    return load_policy_file(POLICIES / "stk-2025-12.toml")


def test_the_startup_funds_schedule_for_its_first_emission(decay: Policy) -> None:
    """stk-2025-04's first quarter (2025-Q2, from the genesis 2025-04-01) mints 500 000
    STK; the startup fund's 15 % is 75 000 STK = 75 000 000 000 base units, vesting over
    1 095 days from 2025-04-01, so whole by the end of 2028-03-30 (2028 is a leap year).

    vested(d) = floor(75e9 × elapsed / 1095), elapsed = days from 2025-04-01 through
    the quarter's last day: 91 → floor(6 232 876 712.33) = 6 232 876 712; 183 →
    12 534 246 575; 275 → 18 835 616 438; 365 → exactly 25e9 (a third); and so on each
    year; 2028-Q1 ends on day 1 096, capped at 1 095 → all 75e9. A release is
    the difference of consecutive vested amounts.
    """
    grant = fund_grant(decay, "startup", 75_000 * STK, date(2025, 4, 1))
    assert grant == Grant(75_000_000_000, date(2025, 4, 1), 1095)
    assert grant.completed_on == date(2028, 3, 30)
    year = (6_232_876_712, 6_301_369_863, 6_301_369_863, 6_164_383_562)
    quarters = [Quarter(2025, 2)]
    while len(quarters) < 12:
        quarters.append(quarters[-1].next())
    assert release_schedule(grant) == tuple(
        Release(q, units) for q, units in zip(quarters, year * 3, strict=True)
    )
    assert sum(year) * 3 == 75_000_000_000
    assert vested_by(grant, date(2026, 3, 31)) == 25_000_000_000


def test_a_purchase_in_the_initial_sale_vests_over_a_year(decay: Policy) -> None:
    """1 000 units bought on 2026-02-15, 365 days: quarters end at elapsed 45, 136, 228,
    320 and (capped) 365 → vested 123, 372, 624, 876, 1 000."""
    grant = initial_sale_grant(decay, 1_000, date(2026, 2, 15))
    assert grant.vesting_days == 365
    assert [r.units for r in release_schedule(grant)] == [123, 249, 252, 252, 124]
    assert release_schedule(grant)[-1].quarter == Quarter(2027, 1)


def test_funds_without_vesting_release_at_once(decay: Policy) -> None:
    grant = fund_grant(decay, "treasury", 999, date(2025, 5, 20))
    assert release_schedule(grant) == (Release(Quarter(2025, 2), 999),)
    assert released_in(grant, Quarter(2025, 1)) == 0
    assert released_in(grant, Quarter(2025, 3)) == 0


def test_refusals_name_the_field(decay: Policy, halving: Policy) -> None:
    with pytest.raises(ValueError, match=r"fund 'bounty' is not in the policy's funds\.split"):
        fund_grant(decay, "bounty", 1, date(2025, 4, 1))
    with pytest.raises(ValueError, match="has no initial_sale section"):
        initial_sale_grant(halving, 1, date(2026, 1, 1))
    with pytest.raises(ValueError, match="units must be a non-negative integer"):
        Grant(-1, date(2026, 1, 1), 10)
    with pytest.raises(ValueError, match="vesting_days must be a non-negative integer"):
        Grant(1, date(2026, 1, 1), -10)


def test_nothing_vests_before_the_start_and_everything_by_the_last_day() -> None:
    grant = Grant(10, date(2026, 3, 31), 2)
    assert grant.completed_on == date(2026, 4, 1)
    assert vested_by(grant, date(2026, 3, 30)) == 0
    assert vested_by(grant, date(2026, 3, 31)) == 5
    assert vested_by(grant, date(2026, 4, 1)) == 10
    assert release_schedule(grant) == (Release(Quarter(2026, 1), 5), Release(Quarter(2026, 2), 5))
    on_the_first_day = Grant(7, date(2026, 4, 1), 0)
    assert release_schedule(on_the_first_day) == (Release(Quarter(2026, 2), 7),)


grants = st.builds(
    Grant,
    units=st.integers(0, 10**18),
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    vesting_days=st.integers(0, 5 * 366),
)


@given(grants)
def test_releases_add_up_to_the_grant_exactly(grant: Grant) -> None:
    schedule = release_schedule(grant)
    assert sum(r.units for r in schedule) == grant.units
    assert all(r.units >= 0 for r in schedule)
    quarters = [r.quarter for r in schedule]
    assert quarters == sorted(set(quarters))
    assert all(b == a.next() for a, b in itertools.pairwise(quarters))
    # No quarter outside the schedule releases anything.
    assert released_in(grant, quarters[0].previous()) == 0
    assert released_in(grant, quarters[-1].next()) == 0


@given(grants, st.integers(0, 6 * 366))
def test_vested_is_the_floor_of_the_linear_share_and_never_decreases(
    grant: Grant, offset: int
) -> None:
    day = grant.start + timedelta(days=offset)
    vested = vested_by(grant, day)
    assert vested_by(grant, grant.start - timedelta(days=1)) == 0
    assert 0 <= vested <= grant.units
    assert vested <= vested_by(grant, day + timedelta(days=1))
    if grant.vesting_days:
        elapsed = min(offset + 1, grant.vesting_days)
        # floor: vested ≤ exact share < vested + 1
        assert vested * grant.vesting_days <= grant.units * elapsed
        assert grant.units * elapsed < (vested + 1) * grant.vesting_days


@given(st.lists(grants, min_size=1, max_size=5))
def test_a_tranche_is_the_sum_of_its_grants_releases(held: list[Grant]) -> None:
    """Over every quarter from the first start to the last completion, the tranches of a
    grantee add up to Σ granted; before the first start they release nothing."""
    first = min(Quarter.containing(g.start) for g in held)
    last = max(Quarter.containing(g.completed_on) for g in held)
    total, quarter = 0, first
    while quarter <= last:
        assert tranche(held, quarter) == sum(released_in(g, quarter) for g in held)
        total += tranche(held, quarter)
        quarter = quarter.next()
    assert total == sum(g.units for g in held)
    assert tranche(held, first.previous()) == 0
