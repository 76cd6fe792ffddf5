"""``GET rewards/weekly`` as PDF or JSON and ``GET rewards/proof`` over real HTTP.

``tests.api.test_tokenomics._run_weeks``: m1 (level 1, ×1.0, no earlier streak) has
the SPEC's golden day on Tuesday of 2026-W45 (960 base points × 1.0 × 1.00 = 960 STK;
no reward in W44) and again in W46, whose run stops after its report stage. Each week
has one reward, so each proof's path is empty and the root is the leaf
sha256(0x00 || "m1:960000000").
"""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from tests.api.economy import Economy
from tests.api.test_tokenomics import _run_weeks

pytestmark = pytest.mark.clock
PDF = {"Accept": "application/pdf"}


def _text(data: bytes, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


@pytest.mark.usefixtures("poppler")
def test_the_statement_as_pdf_and_as_json(econ: Economy, tmp_path):
    _run_weeks(econ.engine, tmp_path)
    m1 = econ.as_member("m1")
    weekly = econ.get("rewards/weekly", m1, week="2026-W45")
    assert weekly.headers["content-type"].startswith("application/json")
    statement = weekly.json()["statement"]
    assert (statement["member"], statement["paid"], statement["points"]) == (
        "m1",
        "960.000000",
        "960",
    )
    assert statement["comparison"] == {
        "previous_week": "2026-W44",
        "previous_paid": None,
        "change": "960.000000",
    }
    pdf = econ.get("rewards/weekly", {**m1, **PDF}, week="2026-W45")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert (
        pdf.content.startswith(b"%PDF")
        and pdf.content == econ.get("rewards/weekly", {**m1, **PDF}, week="2026-W45").content
    ), "the same data gives the same bytes"
    ru = _text(pdf.content, tmp_path, "ru.pdf")
    assert "960,000000 STK" in ru and "Участник: m1" in ru
    en = _text(
        econ.get("rewards/weekly", {**m1, **PDF}, week="2026-W45", lang="en").content,
        tmp_path,
        "en.pdf",
    )
    assert "960.000000 STK" in en and "Member: m1" in en


def test_the_statement_route_ranks_accept_by_q(econ: Economy, tmp_path):
    """The weekly statement reads ``Accept`` as the quarterly report does
    (``common.prefers_pdf``): JSON at q=1 beats the PDF at q=0.5, so JSON answers; a
    lone ``application/pdf`` answers the PDF. Both carry ``Vary: Accept``."""
    _run_weeks(econ.engine, tmp_path)
    m1 = econ.as_member("m1")
    ranked = {"Accept": "application/json, application/pdf;q=0.5"}
    as_json = econ.get("rewards/weekly", {**m1, **ranked}, week="2026-W45")
    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_json.json()["statement"]["paid"] == "960.000000"
    as_pdf = econ.get("rewards/weekly", {**m1, **PDF}, week="2026-W45")
    assert as_pdf.headers["content-type"] == "application/pdf"
    assert as_json.headers["vary"] == as_pdf.headers["vary"] == "Accept"


def test_the_proof_recomputes_and_strangers_are_refused(econ: Economy, tmp_path):
    _run_weeks(econ.engine, tmp_path)
    m1 = econ.as_member("m1")
    for week in ("2026-W45", "2026-W46"):
        proof = econ.get("rewards/proof", m1, week=week).json()
        root = hashlib.sha256(b"\x00m1:960000000").hexdigest() if week == "2026-W45" else None
        assert proof["path"] == [] and proof["leaf"] == proof["root"] == proof["stored_root"]
        assert root is None or proof["root"] == root
    for path in ("rewards/proof", "rewards/weekly"):
        for headers in (m1, {**m1, **PDF}):
            other = econ.get(path, headers, week="2026-W45", member="m2")
            assert (other.status_code, other.json()["error"]) == (403, "NotYourAccount")
        missing = econ.get(path, m1, week="2026-W40")
        assert (missing.status_code, missing.json()["error"]) == (404, "RewardNotFound")
        bad = econ.get(path, m1, week="2026-W60")
        assert bad.status_code == 422 and "query.week" in bad.json()["detail"]
    bad_lang = econ.get("rewards/weekly", {**m1, **PDF}, week="2026-W45", lang="de")
    assert bad_lang.status_code == 422 and "query.lang" in bad_lang.json()["detail"]


def test_openapi_declares_the_pdf_and_every_error(econ: Economy):
    paths = econ.client.get("/openapi.json").json()["paths"]
    weekly = paths["/api/v1/tokenomics/rewards/weekly"]["get"]["responses"]
    assert "application/pdf" in weekly["200"]["content"]
    assert "application/json" in weekly["200"]["content"]
    proof = paths["/api/v1/tokenomics/rewards/proof"]["get"]["responses"]
    for responses in (weekly, proof):
        assert {"401", "403", "404", "422", "503"} <= set(responses)
