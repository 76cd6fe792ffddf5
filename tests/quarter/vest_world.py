"""A world for the vest stage, on policy stk-2025-04 (startup fund: 15 %, 1 095 days;
initial sale: 365 days).

- 2025-04-01 10:00 UTC: one emission of 500 000 STK (period ``vest-2025-Q2``): the
  startup fund's 15 % = 75 000 STK goes to ``fund:vesting:startup``, the rest at once.
- 2025-04-02: a sale opens (5 %, 1.00 RUB per STK).
- 2026-02-15 10:00 UTC: member ``m`` buys 1 000 STK, minted into ``hold:vesting:m``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.core.ledger import AccountRef, AccountType, member_account
from systok.core.quarters import Quarter
from systok.core.times import MICROS_PER_DAY, datetime_to_us
from systok.db.engine import run_transaction
from systok.economy.emission import locked_account, mint_emission
from systok.ingest.repository.members import ensure_member
from systok.ledger.service import Ledger
from systok.policy_files import load_policy
from systok.quarter.schemas import QuarterSummary
from systok.quarter.service import QuarterRun
from systok.sale import service as sale

POLICY = load_policy("stk-2025-04")
STK = 1_000_000
FUND_LOCKED = locked_account("startup")
FUND = AccountRef(AccountType.FUND_STARTUP, "STK")
SALE_LOCKED = sale.vesting_account("m")
MEMBER = member_account("m")


def at(year: int, month: int, day: int, hour: int = 10) -> int:
    return datetime_to_us(datetime(year, month, day, hour, tzinfo=UTC))


def mint(engine: Engine, period: str, units: int, when_us: int) -> None:
    def work(session: Session) -> None:
        ledger = Ledger(session, clock=lambda: when_us)
        ledger.ensure_assets({c: a.scale for c, a in POLICY.assets.items()})
        mint_emission(ledger, POLICY, period, units)

    run_transaction(engine, work)


def purchase(engine: Engine, member_id: str, amount: str, reference: str, when_us: int) -> None:
    draft = sale.parse_purchase(POLICY, member_id=member_id, amount=amount, reference=reference)
    run_transaction(engine, lambda s: sale.buy(s, POLICY, draft, now_us=when_us))


def build(engine: Engine) -> None:
    """The emission and the sale of this module's docstring (the purchase is separate)."""
    mint(engine, "vest-2025-Q2", 500_000 * STK, at(2025, 4, 1))
    run_transaction(engine, lambda s: ensure_member(s, "m", at(2025, 1, 1)))
    draft = sale.parse_sale(POLICY, share_bps=500, price="1.00", reference="sale-1")
    run_transaction(engine, lambda s: sale.open_sale(s, POLICY, draft, now_us=at(2025, 4, 2)))


def buy_on_2026_02_15(engine: Engine) -> None:
    purchase(engine, "m", "1000", "pay-1", at(2026, 2, 15))


def runner(engine: Engine, quarter: Quarter) -> QuarterRun:
    """A run of ``quarter`` on the day after its close."""
    return QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(quarter.end) + MICROS_PER_DAY)


def run(engine: Engine, quarter: Quarter) -> QuarterSummary:
    return runner(engine, quarter).run(quarter)


def balance(engine: Engine, ref: AccountRef) -> int:
    return run_transaction(engine, lambda s: Ledger(s).balance(ref).posted_units)


def quarters(first: Quarter, count: int) -> list[Quarter]:
    found = [first]
    while len(found) < count:
        found.append(found[-1].next())
    return found
