"""Identities of the quarterly report over random quarters (both backends).

Each example writes its own quarter (2001-Q1, then the next, …) on one database:
emission to members and to the treasury, transfers between members, rewards from the
pool, a burn, all inside the quarter. Then, whatever the numbers:

- emission = Σ emission_by_account = Σ what was minted in the quarter;
- supply at the close = the previous quarter's supply + emission − burned;
- circulating = Σ of every holder's balance (no holds here), and the top holders are
  ranks 1…n, largest first, all holders when there are fewer than the policy's count;
- volume = Σ transferred; average reward = floor(Σ rewards / members rewarded);
- no member id appears anywhere in the report.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import asdict

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
from systok.core.times import datetime_to_us
from systok.db.engine import run_transaction
from systok.ledger.service import Ledger
from systok.reports.service import quarterly_report
from tests.quarter.health_world import NOW
from tests.quarter.world import POLICY, fixed
from tests.reports.golden import names_no_member

plans = st.tuples(
    st.lists(st.integers(1, 10**9), min_size=1, max_size=5),  # minted to each member
    st.integers(0, 10**9),  # minted to the treasury
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(1, 100))),
    st.lists(st.integers(0, 10**6), max_size=5),  # rewards from the pool
    st.integers(0, 100),  # percent of the treasury burned
)


def test_report_identities(engine: Engine) -> None:
    quarters = itertools.count()
    supply_before = [0]

    @settings(
        max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(plans)
    def check(plan) -> None:
        minted, to_treasury, transfers, rewards, burn_pct = plan
        n = next(quarters)
        quarter = Quarter(2001 + n // 4, n % 4 + 1)
        inside = datetime_to_us(quarter.start) + 1
        ids = [f"prop{n}-member{i}" for i in range(len(minted))]
        world = system_account(AccountType.WORLD)
        treasury = system_account(AccountType.FUND_TREASURY)
        pool = system_account(AccountType.POOL_REWARDS)
        balances = dict(zip(ids, minted, strict=True))
        moved = 0
        paid = [r for r in rewards if r]

        def seed(session) -> None:
            nonlocal moved
            ledger = Ledger(session, clock=fixed(inside))
            ledger.ensure_assets({c: a.scale for c, a in POLICY.assets.items()})

            def post(code: TransactionCode, key: str, *postings: Posting) -> None:
                ledger.post(TransactionDraft(code=code, idempotency_key=key, postings=postings))

            for member_id, units in balances.items():
                post(TransactionCode.EMISSION, f"m:{member_id}", Posting(world, -units),
                     Posting(member_account(member_id), units))  # fmt: skip
            pool_units = sum(paid)
            for ref, units, key in ((treasury, to_treasury, "t"), (pool, pool_units, "p")):
                if units:
                    post(TransactionCode.EMISSION, f"{key}:{n}", Posting(world, -units),
                         Posting(ref, units))  # fmt: skip
            for index, (a, b, pct) in enumerate(transfers):
                sender, receiver = ids[a % len(ids)], ids[b % len(ids)]
                units = balances[sender] * pct // 100
                if sender == receiver or units == 0:
                    continue
                balances[sender] -= units
                balances[receiver] += units
                moved += units
                post(TransactionCode.TRANSFER, f"x:{n}:{index}",
                     Posting(member_account(sender), -units),
                     Posting(member_account(receiver), units))  # fmt: skip
            for index, units in enumerate(paid):
                member_id = ids[index % len(ids)]
                balances[member_id] += units
                post(TransactionCode.REWARD, f"r:{n}:{index}", Posting(pool, -units),
                     Posting(member_account(member_id), units))  # fmt: skip
            burned = to_treasury * burn_pct // 100
            if burned:
                post(TransactionCode.BURN, f"b:{n}", Posting(treasury, -burned),
                     Posting(system_account(AccountType.BURN), burned))  # fmt: skip

        run_transaction(engine, seed)
        report = run_transaction(engine, lambda s: quarterly_report(s, POLICY, quarter, now=NOW))
        emitted = sum(minted) + to_treasury + sum(paid)
        assert report.emission_units == emitted == sum(e.units for e in report.emission_by_account)
        assert report.burned_units == to_treasury * burn_pct // 100
        assert report.supply_units == supply_before[0] + emitted - report.burned_units
        supply_before[0] = report.supply_units
        assert report.transaction_volume_units == moved
        assert report.rewards_units == sum(paid)
        rewarded = len({ids[i % len(ids)] for i in range(len(paid))})
        assert report.rewarded_members == rewarded
        assert report.average_reward_units == (sum(paid) // rewarded if rewarded else None)
        top = report.top_holders
        assert [h.rank for h in top] == list(range(1, len(top) + 1))
        assert [h.units for h in top] == sorted((h.units for h in top), reverse=True)
        # Earlier examples' members still hold their tokens: all of them are holders.
        assert len(top) == min(report.holders, POLICY.reports.top_holders_count)
        assert report.holders <= POLICY.reports.top_holders_count  # ≤ 10 × 5 members
        assert sum(h.units for h in top) == report.circulating_units
        mine = Counter(units for units in balances.values() if units > 0)
        assert not mine - Counter(h.units for h in top)  # this quarter's members are in it
        names_no_member(asdict(report), set(ids))

    check()
