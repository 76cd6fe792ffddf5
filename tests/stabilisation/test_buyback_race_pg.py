"""Concurrent sellers and concurrent approvers of one buyback on PostgreSQL: the
budget is never passed, the buyback opens once (ADR 0034).

Golden: budget 30.00 RUB = 3 000 kopecks, 1 STK pays 750 kopecks at 7.50 RUB, so of
eight concurrent 1-STK sales exactly 3 000 / 750 = 4 are paid and 4 refused.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text

from systok.db.engine import run_transaction
from systok.errors import BuybackUnavailable, ProposalDecided
from systok.stabilisation.buyback import sell
from tests.quarter.world import POLICY
from tests.stabilisation.buyback_world import STK, buyback_world
from tests.stabilisation.world import NOW_US, approve_rule, proposal_id

pytestmark = pytest.mark.postgres


def scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def test_concurrent_sellers_never_pass_the_budget(pg_engine: Engine) -> None:
    buyback_world(pg_engine)
    approve_rule(pg_engine, POLICY, "buyback", budget="30")
    barrier = threading.Barrier(8)

    def one(index: int) -> str:
        barrier.wait()
        try:
            run_transaction(
                pg_engine,
                lambda s: sell(
                    s, POLICY, member_id="a", amount="1", reference=f"race-{index}", now_us=NOW_US
                ),
            )
        except BuybackUnavailable:
            return "refused"
        return "sold"

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(one, range(8)))
    assert outcomes == ["refused"] * 4 + ["sold"] * 4
    assert scalar(pg_engine, "SELECT spent_units FROM stabilisation_buybacks") == 3000
    assert scalar(pg_engine, "SELECT SUM(amount_units) FROM backing_outflows") == 3000
    assert scalar(pg_engine, "SELECT COUNT(*) FROM transactions WHERE code = 'buyback'") == 4
    treasury = scalar(
        pg_engine,
        "SELECT SUM(p.amount_units) FROM postings p JOIN transactions t ON t.id = "
        "p.transaction_id JOIN accounts a ON a.id = p.account_id "
        "WHERE t.code = 'buyback' AND a.type = 'fund:treasury'",
    )
    assert treasury == 4 * STK


def test_two_admins_approving_one_buyback_open_it_once(pg_engine: Engine) -> None:
    buyback_world(pg_engine)
    found = proposal_id(pg_engine, "buyback")
    barrier = threading.Barrier(2)

    def one(budget: str) -> str:
        barrier.wait()
        try:
            approve_rule(pg_engine, POLICY, "buyback", budget=budget)
        except ProposalDecided:
            return "refused"
        return "approved"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(one, ["30", "40"]))
    assert outcomes == ["approved", "refused"]
    assert scalar(pg_engine, "SELECT COUNT(*) FROM stabilisation_buybacks") == 1
    assert (
        scalar(
            pg_engine,
            f"SELECT COUNT(*) FROM stabilisation_proposals WHERE id = {found} "
            "AND status = 'approved'",
        )
        == 1
    )
