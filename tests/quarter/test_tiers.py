"""Redistribution tiers (SPEC §6) as pure arithmetic: golden edges and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.core.redistribution import redistribution_for, tier_for, units_due
from systok.policy_files import load_policy

SLASHING = load_policy("stk-2025-12").slashing
SLASHING_21M = load_policy("stk-2025-04").slashing


@pytest.mark.parametrize("slashing", [SLASHING, SLASHING_21M])
@pytest.mark.parametrize(
    ("days", "rate_bps", "warn", "due"),
    [
        (0, 0, False, 0),
        (89, 0, False, 0),
        (90, 500, True, 49_999),
        (179, 500, True, 49_999),
        (180, 1000, False, 99_999),
        (364, 1000, False, 99_999),
        (365, 1500, False, 149_999),
        (366, 1500, False, 149_999),
        (10_000, 1500, False, 149_999),
    ],
)
def test_tier_edges_with_floor(slashing, days, rate_bps, warn, due) -> None:
    # 999 999 base units: every rate leaves a fraction, so the floor shows.
    found = redistribution_for(slashing, 999_999, days)
    assert (found.tier.rate_bps, found.tier.warn, found.due_units) == (rate_bps, warn, due)


def test_floor_golden() -> None:
    assert units_due(19, 500) == 0  # 0.95 floors to 0: the member keeps it
    assert units_due(20, 500) == 1
    assert units_due(1_000_000, 1500) == 150_000
    assert units_due(0, 1500) == 0
    assert units_due(-5, 1500) == 0


def test_negative_days_refused() -> None:
    with pytest.raises(ValueError, match="days_inactive"):
        tier_for(SLASHING, -1)


@given(st.integers(0, 2**62), st.integers(0, 100_000))
def test_moved_within_available(available: int, days: int) -> None:
    found = redistribution_for(SLASHING, available, days)
    assert 0 <= found.due_units <= available
    assert found.due_units == available * found.tier.rate_bps // 10_000
