"""Concurrent first requests for one period's health on PostgreSQL: one set of rows,
every caller gets the same readings (ADR 0028)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text

from systok.core.times import datetime_to_us
from systok.db.engine import run_transaction
from systok.health.service import parse_period, period_health
from tests.quarter.health_world import NOW, build_health
from tests.quarter.world import POLICY

pytestmark = pytest.mark.postgres


def test_one_period_computed_at_once_is_stored_once(pg_engine: Engine) -> None:
    build_health(pg_engine)
    period = parse_period("2026-Q1")
    barrier = threading.Barrier(6)

    def ask(index: int):
        barrier.wait()
        return run_transaction(
            pg_engine,
            lambda s: period_health(s, POLICY, period, now_us=datetime_to_us(NOW) + index),
        )

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(ask, range(6)))
    assert len({answer.readings for answer in answers}) == 1
    with pg_engine.connect() as connection:
        rows = connection.execute(text("SELECT COUNT(*) FROM health_readings")).scalar_one()
    assert rows == 6
