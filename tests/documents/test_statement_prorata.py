"""A short-pool week: the pro-rata factor is printed as a floored decimal and the
advice amounts are scaled by it (issue 14).

The golden community (``tests.documents.test_statement``) with the week's budget cut to
1 000 STK: m1's 1 584 STK is W05's only reward, so the factor is 1000 / 1584 = 125/198 =
0.631313 13… → printed ``0,631313`` / ``0.631313`` (6 digits, floored), paid 1 000 STK.
The earlier weeks (≤ 78.75 STK) fit the budget and are not scaled.

Advice amounts × 125/198, floored to base units (hand computation):

* exercises 5 280 → 3 333.333333 (5 280 000 000 × 125 // 198 = 3 333 333 333);
  comments 2 722.5 → 1 718.75; sections 2 475 → 1 562.5; likes received 2 211 →
  1 395.833333 (2 211 000 000 × 125 // 198 = 1 395 833 333); posts 1 980 → 1 250;
  likes given 495 → 312.5.
* next qualification 1 900.8 → 1 200 (1 900.8 / 1 584 = 1.2).
"""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.accrual import stages
from systok.accrual.score import score_members
from systok.db.engine import run_transaction
from systok.documents.statement import advice_text, render_statement
from systok.documents.statement_advice import prorated
from systok.documents.statement_service import member_statement
from systok.documents.statement_text import Language, factor_text
from tests.accrual.test_weekly_run import run_all, setup_community

pytestmark = pytest.mark.clock

BUDGET_UNITS = 1_000_000_000


@pytest.fixture
def short_week(engine, tmp_path, monkeypatch):
    real = score_members

    def short_pool(session, policy, week, counts, budget_units, uniform):
        return real(session, policy, week, counts, BUDGET_UNITS, uniform=uniform)

    monkeypatch.setattr(stages, "score_members", short_pool)
    setup_community(engine)
    run_all(engine, tmp_path)  # type: ignore[no-untyped-call]
    return run_transaction(engine, lambda s: member_statement(s, "m1", "2026-W05"))


def test_the_short_week_model_scales_the_advice(short_week):
    st_ = short_week
    assert (st_.prorata, st_.amount, st_.paid) == ("125/198", "1584.000000", "1000.000000")
    unused = [(r.event_type, r.amount) for r in st_.recommendations if r.kind == "unused_limit"]
    assert unused == [
        ("ExerciseSave", "3333.333333"),
        ("ClubCommentCreated", "1718.750000"),
        ("SectionCompleted", "1562.500000"),
        ("ClubLikeReceived", "1395.833333"),
        ("ClubPostCreated", "1250.000000"),
        ("ClubLikeGiven", "312.500000"),
    ]
    nxt = [r for r in st_.recommendations if r.kind == "next_qualification"]
    assert [r.amount for r in nxt] == ["1200.000000"]
    streak = next(r for r in st_.recommendations if r.kind == "streak_reach")
    assert "0,631313" not in advice_text(streak, st_, "ru")  # a coefficient, not scaled
    assert advice_text(nxt[0], st_, "en").endswith(
        "(Already times this week's pro rata factor 0.631313: the rewards pool could not "
        "pay every reward in full.)"
    )


@pytest.mark.usefixtures("poppler")
def test_the_pdf_prints_the_factor_as_a_decimal(short_week, tmp_path: Path):
    cases: tuple[tuple[Language, str], ...] = (
        ("ru", "До пропорционального уменьшения 1 584,000000 STK; коэффициент 0,631313"),
        ("en", "Before pro rata 1 584.000000 STK; factor 0.631313"),
    )
    for language, words in cases:
        path = tmp_path / f"{language}.pdf"
        path.write_bytes(render_statement(short_week, language))
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
        flat = " ".join(out.stdout.decode().split())
        assert words in flat and "125/198" not in flat


def test_factor_text_floors():
    """333333337/400000000 = 0.8333333425 → 0,833333; 5/6 = 0.8333… → 0.833333;
    1/3 → 0,333333; 2/3 = 0.6666… → 0,666666 (floored, not rounded up); 1/1 → 1,000000."""
    assert factor_text("ru", "333333337/400000000") == "0,833333"
    assert factor_text("en", "5/6") == "0.833333"
    assert factor_text("ru", "1/3") == "0,333333"
    assert factor_text("ru", "2/3") == "0,666666"
    assert factor_text("en", "1/1") == "1.000000"


@given(st.integers(0, 10**15), st.integers(1, 10**9), st.integers(1, 10**9))
def test_prorated_never_exceeds_the_factor(units, numerator, extra):
    """floor(units × f) ≤ units × f < floor(units × f) + 1, for any factor f ≤ 1."""
    factor = Fraction(numerator, numerator + extra - 1)
    scaled = prorated(units, factor)
    assert scaled <= units * factor < scaled + 1 and prorated(units, None) == units
