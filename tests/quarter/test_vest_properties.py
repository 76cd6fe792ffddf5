"""Properties of the vest stage over random grants (both backends).

Each example lives in its own five years (2030–2034, 2035–2039, …): one emission on
its first day and more on random days of its first year, sale purchases on random days
of that year, then every quarter of the five years is run. The startup fund vests over
1 095 days and a purchase over 365, so every grant of an example has vested whole
before the next example starts.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.core.emission import fund_split
from systok.core.ledger import AccountType, system_account
from systok.core.quarters import Quarter
from systok.core.times import MICROS_PER_DAY, datetime_to_us
from systok.db.engine import run_transaction
from systok.ingest.repository.members import ensure_member
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from systok.quarter.verify import verify_quarter
from systok.sale import service as sale
from tests.quarter.vest_world import (
    FUND_LOCKED,
    POLICY,
    STK,
    balance,
    mint,
    purchase,
    quarters,
    run,
)

emissions = st.lists(st.tuples(st.integers(1, 364), st.integers(1, 10**12)), max_size=4)
purchases = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 364), st.integers(1, 100)), max_size=5
)


def supply(engine: Engine) -> int:
    """−world − burn: what is issued and not burned."""

    def read(session: Session) -> int:
        ledger = Ledger(session)
        world = ledger.balance(system_account(AccountType.WORLD)).posted_units
        return -world - ledger.balance(system_account(AccountType.BURN)).posted_units

    return run_transaction(engine, read)


def test_releases_add_up_and_conserve_supply(engine: Engine) -> None:
    examples = itertools.count()

    @settings(
        max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(emissions, purchases)
    def check(minted: list[tuple[int, int]], bought: list[tuple[int, int, int]]) -> None:
        n = next(examples)
        year = 2030 + 5 * n
        first_us = datetime_to_us(datetime(year, 1, 1, 10, tzinfo=UTC))
        mint(engine, f"p{n}-0", 1_000_000 * STK, first_us)
        for index, (day, units) in enumerate(minted):
            mint(engine, f"p{n}-{index + 1}", units, first_us + day * MICROS_PER_DAY)
        amounts = [1_000_000 * STK, *(units for _, units in minted)]
        fund_granted = sum(fund_split(POLICY, units)["startup"] for units in amounts)
        members = [f"v{n}-{i}" for i in range(3)]

        def join(session: Session) -> None:
            for member_id in members:
                ensure_member(session, member_id, first_us)

        run_transaction(engine, join)
        draft = sale.parse_sale(POLICY, share_bps=500, price="1.00", reference=f"s{n}")
        run_transaction(engine, lambda s: sale.open_sale(s, POLICY, draft, now_us=first_us))
        bought_units = dict.fromkeys(members, 0)
        first_bought: dict[str, Quarter] = {}
        for index, (who, day, whole) in enumerate(sorted(bought, key=lambda b: b[1])):
            when = first_us + MICROS_PER_DAY + day * MICROS_PER_DAY
            purchase(engine, members[who], str(whole), f"b{n}-{index}", when)
            bought_units[members[who]] += whole * STK
            first_bought.setdefault(
                members[who], Quarter.containing(datetime.fromtimestamp(when / 1e6, UTC))
            )
        run_transaction(
            engine, lambda s: sale.close_sale(s, now_us=first_us + 400 * MICROS_PER_DAY)
        )
        assert balance(engine, FUND_LOCKED) == fund_granted  # earlier examples: vested

        released: dict[tuple[str, str], int] = {}
        for quarter in quarters(Quarter(year, 1), 20):
            before = supply(engine)
            summary = run(engine, quarter)
            assert supply(engine) == before  # the stage only moves tokens
            for t in summary.tranches:
                assert 0 < t.released_units <= t.granted_units
                if t.kind == "sale":
                    assert first_bought[t.grantee] <= quarter  # nothing before the grant
                released[(t.kind, t.grantee)] = released.get((t.kind, t.grantee), 0) + (
                    t.released_units
                )
            assert verify_quarter(engine, POLICY, quarter) == []
        assert released.get(("fund", "startup"), 0) == fund_granted
        assert balance(engine, FUND_LOCKED) == 0
        for member_id in members:
            assert released.get(("sale", member_id), 0) == bought_units[member_id]
            assert balance(engine, sale.vesting_account(member_id)) == 0
        assert run_transaction(engine, audit_ledger).ok

    check()
