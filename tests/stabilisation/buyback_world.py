"""The 2026-Q1 quarter world with a buyback to approve: the directive price fell from
10.00 to 7.50 RUB (−25 %, the ``buyback`` rule fires); a 2 000.00 RUB subscription
recorded for 2026-Q2 gives the backing fund ½ of it, 100 000 kopecks; member ``a``
holds 10 STK more, bought back at 7.50 RUB per STK from a budget of 30.00 RUB
(3 000 kopecks)."""

from __future__ import annotations

from sqlalchemy import Engine

from systok.backing.service import parse_inflow, record_inflow
from systok.core.ledger import member_account
from systok.db.engine import run_transaction
from tests.quarter.test_stabilise import run_q1
from tests.quarter.world import POLICY, credit
from tests.stabilisation.world import NOW_US

STK = 1_000_000
BACKING_KOPECKS = 100_000
BUDGET_KOPECKS = 3_000


def buyback_world(engine: Engine) -> None:
    """Settle 2026-Q1, record the Q2 subscription, give ``a`` 10 STK (unapproved yet)."""
    run_q1(engine)

    def work(session) -> None:
        draft = parse_inflow(
            POLICY,
            kind="subscription",
            amount="2000",
            quarter="2026-Q2",
            reference="sub-2026-Q2",
            note=None,
        )
        record_inflow(session, draft, now_us=NOW_US)
        credit(session, member_account("a"), 10 * STK, NOW_US, "bb:a")

    run_transaction(engine, work)
