"""``GET /tokenomics/reports/quarterly`` (public) over real HTTP on both backends: the
golden report of ``tests.reports.golden``, anonymised, and its refusals (ADR 0031)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import time_machine
from sqlalchemy import text

from systok.core.times import datetime_to_us
from systok.quarter.service import QuarterRun
from systok.reports import service
from tests.api.economy import Economy
from tests.backing.helpers import every_table_count as table_counts
from tests.quarter.health_world import NOW, build_health
from tests.quarter.world import POLICY
from tests.quarter.world import QUARTER as Q1
from tests.reports.golden import GOLDEN, names_no_member


def test_quarterly_report_golden_over_http(econ: Economy) -> None:
    build_health(econ.engine)
    QuarterRun(econ.engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(Q1)
    with econ.engine.connect() as connection:
        members = {str(r[0]) for r in connection.execute(text("SELECT id FROM members"))}
    before = table_counts(econ.engine)
    with time_machine.travel(NOW, tick=False):
        answer = econ.get("reports/quarterly", {}, quarter="2026-Q1")  # no credentials
        assert answer.status_code == 200, answer.text
        assert answer.json() == GOLDEN
        names_no_member(answer.json(), members)
        for member in members:
            assert f'"{member}"' not in answer.text

        still_open = econ.get("reports/quarterly", {}, quarter="2026-Q2")
        assert still_open.status_code == 409
        assert "quarter: 2026-Q2 is still open" in still_open.json()["detail"]
        malformed = econ.get("reports/quarterly", {}, quarter="2026-Q5")
        assert malformed.status_code == 422 and "query.quarter" in malformed.json()["detail"]
        assert econ.get("reports/quarterly", {}).status_code == 422  # quarter is required
        before_policies = econ.get("reports/quarterly", {}, quarter="2020-Q1")
        assert before_policies.status_code == 404
    assert table_counts(econ.engine) == before  # reading a report writes nothing


def test_unpublished_report_is_404_with_the_reason(
    econ: Economy, monkeypatch: pytest.MonkeyPatch
) -> None:
    hidden = replace(POLICY, reports=replace(POLICY.reports, quarterly_published=False))
    monkeypatch.setattr(service, "report_policy", lambda quarter: hidden)
    build_health(econ.engine)
    with time_machine.travel(NOW, tick=False):
        answer = econ.get("reports/quarterly", {}, quarter="2026-Q1")
    assert answer.status_code == 404
    assert "reports.quarterly_published is false" in answer.json()["detail"]
