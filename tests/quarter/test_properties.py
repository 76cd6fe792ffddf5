"""Properties of the quarterly run over random balances and activity (both backends).

Each example settles its own quarter (2000-Q1, then the next, …) on one database, so
members of earlier examples are still there: everything is asserted over the whole
ledger, which is what the properties are about anyway.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from systok.core.ledger import (
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.core.quarters import Quarter
from systok.core.times import MICROS_PER_DAY, datetime_to_us, day_of_date
from systok.db.engine import run_transaction
from systok.ingest.repository.members import ensure_member
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from systok.quarter.service import QuarterRun
from systok.quarter.verify import verify_quarter
from tests.quarter.test_run import every_table
from tests.quarter.world import POLICY, counted_events, fixed

members = st.lists(
    st.tuples(
        st.integers(0, 10**12),  # custodial units at the close
        st.integers(0, 800),  # days inactive at the close
        st.booleans(),  # active by a counted event (else: only their first-known day)
        st.integers(0, 100),  # percent of the balance spent between the close and the run
    ),
    min_size=1,
    max_size=6,
)


def member_sum(engine: Engine) -> int:
    return run_transaction(
        engine,
        lambda s: sum(
            b.posted_units
            for b in Ledger(s).balances("STK")
            if b.account.type is AccountType.MEMBER
        ),
    )


def pool(engine: Engine) -> int:
    ref = system_account(AccountType.POOL_REWARDS)
    return run_transaction(engine, lambda s: Ledger(s).balance(ref).posted_units)


def test_quarter_conserves_and_reruns_change_nothing(engine: Engine) -> None:
    quarters = itertools.count()

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(members)
    def check(plan: list[tuple[int, int, bool, int]]) -> None:
        n = next(quarters)
        quarter = Quarter(2000 + n // 4, n % 4 + 1)
        start_us, close_us = datetime_to_us(quarter.start), datetime_to_us(quarter.end)
        last_day = day_of_date(quarter.last_day)

        def seed(session) -> None:
            ledger = Ledger(session, clock=fixed(start_us))
            ledger.ensure_assets({c: a.scale for c, a in POLICY.assets.items()})
            for index, (units, inactive, by_event, _) in enumerate(plan):
                member_id = f"p{n}-{index}"
                active_day = last_day - inactive
                if by_event:
                    ensure_member(session, member_id, start_us - 900 * MICROS_PER_DAY)
                    counted_events(session, member_id, active_day, "X", 1)
                else:
                    ensure_member(session, member_id, active_day * MICROS_PER_DAY)
                if units:
                    ledger.post(
                        TransactionDraft(
                            code=TransactionCode.EMISSION,
                            idempotency_key=f"p:{member_id}",
                            postings=(
                                Posting(system_account(AccountType.WORLD), -units),
                                Posting(member_account(member_id), units),
                            ),
                        )
                    )
            after = Ledger(session, clock=fixed(close_us + 1))
            for index, (units, _, _, spent_pct) in enumerate(plan):
                spent = units * spent_pct // 100
                if spent:
                    after.post(
                        TransactionDraft(
                            code=TransactionCode.PURCHASE,
                            idempotency_key=f"spend:{n}-{index}",
                            postings=(
                                Posting(member_account(f"p{n}-{index}"), -spent),
                                Posting(system_account(AccountType.FUND_TREASURY), spent),
                            ),
                        )
                    )

        run_transaction(engine, seed)
        members_before, pool_before = member_sum(engine), pool(engine)
        run = QuarterRun(engine, POLICY, clock=fixed(close_us + MICROS_PER_DAY))
        summary = run.run(quarter)
        taken = members_before - member_sum(engine)
        assert taken == summary.moved_units == pool(engine) - pool_before
        for row in summary.redistributions:
            assert 0 <= row.moved_units <= row.due_units
        assert run_transaction(engine, audit_ledger).ok  # no balance below zero
        assert verify_quarter(engine, POLICY, quarter) == []
        before = every_table(engine)
        assert run.run(quarter) == summary
        assert every_table(engine) == before

    check()
