"""A transfer request in one statement on PostgreSQL (ADR 0045): ``answer_transfer``
answers what ``send_transfer`` answers, on both backends, and the server function
decides only posted and replayed transfers, handing everything else over unwritten.

Golden values as in ``test_transfer_checks`` (policy stk-2025-12, fee 0.5 %): 10 STK
pays 50 000 units of fee; the request's day is 2026-12-02 (day 20 789), ``NOW_US``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import time_machine
from sqlalchemy import Engine, text

from systok.api.deps import UnitOfWork
from systok.api.routes.transfers import answer_transfer
from systok.db.engine import run_transaction
from systok.economy.transfer_statement import send_transfer_in_one_statement
from systok.economy.transfers import FEE_LANES, TransferOutcome, fee_account
from systok.errors import SystokError
from systok.ledger.audit import audit_ledger
from systok.policy_files import default_policy
from tests.api.economy import STK, fund, state
from tests.api.test_stabilisation_fee import IN_Q2, approved_fee_step
from tests.api.test_transfer_checks import NOW_US, RECIPIENTS, SENDERS, _freeze, _seed, _send

MOMENT = datetime.fromtimestamp(NOW_US / 1_000_000, UTC)


def _answer(engine: Engine, sender: str, recipient: str, key: str, amount: int = 10 * STK):
    return answer_transfer(
        UnitOfWork(engine),
        default_policy(),
        sender_id=sender,
        recipient_id=recipient,
        amount_units=amount,
        request_key=key,
    )


def _statement(
    engine: Engine, sender: str, recipient: str, key: str, amount: int = 10 * STK
) -> TransferOutcome | None:
    return send_transfer_in_one_statement(
        engine,
        default_policy(),
        sender_id=sender,
        recipient_id=recipient,
        amount_units=amount,
        request_key=key,
        now_us=NOW_US,
    )


def _refusal(call, *args) -> str:
    with pytest.raises(SystokError) as refused:
        call(*args)
    return refused.value.error_name


def test_the_route_refuses_as_send_transfer_does(engine: Engine) -> None:
    """Every sender × recipient case, the pure refusals and a retry after a freeze."""
    _seed(engine)
    before = state(engine)
    with time_machine.travel(MOMENT, tick=False):
        for sender, sender_error in SENDERS.items():
            for recipient, recipient_error in RECIPIENTS.items():
                expected = sender_error or recipient_error
                if expected is None:
                    continue
                key = f"{sender}>{recipient}"
                assert _refusal(_answer, engine, sender, recipient, key) == expected
                assert _refusal(_send, engine, sender, recipient, key) == expected
        assert _refusal(_answer, engine, "s-ok", "s-ok", "self") == "SelfTransfer"
        assert _refusal(_answer, engine, "s-ok", "r-paid", "zero", 0) == "InvalidPosting"
        assert _refusal(_answer, engine, "s-ok", "r-paid", "poor", 10**6 * STK) == (
            "InsufficientFunds"
        )
        assert state(engine) == before

        done = _answer(engine, "s-ok", "r-paid", "k-1")
        assert (done.amount_units, done.fee_units, done.entry.replayed) == (10 * STK, 50_000, False)
        assert state(engine)["balances"]["member:s-ok@STK"] == (1000 * STK - 10_050_000, 0)
        _freeze(engine, "r-paid")
        after = state(engine)
        replay = _answer(engine, "s-ok", "r-paid", "k-1")
        assert (replay.entry.transaction_id, replay.entry.replayed) == (
            done.entry.transaction_id,
            True,
        )
        assert _refusal(_answer, engine, "s-ok", "r-paid", "k-1", 11 * STK) == (
            "IdempotencyConflict"
        )
        assert state(engine) == after
        assert _refusal(_answer, engine, "s-ok", "r-paid", "k-2") == "AccountFrozen"
    assert run_transaction(engine, audit_ledger, snapshot=True).ok


@pytest.mark.postgres
def test_the_statement_decides_postings_and_replays_only(pg_engine: Engine) -> None:
    """Posted and replayed (whichever path wrote the original) are decided in the one
    statement; refusals, a conflict and short funds answer None and write nothing."""
    _seed(pg_engine)
    before = state(pg_engine)
    for sender, recipient, amount in (
        ("s-frozen", "r-paid", 10 * STK),
        ("s-none", "r-paid", 10 * STK),
        ("s-ok", "r-none", 10 * STK),
        ("s-ok", "r-frozen", 10 * STK),
        ("s-ok", "r-free", 10 * STK),
        ("s-ok", "r-lapsed", 10 * STK),
        ("s-ok", "r-paid", 10**6 * STK),  # short of funds: the posting function refuses
    ):
        assert _statement(pg_engine, sender, recipient, "refused", amount) is None
    assert state(pg_engine) == before

    with time_machine.travel(MOMENT, tick=False):
        done = _statement(pg_engine, "s-ok", "r-paid", "fast")
        assert done is not None and not done.entry.replayed and done.fee_units == 50_000
        again = _statement(pg_engine, "s-ok", "r-paid", "fast")
        assert again is not None and again.entry.replayed
        assert again.entry.transaction_id == done.entry.transaction_id
        assert _statement(pg_engine, "s-ok", "r-paid", "fast", 11 * STK) is None  # conflict
        slow = _send(pg_engine, "s-ok", "r-paid", "slow")  # the Python path writes it
        replay = _statement(pg_engine, "s-ok", "r-paid", "slow")
        assert replay is not None and replay.entry.replayed
        assert replay.entry.transaction_id == slow.entry.transaction_id
    assert run_transaction(pg_engine, audit_ledger, snapshot=True).ok


@pytest.mark.postgres
def test_a_recipient_with_a_channel_is_told_through_the_python_path(pg_engine: Engine) -> None:
    """The message is rendered in Python: the statement hands over, the unit of work
    posts and queues one message per channel in the same transaction."""
    _seed(pg_engine)
    with pg_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO notify_profiles (member_id, email, telegram_chat_id, language, "
                "opt_outs, admin, updated_at_us) "
                "VALUES ('r-paid', 'r@example.org', '42', 'en', '', false, 0)"
            )
        )
    with time_machine.travel(MOMENT, tick=False):
        assert _statement(pg_engine, "s-ok", "r-paid", "told") is None
        assert not _answer(pg_engine, "s-ok", "r-paid", "told").entry.replayed
    with pg_engine.connect() as connection:
        queued = connection.execute(text("SELECT count(*) FROM notify_outbox")).scalar_one()
    assert queued == 2


@pytest.mark.postgres
def test_an_approved_fee_step_is_found_then_priced(pg_engine: Engine) -> None:
    """The first request of a quarter with an override hands over (the step it priced
    with was stale); the next one is priced with the step and decided in the statement."""
    _seed(pg_engine)
    approved_fee_step(SimpleNamespace(engine=pg_engine))  # it reads only the engine
    with time_machine.travel(IN_Q2, tick=False):
        fund(pg_engine, "s-ok", 1000 * STK)
        assert _statement(pg_engine, "s-ok", "s-frozen", "q2-1") is None
        priced = _statement(pg_engine, "s-ok", "r-paid", "q2-2", 100 * STK)
        assert priced is not None and priced.fee_units == 600_000  # 60 bps in 2026-Q2


def test_fees_go_to_one_of_the_fee_lanes_picked_by_the_key() -> None:
    """The same key always picks the same lane (a retry replays); the keys spread over
    all of them; a fee target other than ``fee`` stays one account."""
    picked = {fee_account("fee", f"transfer:{n}") for n in range(2000)}
    assert {ref.owner for ref in picked} == {f"transfers:{lane:02d}" for lane in range(FEE_LANES)}
    assert fee_account("fee", "transfer:k") == fee_account("fee", "transfer:k")
    assert fee_account("fund:treasury", "transfer:k").name == "fund:treasury@STK"


def test_no_connection_to_be_had_is_handed_over_unwritten():
    """A server that refuses connections: the call answers HANDED_OVER (nothing ran), so
    the request's Python path meets the same outage and answers it as every request does."""
    from systok.db.engine import make_engine
    from systok.economy.repository.transfer_call import HANDED_OVER, call_member_transfer

    nowhere = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    try:
        assert call_member_transfer(nowhere, {}).outcome == HANDED_OVER
    finally:
        nowhere.dispose()
