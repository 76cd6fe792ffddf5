"""Buying in the initial sale and selling in a buyback are actions the member started:
they count as activity (ADR 0041, docs/quarter.md "Activity")."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from systok.core.ledger import (
    AccountRef,
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
)
from systok.core.quarters import Quarter
from systok.core.times import datetime_to_us, day_of_date
from systok.db.engine import run_transaction
from systok.ingest.repository.members import ensure_member
from systok.ledger.service import Ledger
from systok.quarter.repository import last_activity_days
from tests.quarter.vest_world import STK, at, build, buy_on_2026_02_15

Q1 = Quarter(2026, 1)


def last_days(engine: Engine) -> dict[str, int]:
    return run_transaction(
        engine,
        lambda s: last_activity_days(
            s, {"m", "seller"}, "STK", day_of_date(Q1.last_day), datetime_to_us(Q1.end)
        ),
    )


def post(engine: Engine, draft: TransactionDraft, when_us: int) -> None:
    run_transaction(engine, lambda s: Ledger(s, clock=lambda: when_us).post(draft))


def test_a_sale_purchase_and_a_buyback_sale_are_activity(engine: Engine) -> None:
    """m (known since 2025-01-01) buys on 2026-02-15 → last active 2026-02-15; seller
    (known since 2025-01-01, 5 STK from the pool) sells 1 STK to the treasury in a
    ``buyback`` entry on 2026-03-20 → last active 2026-03-20. Without these actions
    both would be last active on 2025-01-01, their first-known day."""
    build(engine)
    run_transaction(engine, lambda s: ensure_member(s, "seller", at(2025, 1, 1)))
    assert last_days(engine) == {"m": day_of_date(date(2025, 1, 1))} | {
        "seller": day_of_date(date(2025, 1, 1))
    }
    buy_on_2026_02_15(engine)
    seller = member_account("seller")
    pool = AccountRef(AccountType.POOL_REWARDS, "STK")
    treasury = AccountRef(AccountType.FUND_TREASURY, "STK")
    for when, key, postings in (
        (at(2026, 3, 1), "pay-seller", (Posting(pool, -5 * STK), Posting(seller, 5 * STK))),
        (at(2026, 3, 20), "buyback:x", (Posting(seller, -STK), Posting(treasury, STK))),
    ):
        code = TransactionCode.REWARD if key == "pay-seller" else TransactionCode.BUYBACK
        post(engine, TransactionDraft(code, key, postings), when)
    assert last_days(engine) == {
        "m": day_of_date(date(2026, 2, 15)),
        "seller": day_of_date(date(2026, 3, 20)),
    }
