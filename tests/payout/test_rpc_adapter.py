"""The rpc adapter end to end: solana-py against a JSON-RPC server on loopback over LiteSVM.

Covers what a cluster can do to a payout: a preflight failure, a transaction that lands
and fails, a blockhash that expires with the transaction lost, and a crash between
send and confirm. In every case each member is paid exactly once or stays custodial,
and the ledger's audit holds.
"""

from __future__ import annotations

import pytest
from solders.keypair import Keypair
from solders.signature import Signature

from systok.accrual.service import WeeklyRun
from systok.core.ledger import (
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.db.engine import run_transaction
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from systok.payout import repository as repo
from systok.payout.adapters import RpcAdapter
from systok.payout.chain import token_account
from systok.payout.embedded import EmbeddedChain, Rejected
from systok.payout.reconcile import reconcile
from systok.payout.service import wallet_account
from tests.accrual.crash import SimulatedCrash
from tests.accrual.test_weekly_run import POLICY, WEEKS, setup_community
from tests.payout.chain_hooks import batch_attempts, set_account_data
from tests.payout.conftest import link, service
from tests.payout.rpc_server import LoopbackRpc

AMOUNT = 12_345_678


@pytest.fixture
def rpc_chain():
    return EmbeddedChain(validity_blocks=3)


@pytest.fixture
def server(rpc_chain):
    server = LoopbackRpc(rpc_chain).start()
    yield server
    server.stop()


@pytest.fixture
def payer(rpc_chain):
    keypair = Keypair()
    rpc_chain.fund(keypair.pubkey())
    return keypair


def rpc_adapter(server, payer, **kwargs):
    return RpcAdapter(server.url, payer, timeout_seconds=5, **kwargs)


def fund_members(engine, *members):
    """Give members custodial balances as the weekly run would (emission, then rewards)."""

    def work(session):
        ledger = Ledger(session)
        total = AMOUNT * len(members)
        ledger.post(
            TransactionDraft(
                code=TransactionCode.EMISSION,
                idempotency_key="test-emission",
                postings=(
                    Posting(system_account(AccountType.WORLD), -total),
                    Posting(system_account(AccountType.POOL_REWARDS), total),
                ),
            )
        )
        ledger.post(
            TransactionDraft(
                code=TransactionCode.REWARD,
                idempotency_key="test-rewards",
                postings=(
                    Posting(system_account(AccountType.POOL_REWARDS), -total),
                    *(Posting(member_account(m), AMOUNT) for m in members),
                ),
            )
        )

    run_transaction(engine, work)


def custody(engine, member):
    def read(session):
        ledger = Ledger(session)
        return (
            ledger.balance(member_account(member)).posted_units,
            ledger.balance(member_account(member)).held_units,
            ledger.balance(wallet_account(member)).posted_units,
        )

    return run_transaction(engine, read)


def plan_withdrawals(engine, svc, *members):
    def work(session):
        payees = [
            row for m in members for row in repo.linked_with_custody(session, "STK", member_id=m)
        ]
        return svc.plan(
            session,
            purpose="withdrawal",
            plan_prefix="withdrawal:test:",
            label="SysTok test batch",
            run_id=None,
            payees=payees,
        )

    return run_transaction(engine, work)


def chain_amount(adapter, wallet):
    token = adapter.token()
    (amount,) = adapter.token_balances([token_account(wallet.pubkey(), token.mint)])
    return amount


def steal_mint_authority(rpc_chain, adapter):
    """Make the mint's authority another key: every mint_to now fails (OwnerMismatch)."""
    mint = adapter.token().mint
    data = bytearray(rpc_chain.account_data(mint))
    data[4:36] = bytes(Keypair().pubkey())
    set_account_data(rpc_chain, mint, bytes(data))


def test_withdrawals_land_through_rpc_and_reconcile(engine, server, payer):
    adapter = rpc_adapter(server, payer)
    wallets = {m: link(engine, m) for m in ("m1", "m2")}
    fund_members(engine, "m1", "m2")
    svc = service(engine, adapter)
    done = svc.drive(plan_withdrawals(engine, svc, "m1", "m2"))
    assert (done.confirmed, done.failed) == (1, 0)
    for member, wallet in wallets.items():
        assert chain_amount(adapter, wallet) == AMOUNT
        assert custody(engine, member) == (0, 0, AMOUNT)
    assert reconcile(engine, adapter).differences == []
    assert {"sendTransaction", "getSignatureStatuses", "getBlockHeight"} <= set(server.calls)
    assert run_transaction(engine, audit_ledger).ok
    adapter.close()


def test_a_preflight_failure_fails_the_batch_and_leaves_the_balance_custodial(
    engine, server, payer, rpc_chain
):
    adapter = rpc_adapter(server, payer)
    wallet = link(engine, "m1")
    fund_members(engine, "m1")
    svc = service(engine, adapter)
    batch_ids = plan_withdrawals(engine, svc, "m1")
    steal_mint_authority(rpc_chain, adapter)
    done = svc.drive(batch_ids)
    assert (done.confirmed, done.failed) == (0, 1)
    assert "refused" in done.errors[0] and "Custom(4)" in done.errors[0]
    attempt = run_transaction(engine, lambda s: repo.latest_attempt(s, batch_ids[0]))
    assert (attempt.status, attempt.sends) == ("refused", 1)
    assert rpc_chain.status(Signature.from_string(attempt.signature)) is None, "never broadcast"
    assert custody(engine, "m1") == (AMOUNT, 0, 0), "hold voided: the balance is custodial"
    assert chain_amount(adapter, wallet) is None
    assert run_transaction(engine, audit_ledger).ok
    adapter.close()


def test_a_transaction_that_lands_and_fails_voids_its_holds(engine, server, payer, rpc_chain):
    adapter = rpc_adapter(server, payer, skip_preflight=True)
    link(engine, "m1")
    fund_members(engine, "m1")
    svc = service(engine, adapter)
    batch_ids = plan_withdrawals(engine, svc, "m1")
    steal_mint_authority(rpc_chain, adapter)
    done = svc.drive(batch_ids)
    assert (done.confirmed, done.failed) == (0, 1)
    assert "landed and failed" in done.errors[0]
    attempt = run_transaction(engine, lambda s: repo.latest_attempt(s, batch_ids[0]))
    landed = rpc_chain.status(Signature.from_string(attempt.signature))
    assert attempt.status == "failed" and landed is not None and landed.error is not None
    assert custody(engine, "m1") == (AMOUNT, 0, 0)
    # The failed transaction is in the chain's history and in the plan: nothing to report
    # but the stolen mint authority's effect on nobody.
    assert reconcile(engine, adapter).differences == []
    assert run_transaction(engine, audit_ledger).ok
    adapter.close()


def test_an_expired_blockhash_is_resigned_only_after_it_can_no_longer_land(
    engine, server, payer, rpc_chain
):
    adapter = rpc_adapter(server, payer)
    wallet = link(engine, "m1")
    fund_members(engine, "m1")
    svc = service(engine, adapter)
    batch_ids = plan_withdrawals(engine, svc, "m1")
    first = run_transaction(engine, lambda s: repo.latest_attempt(s, batch_ids[0]))
    server.lost_blockhashes.add(first.blockhash)  # every send of it is lost on the way
    server.blocks_per_height_query = 1  # and blocks pass while the driver looks
    heights: list[int] = []
    real_height = adapter.block_height

    def watched_height():
        heights.append(real_height())
        return heights[-1]

    adapter.block_height = watched_height
    done = svc.drive(batch_ids)
    assert (done.confirmed, done.failed) == (1, 0)
    attempts = run_transaction(engine, lambda s: batch_attempts(s, batch_ids[0]))
    assert [a.status for a in attempts] == ["expired", "landed"]
    assert attempts[0].signature == first.signature
    # It was re-signed only in the round whose height (read before the lookup) had passed
    # the first blockhash's last valid height; never earlier.
    renewed_at = next(h for h in heights if h > first.last_valid_block_height)
    assert heights.index(renewed_at) == len(
        [h for h in heights if h <= first.last_valid_block_height]
    )
    assert first.sends >= 0 and attempts[0].sends >= 2, "resent (same bytes) while it could land"
    # The lost transaction can never land now: the chain refuses its bytes.
    late = rpc_chain.process(bytes(first.raw))
    assert isinstance(late, Rejected) and late.blockhash_unknown
    assert chain_amount(adapter, wallet) == AMOUNT, "paid once"
    assert custody(engine, "m1") == (0, 0, AMOUNT)
    assert reconcile(engine, adapter).differences == []
    adapter.close()


class CrashAfterSend:
    """An adapter that sends, then dies before anyone hears the answer."""

    def __init__(self, inner):
        self.inner = inner
        self.name, self.on_chain = inner.name, inner.on_chain

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def send(self, raw):
        self.inner.send(raw)
        raise SimulatedCrash("crashed between send and confirm")


def test_a_crash_between_send_and_confirm_then_resume_pays_exactly_once(
    engine, tmp_path, server, payer, rpc_chain
):
    setup_community(engine)
    wallet = link(engine, "m1")
    adapter = rpc_adapter(server, payer)
    for week in WEEKS[:3]:
        WeeklyRun(engine, POLICY, reports_dir=tmp_path, payout_adapter=adapter).run(week)
    week = WEEKS[3]
    with pytest.raises(SimulatedCrash):
        WeeklyRun(engine, POLICY, reports_dir=tmp_path, payout_adapter=CrashAfterSend(adapter)).run(
            week
        )
    run = run_transaction(engine, lambda s: repo.list_batches(s, 1)[0])
    attempt = run_transaction(engine, lambda s: repo.latest_attempt(s, run.id))
    assert (run.status, attempt.status, attempt.sends) == ("planned", "pending", 1)
    assert rpc_chain.status(Signature.from_string(attempt.signature)) is not None, "it did land"

    resumed = WeeklyRun(engine, POLICY, reports_dir=tmp_path, payout_adapter=adapter).run(week)
    assert resumed.stage == "done"
    attempts = run_transaction(engine, lambda s: batch_attempts(s, run.id))
    assert [a.status for a in attempts] == ["landed"], "found by signature, never re-signed"
    total = int((75 + 76.5 + 78.75 + 1584) * 1_000_000)
    assert chain_amount(adapter, wallet) == total
    assert custody(engine, "m1") == (0, 0, total)
    assert reconcile(engine, adapter).differences == []
    assert run_transaction(engine, audit_ledger).ok
    adapter.close()


def test_reconciliation_reports_an_altered_on_chain_balance(engine, server, payer, rpc_chain):
    adapter = rpc_adapter(server, payer)
    wallet = link(engine, "m1")
    fund_members(engine, "m1")
    svc = service(engine, adapter)
    svc.drive(plan_withdrawals(engine, svc, "m1"))
    account = token_account(wallet.pubkey(), adapter.token().mint)
    data = bytearray(rpc_chain.account_data(account))
    data[64:72] = (AMOUNT + 1).to_bytes(8, "little")
    set_account_data(rpc_chain, account, bytes(data))
    differences = [str(d) for d in reconcile(engine, adapter).differences]
    assert differences == [
        f"wrong amount: token account of {wallet.pubkey()}: "
        f"chain {AMOUNT + 1}, payouts {AMOUNT} (difference +1)"
    ]
    adapter.close()
