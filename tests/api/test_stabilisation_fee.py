"""An approved ``fee_adjustment`` raises the P2P transfer fee's rate by its step for
the next quarter only, through the API transfer endpoint on a live loopback server
(ADR 0034).

Golden (policy stk-2025-12: 50 bps, at least 0.01 STK, at most 100 STK): the 2026-Q1
proposal's step is 10 bps, effective 2026-Q2. A transfer of 100 STK in 2026-Q2 pays
floor(100 000 000 × 60 / 10 000) = 600 000 units = 0.6 STK; in 2026-Q3 it pays the
policy's floor(100 000 000 × 50 / 10 000) = 0.5 STK again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from tests.api.economy import STK, Economy, fund, state
from tests.quarter.test_stabilise import run_q1
from tests.stabilisation.world import FEE_FIRES, approve_rule, with_rules

IN_Q2 = datetime(2026, 5, 15, 12, tzinfo=UTC)
IN_Q3 = datetime(2026, 7, 15, 12, tzinfo=UTC)


def approved_fee_step(econ: Economy) -> None:
    policy = with_rules(fee_adjustment=FEE_FIRES)
    run_q1(econ.engine, policy)
    done = approve_rule(econ.engine, policy, "fee_adjustment")
    assert (done.status.value, done.step_bps, str(done.effective_quarter)) == (
        "approved",
        10,
        "2026-Q2",
    )


def test_the_next_quarters_transfers_pay_the_raised_fee(econ: Economy) -> None:
    approved_fee_step(econ)
    with time_machine.travel(IN_Q2, tick=True):
        fund(econ.engine, "m1", 1000 * STK)
        response = econ.transfer("m1", "m2", "100")
        assert response.status_code == 200, response.text
        assert (response.json()["fee"], response.json()["debited"]) == ("0.600000", "100.600000")
    with time_machine.travel(IN_Q3, tick=True):
        response = econ.transfer("m1", "m2", "100")
        assert response.status_code == 200, response.text
        assert response.json()["fee"] == "0.500000"  # the override was for 2026-Q2 only


def test_a_transfer_short_of_the_raised_fee_is_refused_and_writes_nothing(
    econ: Economy,
) -> None:
    """100.5 STK pays 100 STK + the policy's 0.5 fee, not + the raised 0.6."""
    approved_fee_step(econ)
    with time_machine.travel(IN_Q2, tick=True):
        fund(econ.engine, "m1", 100 * STK + 500_000)
        before = state(econ.engine)
        response = econ.transfer("m1", "m2", "100")
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "InsufficientFunds"
        assert state(econ.engine) == before
