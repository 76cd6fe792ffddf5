"""Whatever sales members attempt, a buyback keeps its invariants (ADR 0034): the spent
total never passes the budget and equals the outflows recorded; every STK a seller
gave is in the treasury (supply unchanged, the ledger audits clean); a refused sale
writes nothing."""

from __future__ import annotations

import itertools
from functools import partial

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from systok.db.engine import run_transaction
from systok.errors import BuybackUnavailable, StabilisationInvalid
from systok.ledger.audit import audit_ledger
from systok.stabilisation.buyback import sell
from tests.quarter.world import POLICY
from tests.stabilisation.buyback_world import BUDGET_KOPECKS, buyback_world
from tests.stabilisation.world import NOW_US, approve_rule

SELLERS = ("a", "b", "c")


def totals(engine: Engine) -> tuple[int, int, int, int]:
    """(spent, Σ outflows paid, Σ STK sold, treasury's STK from buybacks)."""
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            int(connection.execute(text(sql)).scalar_one())
            for sql in (
                "SELECT spent_units FROM stabilisation_buybacks",
                "SELECT COALESCE(SUM(amount_units), 0) FROM backing_outflows",
                "SELECT COALESCE(SUM(stk_units), 0) FROM backing_outflows",
                "SELECT COALESCE(SUM(p.amount_units), 0) FROM postings p JOIN transactions t "
                "ON t.id = p.transaction_id JOIN accounts a ON a.id = p.account_id "
                "WHERE t.code = 'buyback' AND a.type = 'fund:treasury'",
            )
        )


def test_sales_keep_the_buyback_invariants(engine: Engine) -> None:
    buyback_world(engine)
    approve_rule(engine, POLICY, "buyback", budget="30")
    supply_before = run_transaction(engine, audit_ledger, snapshot=True).supply_units["STK"]
    references = itertools.count()

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        sales=st.lists(st.tuples(st.sampled_from(SELLERS), st.integers(1, 3_000_000)), max_size=4)
    )
    def attempt(sales: list[tuple[str, int]]) -> None:
        for member, units in sales:
            amount = f"{units // 1_000_000}.{units % 1_000_000:06d}"
            before = totals(engine)
            try:
                run_transaction(
                    engine,
                    partial(
                        sell,
                        policy=POLICY,
                        member_id=member,
                        amount=amount,
                        reference=f"p-{next(references)}",
                        now_us=NOW_US,
                    ),
                )
            except (BuybackUnavailable, StabilisationInvalid):
                assert totals(engine) == before  # a refusal writes nothing
            spent, paid, sold, treasury = totals(engine)
            assert spent == paid <= BUDGET_KOPECKS
            assert sold == treasury
        report = run_transaction(engine, audit_ledger, snapshot=True)
        assert report.ok and report.supply_units["STK"] == supply_before

    attempt()
    spent, _paid, sold, _treasury = totals(engine)
    assert spent > 0 and sold > 0  # the examples did buy, not only get refused
