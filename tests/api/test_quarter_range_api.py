"""The ends of the quarter range over real HTTP: 0001-Q1 and 9998-Q4 are accepted
quarters, so reports and health answer them without a 5xx (issue 13)."""

from __future__ import annotations

import pytest
import time_machine

from tests.api.economy import Economy
from tests.quarter.health_world import NOW, build_health


@pytest.mark.parametrize("quarter", ["0001-Q1", "9998-Q4"])
def test_the_first_and_last_quarters_never_500(econ: Economy, quarter: str) -> None:
    """0001-Q1 is before any policy (404) and 9998-Q4 is still open at NOW (409, closing
    9999-01-01): each answered with a client status naming why, never a 5xx (9998-Q4's
    close used to build the quarter 9999-Q1 and raise)."""
    build_health(econ.engine)
    statistician, admin = econ.as_key("stats:read"), econ.as_key("admin:read")
    with time_machine.travel(NOW, tick=False):
        report = econ.get("reports/quarterly", admin, quarter=quarter)
        health = econ.get("stats/health", statistician, period=quarter)
        backing = econ.get("backing", admin, quarter=quarter)
    assert backing.status_code == 200 and backing.json()["quarter"] == quarter
    if quarter == "0001-Q1":  # before the first policy, like 2020-Q1
        for answer in (report, health):
            assert answer.status_code == 404, answer.text
            assert answer.json()["error"] == "PolicyNotFound"
        return
    assert (report.status_code, report.json()["error"]) == (409, "ReportQuarterOpen")
    assert (health.status_code, health.json()["error"]) == (409, "HealthPeriodOpen")
    for answer in (report, health):
        assert "9998-Q4 is still open (it closes 9999-01-01T00:00:00+00:00)" in answer.text
