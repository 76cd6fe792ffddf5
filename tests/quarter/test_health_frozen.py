"""Health's frozen tokens count the locked vesting accounts (ADRs 0029, 0033, 0041)."""

from __future__ import annotations

from sqlalchemy import Engine

from systok.core.quarters import Quarter
from systok.core.times import datetime_to_us, day_of_date
from systok.db.engine import run_transaction
from systok.health.repository import health_inputs
from tests.quarter.vest_world import STK, build, buy_on_2026_02_15


def test_frozen_counts_fund_and_sale_vesting_accounts(engine: Engine) -> None:
    """vest_world: 500 000 STK minted 2025-04-01, the startup fund's 15 % = 75 000 STK in
    ``fund:vesting:startup``; m buys 1 000 STK on 2026-02-15 into ``hold:vesting:m``; no
    quarter ran, no ledger hold. Frozen at 2026-Q1's close = 75 000 + 1 000 = 76 000 STK
    of a supply of 500 000 STK (the sale minted nothing)."""
    build(engine)
    buy_on_2026_02_15(engine)
    quarter = Quarter(2026, 1)
    inputs = run_transaction(
        engine,
        lambda s: health_inputs(
            s,
            "STK",
            start_us=datetime_to_us(quarter.start),
            end_us=datetime_to_us(quarter.end),
            first_day=day_of_date(quarter.first_day),
            last_day=day_of_date(quarter.last_day),
            periods_per_year=4,
        ),
    )
    assert inputs.frozen_units == 76_000 * STK
    assert inputs.supply_start_units + inputs.issued_units - inputs.burned_units == 500_000 * STK
