"""Pro-rata scaling of a week's rewards to the pool's budget: exact sums, fair shares."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.core.prorata import scale_to_budget


def test_rewards_within_the_budget_are_unchanged() -> None:
    rewards = {"b": 700, "a": 300}
    scaled, factor = scale_to_budget(rewards, 1_000)
    assert scaled == rewards
    assert factor is None
    assert scale_to_budget({}, 0) == ({}, None)
    assert scale_to_budget({"a": 0}, 0) == ({"a": 0}, None)


def test_three_members_over_budget_golden() -> None:
    """Rewards a=1000, b=2000, c=3001 (Σ 6001) against a budget of 5000 units.

    Exact shares are 5000 × r / 6001:
        a: 5 000 000 / 6001 = 833 rem 1167  (833.194…)
        b: 10 000 000 / 6001 = 1666 rem 2334 (1666.388…)
        c: 15 005 000 / 6001 = 2500 rem 2500 (2500.416…)
    Floors sum to 4999; the one unit left goes to the largest remainder, c → 2501.
    Σ = 833 + 1666 + 2501 = 5000 exactly; factor 5000/6001.
    """
    scaled, factor = scale_to_budget({"c": 3001, "a": 1000, "b": 2000}, 5_000)
    assert scaled == {"a": 833, "b": 1666, "c": 2501}
    assert list(scaled) == ["a", "b", "c"]
    assert factor == Fraction(5000, 6001)
    assert sum(scaled.values()) == 5_000
    for member, reward in {"a": 1000, "b": 2000, "c": 3001}.items():
        assert abs(scaled[member] - factor * reward) < 1


def test_ties_go_to_the_smaller_member_id_whatever_the_mapping_order() -> None:
    """Three equal rewards of 1 against a budget of 2: each exact share is 2/3, the
    floors are 0 and the two leftover units go to m1 and m2 (ties by member id)."""
    first, _ = scale_to_budget({"m3": 1, "m1": 1, "m2": 1}, 2)
    second, _ = scale_to_budget({"m2": 1, "m3": 1, "m1": 1}, 2)
    assert first == second == {"m1": 1, "m2": 1, "m3": 0}


def test_zero_budget_pays_nothing_and_zero_rewards_stay_zero() -> None:
    scaled, factor = scale_to_budget({"a": 5, "b": 0}, 0)
    assert scaled == {"a": 0, "b": 0}
    assert factor == 0
    scaled, _ = scale_to_budget({"a": 5, "b": 0, "c": 5}, 7)
    assert scaled["b"] == 0
    assert sum(scaled.values()) == 7


def test_negative_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="budget"):
        scale_to_budget({"a": 1}, -1)
    with pytest.raises(ValueError, match=r"negative for \['b'\]"):
        scale_to_budget({"a": 1, "b": -2}, 10)


@given(
    rewards=st.dictionaries(
        st.text(alphabet="abcdefgh", min_size=1, max_size=4),
        st.integers(min_value=0, max_value=10**15),
        max_size=20,
    ),
    budget=st.integers(min_value=0, max_value=10**15),
)
def test_scaling_properties(rewards: dict[str, int], budget: int) -> None:
    scaled, factor = scale_to_budget(rewards, budget)
    assert set(scaled) == set(rewards)
    total = sum(rewards.values())
    if total <= budget:
        assert factor is None
        assert scaled == rewards
        return
    assert factor == Fraction(budget, total)
    assert sum(scaled.values()) == budget
    for member, reward in rewards.items():
        assert 0 <= scaled[member] <= reward
        assert abs(scaled[member] - factor * reward) < 1
