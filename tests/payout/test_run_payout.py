"""The weekly run pays linked members on the embedded chain; the ledger mirrors the chain."""

from __future__ import annotations

import pytest

from systok.accrual.service import WeeklyRun
from systok.core.ledger import member_account
from systok.db.engine import run_transaction
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from systok.payout import repository as repo
from systok.payout.chain import token_account
from systok.payout.service import wallet_account
from tests.accrual.crash import CrashingRun, SimulatedCrash
from tests.accrual.test_weekly_run import POLICY, WEEKS, setup_community
from tests.payout.conftest import link

STK = 1_000_000
M1_TOTAL = (75 + 76.5 + 78.75 + 1584) * STK


def balances(engine, member):
    def read(session):
        ledger = Ledger(session)
        return (
            ledger.balance(member_account(member)).posted_units,
            ledger.balance(wallet_account(member)).posted_units,
        )

    return run_transaction(engine, read)


def on_chain(adapter, keypair):
    token = adapter.token()
    (amount,) = adapter.token_balances([token_account(keypair.pubkey(), token.mint)])
    return amount


def test_linked_member_is_paid_each_week_on_chain_and_the_ledger_mirrors_it(
    engine, tmp_path, adapter
):
    setup_community(engine)
    wallet = link(engine, "m1")
    for week in WEEKS:
        summary = WeeklyRun(engine, POLICY, reports_dir=tmp_path, payout_adapter=adapter).run(week)
        assert summary.stage == "done"
    assert balances(engine, "m1") == (0, M1_TOTAL)
    assert on_chain(adapter, wallet) == M1_TOTAL
    assert adapter.mint_supply() == M1_TOTAL
    batches = run_transaction(engine, lambda s: repo.list_batches(s, 10))
    assert [b.status for b in batches] == ["confirmed"] * 4
    assert all(b.memo.startswith("SysTok 2026-W0") for b in batches)
    memos = {m.memo for m in adapter.history() if m.memo}
    assert {b.memo for b in batches} <= memos
    assert run_transaction(engine, audit_ledger).ok


def test_members_without_a_wallet_stay_custodial(engine, tmp_path, adapter):
    setup_community(engine)
    for week in WEEKS:
        WeeklyRun(engine, POLICY, reports_dir=tmp_path, payout_adapter=adapter).run(week)
    assert balances(engine, "m1") == (M1_TOTAL, 0)
    assert adapter.mint_supply() is None, "nobody linked: no mint, no chain traffic"


def test_a_crash_after_payout_or_confirm_resumes_paying_exactly_once(engine, tmp_path, adapter):
    setup_community(engine)
    wallet = link(engine, "m1")
    for stage in ("post", "payout", "confirm"):
        week = WEEKS[("post", "payout", "confirm").index(stage)]
        with pytest.raises(SimulatedCrash):
            CrashingRun(
                engine, POLICY, reports_dir=tmp_path, payout_adapter=adapter, crash_after=stage
            ).run(week)
        WeeklyRun(engine, POLICY, reports_dir=tmp_path, payout_adapter=adapter).run(week)
    WeeklyRun(engine, POLICY, reports_dir=tmp_path, payout_adapter=adapter).run(WEEKS[3])
    assert balances(engine, "m1") == (0, M1_TOTAL)
    assert on_chain(adapter, wallet) == M1_TOTAL
    assert run_transaction(engine, audit_ledger).ok
