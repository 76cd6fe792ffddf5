"""Exact number text of the quarterly PDF (``documents.quarterly_text``): base units to
whole tokens without rounding, grouped by thousands, the decimal mark of the language."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from systok.core.language import Language
from systok.documents.quarterly_text import (
    NBSP,
    account_name,
    amount_text,
    bps_text,
    count_text,
    decimal_text,
    metric_text,
    word,
)

RU, EN = Language.RU, Language.EN


def plain(text: str) -> str:
    return text.replace(NBSP, " ")


def test_golden_amounts() -> None:
    """1 584 STK = 1 584 000 000 units (scale 6): trailing zeros go, nothing rounds;
    7 260 010 300 units = 7 260.0103 STK; −75 units = −0.000075 STK; kopecks scale 2."""
    assert plain(amount_text(1_584_000_000, 6, RU)) == "1 584 STK"
    assert plain(amount_text(7_260_010_300, 6, RU)) == "7 260,0103 STK"
    assert plain(amount_text(7_260_010_300, 6, EN)) == "7 260.0103 STK"
    assert plain(amount_text(-75, 6, EN)) == "-0.000075 STK"
    assert plain(amount_text(0, 6, RU)) == "0 STK"
    assert plain(amount_text(133, 2, RU, "RUB")) == "1,33 RUB"
    assert amount_text(1_000, 0, EN, unit="") == f"1{NBSP}000"


def test_golden_shares_counts_metrics() -> None:
    """6 239 bps = 62.39 %; a reading's text keeps its 6 decimals."""
    assert plain(bps_text(6_239, RU)) == "62,39 %"
    assert plain(bps_text(5, EN)) == "0.05 %"
    assert plain(count_text(1_234_567, RU)) == "1 234 567"
    assert plain(metric_text("20.388349", "percent", RU)) == "20,388349 %"
    assert metric_text("0.216411", "ratio", EN) == "0.216411"
    assert decimal_text("-1234.5", RU) == f"-1{NBSP}234,5"


def test_words_exist_in_both_languages() -> None:
    assert word("title", RU) == "КВАРТАЛЬНЫЙ ОТЧЁТ О ПРОЗРАЧНОСТИ"
    assert word("title", EN) == "QUARTERLY TRANSPARENCY REPORT"
    assert account_name("pool:rewards", RU) == "пул наград"
    assert account_name("fee", EN) == "fee"  # no name: its code


@given(st.integers(min_value=-(10**20), max_value=10**20), st.integers(min_value=0, max_value=9))
def test_amount_text_reads_back_exactly(units: int, scale: int) -> None:
    """Whatever the amount, the text is the exact value: ungroup, swap the mark back and
    it parses to ``units / 10^scale`` with nothing lost."""
    for language in Language:
        text = amount_text(units, scale, language, unit="")
        digits = text.replace(NBSP, "").replace(",", ".")
        assert Decimal(digits) == Decimal(units).scaleb(-scale)
        assert not ("." in digits and digits.endswith("0"))
