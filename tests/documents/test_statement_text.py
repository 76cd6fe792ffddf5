"""The statement's number formatting: exact digits from integer base units, grouped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from systok.core.amount import format_amount
from systok.core.language import Language
from systok.documents.statement_text import grouped, money, number, percent_of_bps

NBSP = "\u00a0"


def test_golden_formats():
    """1 584 STK at scale 6 is 1_584_000_000 units; 5 % is 500 bps, 12.5 % is 1250."""
    assert money(Language.RU, "1584.000000", 6) == f"1{NBSP}584,000000"
    assert money(Language.EN, "-1505.250000", 6) == f"-1{NBSP}505.250000"
    assert money(Language.EN, "7", 0) == "7"
    assert number(Language.RU, "1.10") == "1,10" and number(Language.EN, "1584") == f"1{NBSP}584"
    assert (percent_of_bps(Language.RU, 500), percent_of_bps(Language.RU, 1250)) == ("5", "12,5")
    assert percent_of_bps(Language.EN, 1) == "0.01"


@given(st.integers(min_value=-(10**18), max_value=10**18), st.integers(0, 9))
def test_money_keeps_every_digit(units: int, scale: int):
    """Removing the grouping and restoring the decimal point gives format_amount back."""
    text = format_amount(units, scale)
    marks: tuple[tuple[Language, str], ...] = ((Language.RU, ","), (Language.EN, "."))
    for language, mark in marks:
        shown = money(language, text, scale)
        assert shown.replace(NBSP, "").replace(mark, ".") == text


@given(st.integers(min_value=0, max_value=10**30))
def test_grouping_is_by_threes(whole: int):
    parts = grouped(whole).split(NBSP)
    assert "".join(parts) == str(whole)
    assert 1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])
