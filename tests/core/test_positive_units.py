"""``amount.positive_units``: the one reading of every typed amount that must be
positive (a purchase to quote, a buyback budget, an inflow, a sale's price or amount)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.core.amount import format_amount, positive_units


class Refused(Exception):
    """Stands in for a domain error (QuoteInvalid, SaleInvalid, ...)."""


def _read(text: str, scale: int = 2, why: str = "") -> int:
    return positive_units(text, scale, field="budget", unit="EUR", refuse=Refused, why=why)


def test_golden_values_and_messages() -> None:
    """``"12.5"`` at scale 2 is 1250 cents; ``" 7 "`` is 700 (surrounding spaces are
    not part of the number); zero, a negative, too many decimals and words are refused
    with the field, the unit and the reason."""
    assert _read("12.5") == 1250 and _read(" 7 ") == 700 and _read("0.01") == 1
    with pytest.raises(Refused, match=r"^budget: '0' EUR is not positive; give some$"):
        _read("0", why="; give some")
    with pytest.raises(Refused, match=r"^budget: '-3' EUR is not positive$"):
        _read("-3")
    with pytest.raises(Refused, match=r"^budget: amount '1.234' has more than 2 decimal "):
        _read("1.234")
    with pytest.raises(Refused, match=r"\(EUR\)$"):
        _read("ten")


@given(st.integers(min_value=1, max_value=10**15), st.integers(min_value=0, max_value=8))
def test_every_positive_amount_reads_back(units: int, scale: int) -> None:
    """Writing base units as text and reading them back gives the same units."""
    assert _read(format_amount(units, scale), scale) == units
