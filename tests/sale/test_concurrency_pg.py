"""Concurrent purchases on PostgreSQL: the cap holds, and a reference is sold once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from systok.db.engine import run_transaction
from systok.errors import SaleCapExceeded
from systok.sale.service import sale_status
from tests.sale.helpers import STK, at, buy, mint, open_sale, seed_members

pytestmark = pytest.mark.postgres


def test_racing_buyers_never_oversell(pg_engine: Engine) -> None:
    seed_members(pg_engine, "m1", "m2")
    mint(pg_engine, 100_000 * STK, datetime(2026, 5, 1, tzinfo=UTC), "mint-1")
    open_sale(pg_engine, 500, "1", "sale-1", at(2026, 6, 1))  # cap 5 000 STK
    barrier = threading.Barrier(8)

    def attempt(index: int) -> str:
        barrier.wait()
        try:
            # 6 payments of 1 000 STK against a 5 000 STK cap; two of them sent twice
            payment = index % 6
            buy(pg_engine, f"m{payment % 2 + 1}", "1000", f"pay-{payment}", at(2026, 6, 2))
        except SaleCapExceeded:
            return "refused"
        return "bought"

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(attempt, range(8)))
    status = run_transaction(pg_engine, sale_status)
    assert status.sale is not None
    assert status.sale.sold_units == 5_000 * STK == status.sale.cap_units
    assert len({p.reference for p in status.purchases}) == len(status.purchases) == 5
    assert answers.count("refused") in {1, 2}  # the payment that came last (and its resend)
