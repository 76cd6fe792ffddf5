"""A property of the initial sale over random purchases (both backends): the sold units
never exceed the cap nor what the treasury holds, the treasury gives exactly what was
sold and the supply does not move: a sale mints nothing (ADR 0041)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from systok.core.amount import format_amount
from systok.db.engine import run_transaction
from systok.errors import SaleCapExceeded
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from systok.sale.schemas import Sale
from systok.sale.service import TREASURY, sale_status
from tests.sale.helpers import STK, at, buy, close, mint, open_sale, seed_members

COUNTER = itertools.count()


def treasury(engine: Engine) -> int:
    return run_transaction(engine, lambda s: Ledger(s).balance(TREASURY).available_units)


def supply(engine: Engine) -> int:
    report = run_transaction(engine, audit_ledger, snapshot=True)
    assert report.ok, report.violations
    return report.supply_units["STK"]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    share_bps=st.integers(500, 1000),
    # from 0.01 STK (1.5 kopecks at the test's price, so every purchase costs something)
    amounts=st.lists(st.integers(STK // 100, 30_000 * STK), min_size=1, max_size=8),
)
def test_sold_within_cap_and_supply_unchanged(
    engine: Engine, share_bps: int, amounts: list[int]
) -> None:
    example = next(COUNTER)
    if run_transaction(engine, sale_status).sale is None:  # the first example on this engine
        seed_members(engine, "m1", "m2")
        mint(engine, 100_000 * STK, datetime(2026, 5, 1, tzinfo=UTC), "mint-1")
    start, held = supply(engine), treasury(engine)
    sale = open_sale(engine, share_bps, "1.5", f"sale-{example}", at(2026, 6, 1)).sale
    assert sale.cap_units == sale.issued_units * share_bps // 10_000  # floor
    try:
        _buy_all(engine, sale, amounts, example)
    finally:
        close(engine, at(2026, 6, 3))
    status = run_transaction(engine, sale_status)
    assert status.sale is not None
    sold = status.sale.sold_units
    assert sold == sum(p.units for p in status.purchases)
    assert sold <= status.sale.cap_units
    assert supply(engine) == start  # nothing minted
    assert treasury(engine) == held - sold


def _buy_all(engine: Engine, sale: Sale, amounts: list[int], example: int) -> None:
    """Buy each amount in turn; one beyond the remaining cap or the treasury's available
    balance (drained by earlier examples on this engine) must be refused."""
    sold = 0
    for index, units in enumerate(amounts):
        member = ("m1", "m2")[index % 2]
        amount = format_amount(units, 6)
        if units > min(sale.cap_units - sold, treasury(engine)):
            try:
                buy(engine, member, amount, f"pay-{example}-{index}", at(2026, 6, 2))
            except SaleCapExceeded:
                continue
            raise AssertionError("a purchase beyond the cap was taken")
        buy(engine, member, amount, f"pay-{example}-{index}", at(2026, 6, 2))
        sold += units
    assert sold == run_transaction(engine, sale_status).sale.sold_units  # type: ignore[union-attr]
