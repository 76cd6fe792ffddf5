"""A hand-built ledger whose health metrics for 2026-Q1 and 2026-W05 are worked out below.

Before the quarter (2025-12-01) emission credits a 3 000, b 2 000, c 1 000,
``fund:treasury`` 2 000 and ``pool:rewards`` 2 000 units, and c's 500 are put on hold
(escrow), pending at both ends. On 2026-02-01 (a Sunday, the last day of 2026-W05):

- emission mints 400 to ``pool:rewards`` (issued 400);
- 100 move from ``fund:treasury`` to ``burn`` (burned 100);
- b sends a 1 000 (``transfer``, b −1 010, a +1 000, ``fee`` +10): volume 1 000;
- a pays 200 to the treasury (``purchase``): volume 200;
- the pool rewards d 300 (``reward``, not volume).

Members (rows): a, b, c since 2025-01-01; d since 2026-02-01. Activity: a has counted
events on 2026-03-10; b sent the transfer on 2026-02-01; c never did anything; d never
did anything either and counts as active on their first-known day, 2026-02-01 (the
snapshot's rule, ``quarter.repository.last_activity_days``).

At the close: a 3 800, b 990, c 1 000 (500 held), d 300 → members 6 090 posted, 5 590
spendable (5 500 at the start: 6 000 − 500); treasury 2 000 − 100 + 200 = 2 100;
supply 10 000 at the start, 10 000 + 400 − 100 = 10 300 at the close.

Quarter 2026-Q1 (periods_per_year 4), rated by stk-2025-12:

| metric | computation | exact | text | status |
|---|---|---|---|---|
| inflation_yearly | (400 − 100) / 10 000 × 4 × 100 % | 12 | 12.000000 | critical (> 10) |
| velocity | 1 200 / ((5 500 + 5 590) / 2) × 4 / 4 | 240/1109 | 0.216411 | warning |
| active_wallets | 3 / 4 (a, b, d of a, b, c, d) × 100 % | 75 | 75.000000 | ok |
| frozen_tokens | 500 / 10 300 × 100 % | 500/103 | 4.854368 | ok |
| treasury | 2 100 / 10 300 × 100 % | 2100/103 | 20.388349 | ok |
| gini | x = 300, 990, 1 000, 3 800; Σx = 6 090; Σ i·x = 300 + 1 980 + 3 000 + 15 200 = 20 480; (2·20 480 − 5·6 090) / (4·6 090) = 10 510 / 24 360 | 1051/2436 | 0.431444 | unrated |

Week 2026-W05 (2026-01-26 … 2026-02-01, periods_per_year 52): the same movements, so
the same shares and Gini; a's activity (March) is after the week, so 2 of 4 are active:

| metric | computation | exact | status |
|---|---|---|---|
| inflation_yearly | 300 / 10 000 × 52 × 100 % | 156 | critical |
| velocity | 1 200 / 5 545 × 52 / 4 | 3120/1109 (2.813345) | warning |
| active_wallets | 2 / 4 × 100 % | 50 | ok |
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.core.ledger import (
    AccountRef,
    AccountType,
    HoldDraft,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.core.times import day_of_date
from systok.db.engine import run_transaction
from systok.ingest.repository.members import ensure_member
from systok.ledger.service import Ledger
from tests.quarter.world import POLICY, at, counted_events, credit, fixed

NOW = datetime(2026, 4, 2, 12, tzinfo=UTC)

QUARTER_GOLDEN = {
    # metric: (numerator, denominator, value text, status)
    "inflation_yearly": (12, 1, "12.000000", "critical"),
    "velocity": (240, 1109, "0.216411", "warning"),
    "active_wallets": (75, 1, "75.000000", "ok"),
    "frozen_tokens": (500, 103, "4.854368", "ok"),
    "treasury": (2100, 103, "20.388349", "ok"),
    "gini": (1051, 2436, "0.431444", "unrated"),
}
WEEK_GOLDEN = QUARTER_GOLDEN | {
    "inflation_yearly": (156, 1, "156.000000", "critical"),
    "velocity": (3120, 1109, "2.813345", "warning"),
    "active_wallets": (50, 1, "50.000000", "ok"),
}


def post(session: Session, code: TransactionCode, key: str, *postings: Posting) -> None:
    Ledger(session, clock=fixed(at(2026, 2, 1))).post(
        TransactionDraft(code=code, idempotency_key=key, postings=postings)
    )


def build_health(engine: Engine) -> None:
    """Write the ledger described in this module's docstring."""
    treasury = system_account(AccountType.FUND_TREASURY)
    pool = system_account(AccountType.POOL_REWARDS)

    def work(session: Session) -> None:
        Ledger(session).ensure_assets({c: a.scale for c, a in POLICY.assets.items()})
        for member_id in ("a", "b", "c"):
            ensure_member(session, member_id, at(2025, 1, 1))
        ensure_member(session, "d", at(2026, 2, 1))
        for ref, units in (
            (member_account("a"), 3000),
            (member_account("b"), 2000),
            (member_account("c"), 1000),
            (treasury, 2000),
            (pool, 2000),
        ):
            credit(session, ref, units, at(2025, 12, 1), f"h:{ref.type}:{ref.owner}")
        Ledger(session, clock=fixed(at(2025, 12, 1))).create_hold(
            HoldDraft(
                code=TransactionCode.ESCROW,
                idempotency_key="h:hold:c",
                debit=member_account("c"),
                credit=system_account(AccountType.ESCROW),
                amount_units=500,
            )
        )
        credit(session, pool, 400, at(2026, 2, 1), "h:mint")
        burn = AccountRef(AccountType.BURN, "STK")
        post(session, TransactionCode.BURN, "h:burn", Posting(treasury, -100), Posting(burn, 100))
        post(
            session,
            TransactionCode.TRANSFER,
            "h:b->a",
            Posting(member_account("b"), -1010),
            Posting(member_account("a"), 1000),
            Posting(system_account(AccountType.FEE), 10),
        )
        post(
            session,
            TransactionCode.PURCHASE,
            "h:buy",
            Posting(member_account("a"), -200),
            Posting(treasury, 200),
        )
        post(
            session,
            TransactionCode.REWARD,
            "h:reward:d",
            Posting(pool, -300),
            Posting(member_account("d"), 300),
        )
        counted_events(
            session, "a", day_of_date(datetime(2026, 3, 10).date()), "SectionCompleted", 1
        )

    run_transaction(engine, work)
