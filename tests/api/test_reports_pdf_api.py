"""``GET /tokenomics/reports/quarterly`` with ``Accept: application/pdf`` over real HTTP
on both backends (ADR 0039): the same public report as the PDF the CLI writes, the same
publication rule and refusals, declared in OpenAPI; and the Accept negotiation."""

from __future__ import annotations

from dataclasses import replace

import pytest
import time_machine

from systok.api.routes.common import prefers_pdf
from systok.core.language import Language
from systok.core.times import datetime_to_us
from systok.db.engine import run_transaction
from systok.documents.quarterly import quarterly_pdf
from systok.quarter.service import QuarterRun
from systok.reports import service
from tests.api.economy import Economy
from tests.backing.helpers import every_table_count as table_counts
from tests.quarter.health_world import NOW, build_health
from tests.quarter.world import POLICY
from tests.quarter.world import QUARTER as Q1
from tests.reports.golden import GOLDEN
from tests.reports.pdf_helpers import pdf_text

PDF = {"Accept": "application/pdf"}


@pytest.mark.usefixtures("poppler")
def test_the_pdf_over_http_is_the_cli_pdf(econ: Economy, tmp_path) -> None:
    build_health(econ.engine)
    QuarterRun(econ.engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(Q1)
    report = run_transaction(
        econ.engine, lambda s: service.quarterly_report(s, POLICY, Q1, now=NOW, public=True)
    )
    before = table_counts(econ.engine)
    with time_machine.travel(NOW, tick=False):
        russian = econ.get("reports/quarterly", PDF, quarter="2026-Q1")  # no credentials
        english = econ.get("reports/quarterly", PDF, quarter="2026-Q1", lang="en")
        as_json = econ.get("reports/quarterly", {"Accept": "application/json"}, quarter="2026-Q1")
        bad_lang = econ.get("reports/quarterly", PDF, quarter="2026-Q1", lang="de")
    assert russian.status_code == 200, russian.text
    assert russian.headers["content-type"] == "application/pdf"
    assert russian.headers["content-disposition"] == 'inline; filename="systok-2026-Q1-ru.pdf"'
    assert russian.headers["vary"] == "Accept"
    assert russian.content == quarterly_pdf(report)
    assert english.content == quarterly_pdf(report, Language.EN)
    assert "КВАРТАЛЬНЫЙ ОТЧЁТ" in pdf_text(russian.content, tmp_path)
    assert as_json.json() == GOLDEN and as_json.headers["vary"] == "Accept"
    assert bad_lang.status_code == 422 and "query.lang" in bad_lang.json()["detail"]
    assert table_counts(econ.engine) == before  # reading a report writes nothing


def test_pdf_refusals_are_the_json_ones(econ: Economy, monkeypatch: pytest.MonkeyPatch) -> None:
    build_health(econ.engine)
    with time_machine.travel(NOW, tick=False):
        still_open = econ.get("reports/quarterly", PDF, quarter="2026-Q2")
        malformed = econ.get("reports/quarterly", PDF, quarter="2026-Q5")
        hidden = replace(POLICY, reports=replace(POLICY.reports, quarterly_published=False))
        monkeypatch.setattr(service, "report_policy", lambda quarter: hidden)
        unpublished = econ.get("reports/quarterly", PDF, quarter="2026-Q1")
    assert still_open.status_code == 409 and "2026-Q2 is still open" in still_open.json()["detail"]
    assert malformed.status_code == 422 and "query.quarter" in malformed.json()["detail"]
    assert unpublished.status_code == 404
    assert "reports.quarterly_published is false" in unpublished.json()["detail"]


def test_openapi_declares_the_pdf(econ: Economy) -> None:
    operation = econ.client.get("/openapi.json").json()["paths"][
        "/api/v1/tokenomics/reports/quarterly"
    ]["get"]
    content = operation["responses"]["200"]["content"]
    assert "application/pdf" in content and "application/json" in content
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"quarter", "lang", "accept"} <= names
    assert set(operation["responses"]) >= {"200", "404", "409", "422"}


@pytest.mark.parametrize(
    ("accept", "pdf"),
    [
        (None, False),
        ("", False),
        ("application/json", False),
        ("*/*", False),
        ("application/pdf", True),
        ("application/pdf, application/json;q=0.5", True),
        ("application/json, application/pdf", False),  # a tie answers JSON
        ("application/json;q=0.2, application/pdf;q=0.9", True),
        ("application/pdf;q=0", False),
        ("application/pdf;q=nonsense", False),
        ("text/html, APPLICATION/PDF", True),
        ("application/pdf;q=0.5, */*;q=0.8", False),
    ],
)
def test_accept_negotiation(accept: str | None, pdf: bool) -> None:
    assert prefers_pdf(accept) is pdf
