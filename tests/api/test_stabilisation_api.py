"""``GET /tokenomics/stabilisation`` (admin:read) over real HTTP on both backends: the
proposals of ``tests.quarter.test_stabilise``'s quarter (ADR 0030), and an approved
buyback's budget and spending (ADR 0034)."""

from __future__ import annotations

import pytest
import time_machine

from systok.db.engine import run_transaction
from systok.stabilisation.buyback import sell
from tests.api.economy import Economy
from tests.quarter.health_world import NOW
from tests.quarter.test_stabilise import run_q1
from tests.quarter.world import POLICY
from tests.stabilisation.buyback_world import buyback_world
from tests.stabilisation.world import NOW_US, approve_rule


def test_proposals_over_http(econ: Economy) -> None:
    run_q1(econ.engine)
    admin = econ.as_key("admin:read")
    with time_machine.travel(NOW, tick=False):
        response = econ.get("stabilisation", admin, quarter="2026-Q1")
        assert response.status_code == 200, response.text
        body = response.json()
        assert [(p["rule"], p["numerator"], p["status"]) for p in body] == [
            ("buyback", "-25", "proposed"),
            ("emission_adjustment", "12", "proposed"),
        ]
        assert body[0]["effective_quarter"] == "2026-Q2"
        assert econ.get("stabilisation", admin, status="executed").json() == []
        assert econ.get("stabilisation", admin, quarter="2026-Q5").status_code == 422
        assert econ.get("stabilisation", econ.as_member("m1")).status_code == 403


@pytest.mark.parametrize("quarter", ["0000-Q1", "9999-Q4", "2026-Q5", "2026-q1"])
@pytest.mark.parametrize("path", ["stabilisation", "backing", "reports/quarterly"])
def test_a_quarter_the_calendar_cannot_hold_is_a_422_naming_the_parameter(
    econ: Economy, path: str, quarter: str
) -> None:
    """No quarter text reaches ``Quarter.parse`` unguarded: 9999-Q4 matches the pattern
    but has no next quarter, and once answered 500 on the stabilisation route."""
    answer = econ.get(path, econ.as_key("admin:read"), quarter=quarter)
    assert answer.status_code == 422, answer.text
    assert "query.quarter" in answer.json()["detail"]


def test_an_approved_buyback_shows_its_budget_and_spending(econ: Economy) -> None:
    """Budget 30.00 RUB; one sale of 2.5 STK at 7.50 RUB pays 1 875 kopecks (ADR 0034)."""
    buyback_world(econ.engine)
    approve_rule(econ.engine, POLICY, "buyback", budget="30")
    run_transaction(
        econ.engine,
        lambda s: sell(s, POLICY, member_id="a", amount="2.5", reference="r", now_us=NOW_US),
    )
    with time_machine.travel(NOW, tick=False):
        body = econ.get("stabilisation", econ.as_key("admin:read"), quarter="2026-Q1").json()
    found = {p["rule"]: p for p in body}
    assert (found["buyback"]["status"], found["buyback"]["budget_units"]) == ("approved", 3000)
    assert found["buyback"]["spent_units"] == 1875
    assert (
        found["emission_adjustment"]["budget_units"],
        found["emission_adjustment"]["spent_units"],
    ) == (None, None)
