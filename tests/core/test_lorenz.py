"""The Lorenz curve of member balances (``systok.core.distribution.lorenz_points``): the
points the quarterly report draws, from the same balances its Gini coefficient reads."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.core.distribution import LorenzPoint, gini, lorenz_points

positive_st = st.lists(st.integers(min_value=1, max_value=10**15), min_size=1, max_size=300).map(
    sorted
)
segments_st = st.integers(min_value=1, max_value=120)


def shares(points: list[LorenzPoint]) -> list[tuple[Fraction, Fraction]]:
    """The curve as exact shares (population, units)."""
    last = points[-1]
    return [(Fraction(p.holders, last.holders), Fraction(p.units, last.units)) for p in points]


def test_golden_curve_of_the_health_world() -> None:
    """Balances 300, 990, 1 000, 3 800 (Σ 6 090; tests.quarter.health_world), every
    holder kept (4 ≤ 100 segments): cumulative 0, 300, 1 290, 2 290, 6 090."""
    points = lorenz_points([300, 990, 1_000, 3_800])
    assert [(p.holders, p.units) for p in points] == [
        (0, 0),
        (1, 300),
        (2, 1_290),
        (3, 2_290),
        (4, 6_090),
    ]


def test_golden_downsampled_cuts() -> None:
    """Ten holders 1 … 10 (Σ 55) in 4 segments: cuts floor(k·10/4) = 0, 2, 5, 7, 10;
    cumulative 0, 1+2 = 3, 3+3+4+5 = 15, 15+6+7 = 28, 55."""
    points = lorenz_points(list(range(1, 11)), segments=4)
    assert [(p.holders, p.units) for p in points] == [(0, 0), (2, 3), (5, 15), (7, 28), (10, 55)]


def test_no_holders_is_the_origin_only() -> None:
    assert lorenz_points([]) == [LorenzPoint(0, 0)]
    with pytest.raises(ValueError, match="segments must be at least 1"):
        lorenz_points([1], segments=0)


@given(positive_st, segments_st)
def test_monotone_convex_from_origin_to_one(balances: list[int], segments: int) -> None:
    points = lorenz_points(balances, segments)
    curve = shares(points)
    assert curve[0] == (Fraction(0), Fraction(0)) and curve[-1] == (Fraction(1), Fraction(1))
    assert len(points) <= segments + 1
    for (x0, y0), (x1, y1) in itertools.pairwise(curve):
        assert x1 > x0 and y1 >= y0  # monotone
    for (x0, y0), (x1, y1), (x2, y2) in zip(curve, curve[1:], curve[2:], strict=False):
        # convex: the slope never falls, (y1 − y0)/(x1 − x0) ≤ (y2 − y1)/(x2 − x1)
        assert (y1 - y0) * (x2 - x1) <= (y2 - y1) * (x1 - x0)
    for x, y in curve:
        assert y <= x  # below the line of equality


@given(positive_st)
def test_gini_from_every_point_equals_gini(balances: list[int]) -> None:
    """With every holder kept, G = 1 − Σ (Lᵢ₋₁ + Lᵢ) / n (the trapezoids under the
    curve) is exactly the Gini coefficient the report states."""
    points = lorenz_points(balances, segments=len(balances))
    curve = shares(points)
    area_twice = sum((x1 - x0) * (y0 + y1) for (x0, y0), (x1, y1) in itertools.pairwise(curve))
    assert 1 - area_twice == gini(balances)
