"""The weekly statement of the SPEC's golden member, read back as a member reads it.

The community of ``tests.accrual.test_weekly_run``: m1 is a Практик (level 3, ×1.5),
paid every day, one section (50 points) in each of 2026-W02..W04 and in W05, on
Tuesday 2026-01-27, 5 sections, 3 exercises, 1 post, 5 likes given, 3 likes received
and 2 comments. Hand computation:

* W05 base points: 5×50 + 3×100 + 1×200 + 5×10 + 3×20 + 2×50 = 250 + 300 + 200 + 50 +
  60 + 100 = 960; streak 4 weeks → ×1.10; 960 × 1.5 × 1.10 = 1584 points = 1 584 STK.
* W04: 50 × 1.5 × 1.05 = 78.75 STK; the change is 1584 − 78.75 = +1 505.25 STK.
* The 12 weeks end with W05: 2025-W46..W52 (2025 has 52 ISO weeks), 2026-W01..W05;
  paid 0 ×8, then 75, 76.5, 78.75, 1584.
* Unused daily limits over 7 paid days, each slot worth weight × 1.5 × 1.10 = weight ×
  1.65: exercises 35 − 3 = 32 slots × 165 = 5 280; comments 33 × 82.5 = 2 722.5;
  sections 30 × 82.5 = 2 475; likes received 67 × 33 = 2 211; posts 6 × 330 = 1 980;
  likes given 30 × 16.5 = 495 STK.
* Streak: 5 weeks → ×1.20; a week off → ×1.00. Next level 4 Специалист ×1.8:
  960 × 1.8 × 1.10 = 1 900.8 STK.
* Last active Tuesday 2026-01-27: +90 days = 2026-04-27 (5 %, warning), +180 =
  2026-07-26 (10 %), +365 = 2027-01-27 (15 %).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from systok.core.language import Language
from systok.core.merkle import build_tree, leaf_hash, node_hash
from systok.db.engine import run_transaction
from systok.documents import pdf as pdf_kit
from systok.documents.statement import render_statement
from systok.documents.statement_service import member_statement
from systok.documents.statement_text import EVENT_NAMES, LABELS
from tests.accrual.test_weekly_run import run_all, setup_community

STK = 1_000_000


def settled(engine, tmp_path: Path):
    setup_community(engine)
    run_all(engine, tmp_path)  # type: ignore[no-untyped-call]
    return run_transaction(engine, lambda s: member_statement(s, "m1", "2026-W05"))


def pdf_text(data: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode()


def test_the_golden_statement_model(engine, tmp_path):
    st = settled(engine, tmp_path)
    assert (st.paid, st.amount, st.points, st.base_points) == (
        "1584.000000",
        "1584.000000",
        "1584",
        960,
    )
    assert st.policy_version == "stk-2025-12" and len(st.policy_hash) == 64
    assert st.status == "paid" and st.prorata is None and st.matches_stored
    lines = {a.event_type: (a.counted, a.weight, a.base_points) for a in st.activities}
    assert lines == {
        "ClubCommentCreated": (2, 50, 100),
        "ClubLikeGiven": (5, 10, 50),
        "ClubLikeReceived": (3, 20, 60),
        "ClubPostCreated": (1, 200, 200),
        "ExerciseSave": (3, 100, 300),
        "SectionCompleted": (5, 50, 250),
    }
    previous = {a.event_type: a.previous_counted for a in st.activities}
    assert previous["SectionCompleted"] == 1 and previous["ExerciseSave"] == 0
    c = st.coefficients
    assert (c.level, c.level_name, c.level_coefficient) == (3, "Практик", "1.5")
    assert (c.streak_weeks, c.consistency_coefficient) == (4, "1.10")
    assert st.comparison.previous_paid == "78.750000" and st.comparison.change == "1505.250000"
    assert [w.week for w in st.history][:2] == ["2025-W46", "2025-W47"]
    assert [w.paid for w in st.history][-5:] == [
        "0.000000",
        "75.000000",
        "76.500000",
        "78.750000",
        "1584.000000",
    ]
    assert len(st.history) == 12 and st.vesting == []
    unused = [
        (r.event_type, r.count, r.amount) for r in st.recommendations if r.kind == "unused_limit"
    ]
    assert unused == [
        ("ExerciseSave", 32, "5280.000000"),
        ("ClubCommentCreated", 33, "2722.500000"),
        ("SectionCompleted", 30, "2475.000000"),
        ("ClubLikeReceived", 67, "2211.000000"),
        ("ClubPostCreated", 6, "1980.000000"),
        ("ClubLikeGiven", 30, "495.000000"),
    ]
    by_kind = {r.kind: r for r in st.recommendations}
    assert (by_kind["streak_reach"].weeks, by_kind["streak_reach"].coefficient) == (5, "1.20")
    assert by_kind["streak_lose"].coefficient == "1.00"
    nxt = by_kind["next_qualification"]
    assert (nxt.level, nxt.level_name, nxt.amount) == (4, "Специалист", "1900.800000")
    tiers = [(r.on, r.rate_bps, r.warn) for r in st.recommendations if r.kind == "inactivity_tier"]
    assert tiers == [
        ("2026-04-27", 500, True),
        ("2026-07-26", 1000, False),
        ("2027-01-27", 1500, False),
    ]
    assert st.last_active_on == "2026-01-27"


def test_the_proof_recomputes_to_the_week_root(engine, tmp_path):
    """The week's only reward is m1's: the leaf is the root and the path is empty; the
    root is recomputed here from the leaf text with hashlib-level primitives."""
    proof = settled(engine, tmp_path).proof
    assert proof.leaf_text == "m1:1584000000" and proof.paid_units == 1_584 * STK
    current = leaf_hash("m1", 1_584 * STK)
    assert proof.leaf == current.hex()
    for step in proof.path:
        sibling = bytes.fromhex(step.sibling)
        current = node_hash(sibling, current) if step.side == "L" else node_hash(current, sibling)
    assert current.hex() == proof.root == proof.stored_root
    assert proof.root == build_tree([("m1", 1_584 * STK)]).root_hex and proof.verified


@pytest.mark.usefixtures("poppler")
def test_the_pdf_shows_the_numbers_in_both_languages(engine, tmp_path):
    st = settled(engine, tmp_path)
    ru = render_statement(st, Language.RU)
    assert ru == render_statement(st, Language.RU), "same data, same bytes"
    text = pdf_text(ru, tmp_path, "ru.pdf")
    flat = " ".join(text.split())
    assert "1 584,000000 STK" in flat
    assert "960 базовых баллов × 1,5 (квалификация «Практик», уровень 3) × 1,10" in flat
    assert "= 1 584 балла → 1 584,000000 STK" in flat and "1 584 балла (базовых 960)" in flat
    assert "Выполненные задания 3 3 0 0 100 5 300" in flat
    assert "+1 505,250000 STK" in flat and "5 280,000000 STK" in flat
    assert "ОБЪЯСНЕНИЕ НАЧИСЛЕНИЯ" in flat and "ЕЩЁ МОЖНО ЗАРАБОТАТЬ" in flat  # Ъ, Щ, Ё
    assert st.proof.root in flat and st.policy_hash in flat
    en = pdf_text(render_statement(st, Language.EN), tmp_path, "en.pdf")
    flat_en = " ".join(en.split())
    assert "1 584.000000 STK" in flat_en and "Exercises done 3 3 0 0 100 5 300" in flat_en
    assert "1 900.800000 STK" in flat_en and "2026-04-27" in flat_en
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "ru.pdf")], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts), fonts
    assert any("DejaVuSans" in line for line in fonts)


def test_every_language_has_every_label():
    assert LABELS[Language.RU].keys() == LABELS[Language.EN].keys()
    assert EVENT_NAMES[Language.RU].keys() == EVENT_NAMES[Language.EN].keys()


def test_fonts_parsed_once_write_the_same_statement(engine, tmp_path, monkeypatch):
    """A real statement in both languages (all DejaVu styles, the mono proof, a chart)
    has the same bytes with the per-process font prototypes as with fpdf2 parsing the
    fonts for the document (``pdf.register_font`` swapped for plain ``add_font``)."""
    st = settled(engine, tmp_path)
    cached = {language: render_statement(st, language) for language in Language}
    monkeypatch.setattr(
        pdf_kit,
        "register_font",
        lambda pdf, family, style, path: pdf.add_font(family, style, str(path)),
    )
    assert {language: render_statement(st, language) for language in Language} == cached
