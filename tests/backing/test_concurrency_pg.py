"""Concurrent recordings of one reference on PostgreSQL: one row, every caller gets it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text

from systok.backing.schemas import Recorded
from systok.backing.service import parse_inflow, record_inflow
from systok.db.engine import run_transaction
from systok.policy_files import default_policy
from tests.backing.helpers import LATER_US

pytestmark = pytest.mark.postgres


def test_one_reference_recorded_at_once_is_stored_once(pg_engine: Engine) -> None:
    draft = parse_inflow(
        default_policy(),
        kind="donation",
        amount="1000",
        quarter="2026-Q3",
        reference="gift-race",
        note=None,
    )
    barrier = threading.Barrier(8)

    def record(_: int) -> Recorded:
        barrier.wait()
        return run_transaction(pg_engine, lambda s: record_inflow(s, draft, now_us=LATER_US))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(record, range(8)))
    assert len({answer.inflow.id for answer in answers}) == 1
    assert sorted(answer.replayed for answer in answers) == [False] + [True] * 7
    with pg_engine.connect() as connection:
        rows = connection.execute(text("SELECT COUNT(*) FROM backing_inflows")).scalar_one()
    assert rows == 1
