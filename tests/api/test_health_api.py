"""``GET /tokenomics/stats/health`` (stats:read) over real HTTP on both backends: the
golden readings of ``tests.quarter.health_world``, stored once (ADR 0028)."""

from __future__ import annotations

import time_machine

from tests.api.economy import Economy
from tests.backing.helpers import every_table_count as table_counts
from tests.quarter.health_world import NOW, QUARTER_GOLDEN, WEEK_GOLDEN, build_health


def golden_of(body: dict) -> dict:
    return {
        r["metric"]: (r["numerator"], r["denominator"], r["value"], r["status"])
        for r in body["readings"]
    }


def test_health_golden_over_http(econ: Economy) -> None:
    build_health(econ.engine)
    statistician = econ.as_key("stats:read")
    member, admin = econ.as_member("m1"), econ.as_key("admin:read")
    with time_machine.travel(NOW, tick=False):
        quarter = econ.get("stats/health", statistician, period="2026-Q1")
        assert quarter.status_code == 200, quarter.text
        body = quarter.json()
        assert (body["period"], body["period_kind"]) == ("2026-Q1", "quarter")
        assert golden_of(body) == QUARTER_GOLDEN
        velocity = body["readings"][1]
        assert (velocity["target_min"], velocity["target_max"]) == ("0.5", "2.0")
        assert (velocity["critical_below"], velocity["critical_above"]) == ("0.2", "5")
        week = econ.get("stats/health", statistician, period="2026-W05").json()
        assert golden_of(week) == WEEK_GOLDEN
        before = table_counts(econ.engine)
        assert econ.get("stats/health", statistician, period="2026-Q1").json() == body
        default = econ.get("stats/health", statistician).json()
        assert default["period"] == "2026-W13"
        after_default = table_counts(econ.engine)

        still_open = econ.get("stats/health", statistician, period="2026-Q2")
        assert still_open.status_code == 409
        assert "2026-Q2 is still open" in still_open.json()["detail"]
        malformed = econ.get("stats/health", statistician, period="2026-Q5")
        assert malformed.status_code == 422 and "query.period" in malformed.json()["detail"]
        no_week = econ.get("stats/health", statistician, period="2025-W53")
        assert no_week.status_code == 422
        assert no_week.json()["fields"][0]["field"] == "query.period"
        assert "year 2025 has no week 53" in no_week.json()["detail"]
        before_policies = econ.get("stats/health", statistician, period="2020-Q1")
        assert before_policies.status_code == 404
    assert econ.get("stats/health", member, period="2026-Q1").status_code == 403
    assert econ.get("stats/health", admin, period="2026-Q1").status_code == 403
    assert before["health_readings"] + 6 == after_default["health_readings"]
    assert table_counts(econ.engine) == after_default  # refusals wrote nothing
