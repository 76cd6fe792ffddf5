"""The quarterly transparency report as a PDF (``documents.quarterly``, ADR 0039), read
back with poppler: the golden quarter of ``tests.reports.golden`` after the real
quarterly run, in Russian and English, on both backends.

Golden text, by hand from the golden report (STK has 6 decimals; exact, trailing zeros
dropped; Russian groups with a space and writes a decimal comma):

| figure | units | ru | en |
|---|---|---|---|
| emission | 400 | 0,0004 STK | 0.0004 STK |
| burned | 100 | 0,0001 STK | 0.0001 STK |
| supply | 10 300 | 0,0103 STK | 0.0103 STK |
| circulating | 5 590 | 0,00559 STK | 0.00559 STK |
| frozen | 500 | 0,0005 STK | 0.0005 STK |
| transfer volume | 1 000 | 0,001 STK | 0.001 STK |
| largest holder | 3 800 = 6 239 bps | 0,0038 STK, 62,39 % | 0.0038 STK, 62.39 % |
| redistribution due / moved | 75 | 0,000075 STK | 0.000075 STK |
| price issued | 10 400 | 0,0104 STK | 0.0104 STK |
| Gini | 1051/2436 floored | 0,431444 | 0.431444 |
| velocity | 240/1109 floored, warning | 0,216411 внимание | 0.216411 warning |
| inflation | 12 %, critical (> 10) | 12,000000 % критично | 12.000000 % critical |
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine

from systok.cli.main import main
from systok.core.language import Language
from systok.core.times import datetime_to_us
from systok.db.engine import run_transaction
from systok.documents.quarterly import quarterly_pdf
from systok.quarter.service import QuarterRun
from systok.reports.schemas import QuarterlyReport
from systok.reports.service import quarterly_report
from tests.quarter.health_world import NOW, build_health
from tests.quarter.test_run import every_table
from tests.quarter.world import POLICY
from tests.quarter.world import QUARTER as Q1
from tests.reports.pdf_helpers import (
    CROWD,
    build_crowd,
    crowd_id,
    page_count,
    pdf_fonts,
    pdf_text,
)
from tests.reports.test_quarterly import member_ids

pytestmark = pytest.mark.usefixtures("poppler")

GOLDEN_RU = (
    "КВАРТАЛЬНЫЙ ОТЧЁТ О ПРОЗРАЧНОСТИ",
    "ЭМИССИЯ И ОБЩЕЕ ПРЕДЛОЖЕНИЕ",
    "ОБЪЁМ ПЕРЕВОДОВ И НАГРАДЫ",
    "Период: 2026-01-01 — 2026-03-31 (UTC)",
    "stk-2025-12",
    "0,0004 STK",
    "0,0001 STK",
    "0,0103 STK",
    "0,00559 STK",
    "0,0005 STK",
    "0,001 STK",
    "0,0038 STK",
    "62,39 %",
    "4,92 %",
    "0,000075 STK",
    "0,0104 STK",
    "0,431444",
    "0,216411",
    "внимание",
    "12,000000 %",
    "критично",
    "20,388349 %",
    "≥ 15 %",
    "< 0,2 или > 5",
)
GOLDEN_EN = (
    "QUARTERLY TRANSPARENCY REPORT",
    "0.0103 STK",
    "0.00559 STK",
    "62.39 %",
    "0.431444",
    "0.216411",
    "warning",
    "12.000000 %",
    "critical",
    "< 0.2 or > 5",
    "0.000075 STK",
)


def golden_report(engine: Engine) -> QuarterlyReport:
    """The golden quarter after the real quarterly run."""
    build_health(engine)
    QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(Q1)
    return run_transaction(engine, lambda s: quarterly_report(s, POLICY, Q1, now=NOW))


def squeeze(text: str) -> str:
    """Layout text with runs of spaces as one (columns are spaced by the layout)."""
    return " ".join(text.split())


def test_golden_pdf_in_russian_and_english(engine: Engine, tmp_path: Path) -> None:
    report = golden_report(engine)
    russian = quarterly_pdf(report)
    text = squeeze(pdf_text(russian, tmp_path, "ru"))
    for expected in GOLDEN_RU:
        assert expected in text, expected
    assert {"Ё", "Щ", "Ъ"} <= set(text)
    assert "ЧЕГО НЕТ" not in text  # every section was stored by the run

    english = squeeze(pdf_text(quarterly_pdf(report, Language.EN), tmp_path, "en"))
    for expected in GOLDEN_EN:
        assert expected in english, expected
    assert "ОТЧЁТ" not in english


def test_fonts_are_embedded_subsets(engine: Engine, tmp_path: Path) -> None:
    rows = pdf_fonts(quarterly_pdf(golden_report(engine)), tmp_path)
    assert rows, "the PDF names no font"
    for row in rows:
        name, emb = row[0], row[-5]
        assert "DejaVuSans" in name and emb == "yes", row


def test_same_report_same_bytes(engine: Engine) -> None:
    """The document's date is the quarter's close, not the wall clock; the charts carry
    no version stamp: rendering twice, at different times, gives identical bytes."""
    report = golden_report(engine)
    with time_machine.travel(NOW, tick=False):
        first = quarterly_pdf(report, Language.EN)
    with time_machine.travel(NOW.replace(year=2031), tick=False):
        again = quarterly_pdf(report, Language.EN)
    assert first == again and first.startswith(b"%PDF-")
    assert quarterly_pdf(report) != first  # the language is part of the content


def test_before_the_run_missing_sections_are_said(engine: Engine, tmp_path: Path) -> None:
    build_health(engine)
    report = run_transaction(engine, lambda s: quarterly_report(s, POLICY, Q1, now=NOW))
    text = squeeze(pdf_text(quarterly_pdf(report), tmp_path))
    assert "ЧЕГО НЕТ В ОТЧЁТЕ" in text
    assert text.count("нет данных: этап квартального прогона ещё не выполнен") >= 6
    assert "не рассчитано" in text  # the health rows
    english = squeeze(pdf_text(quarterly_pdf(report, Language.EN), tmp_path, "en"))
    assert "NOT IN THIS REPORT" in english
    assert "the redistribute stage has not committed" in english  # the report's own reason


def test_crowd_no_member_id_and_every_top_holder(engine: Engine, tmp_path: Path) -> None:
    """120 holders of 1 … 120 STK plus the health world's four: the top 100 are listed
    (rank 100 holds 21 STK, the 21st of the crowd); no member id appears anywhere in the
    text or the bytes; the table runs over pages with its heading repeated."""
    build_crowd(engine)
    QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(Q1)
    report = run_transaction(engine, lambda s: quarterly_report(s, POLICY, Q1, now=NOW))
    assert len(report.top_holders) == 100 and len(report.lorenz) == 101
    for language in Language:
        data = quarterly_pdf(report, language)
        raw = pdf_text(data, tmp_path, language.value)
        for member in member_ids(engine):
            if len(member) > 1:
                assert member not in raw and member.encode() not in data, member
        assert crowd_id(CROWD) not in raw and "holder-" not in raw
        assert page_count(raw) >= 3
        assert raw.count("Ранг" if language is Language.RU else "Rank") >= 2


def test_cli_writes_the_pdf_and_nothing_else(cli_on: Engine, tmp_path: Path, capsys) -> None:
    report = golden_report(cli_on)
    before = every_table(cli_on)
    target = tmp_path / "q1.pdf"
    with time_machine.travel(NOW, tick=False):
        code = main(["report", "quarterly", "2026-Q1", "--pdf", str(target), "--lang", "en"])
        assert code == 0, capsys.readouterr().err
        assert f"wrote {target}" in capsys.readouterr().out
        assert target.read_bytes() == quarterly_pdf(report, Language.EN)
        assert main(["report", "quarterly", "2026-Q1", "--pdf", str(target)]) == 0
        assert target.read_bytes() == quarterly_pdf(report)  # Russian by default
    assert every_table(cli_on) == before  # a report reads, never writes
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf") == ["q1.pdf"]


def test_cli_refusals_leave_no_file(cli_on: Engine, tmp_path: Path, capsys) -> None:
    build_health(cli_on)
    out = tmp_path / "out"
    out.mkdir()
    nowhere = out / "no-such-dir" / "q1.pdf"
    with time_machine.travel(NOW, tick=False):
        assert main(["report", "quarterly", "2026-Q1", "--pdf", str(nowhere)]) == 73
        assert "--pdf: cannot write" in capsys.readouterr().err
        assert not nowhere.parent.exists()
        assert main(["report", "quarterly", "2026-Q1", "--lang", "en"]) == 2
        assert "--lang" in capsys.readouterr().err
        target = out / "q.pdf"
        bad = ["report", "quarterly", "2026-Q1", "--pdf", str(target), "--lang", "de"]
        assert main(bad) == 2
        assert "--lang" in capsys.readouterr().err
        assert main(["report", "quarterly", "2026-Q2", "--pdf", str(target)]) != 0
        assert "2026-Q2 is still open" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_empty_quarter_renders(engine: Engine, tmp_path: Path) -> None:
    """No ledger at all: no holders, no history, no emission; the charts say "no data"
    and the Lorenz curve is only its origin."""
    report = run_transaction(engine, lambda s: quarterly_report(s, POLICY, Q1, now=NOW))
    assert report.holders == 0 and report.history == [] and report.lorenz[0].holders == 0
    text = squeeze(pdf_text(quarterly_pdf(replace(report, top_holders=[])), tmp_path))
    assert "Держателей с балансом > 0 0" in text
