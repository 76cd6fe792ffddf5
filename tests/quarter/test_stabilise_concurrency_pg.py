"""Concurrent approvals of one burn proposal on PostgreSQL: one decision, one burn
(the proposal row is locked for the decision, ADR 0030)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, select, text

from systok.core.times import datetime_to_us
from systok.db.engine import run_transaction
from systok.db.kit import stabilisation_proposals_t
from systok.errors import ProposalDecided
from systok.stabilisation.service import approve
from tests.quarter.health_world import NOW
from tests.quarter.test_stabilise import run_q1, with_burn

pytestmark = pytest.mark.postgres


def test_a_proposal_approved_at_once_burns_once(pg_engine: Engine) -> None:
    policy = with_burn()
    run_q1(pg_engine, policy)
    with pg_engine.connect() as connection:
        burn_id = connection.execute(
            select(stabilisation_proposals_t.c.id).where(stabilisation_proposals_t.c.rule == "burn")
        ).scalar_one()
    barrier = threading.Barrier(4)

    def decide(index: int) -> str:
        barrier.wait()
        try:
            run_transaction(
                pg_engine,
                lambda s: approve(
                    s,
                    policy,
                    burn_id,
                    by=f"admin{index}",
                    reason=None,
                    now_us=datetime_to_us(NOW),
                ),
            )
        except ProposalDecided:
            return "refused"
        return "approved"

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(decide, range(4)))
    assert outcomes == ["approved", "refused", "refused", "refused"]
    with pg_engine.connect() as connection:
        burns = connection.execute(
            text("SELECT COUNT(*) FROM transactions WHERE code = 'burn'")
        ).scalar_one()
    assert burns == 2  # the world's own burn of 100 and this one
