"""``send_transfer`` reads its checks in one statement (ADR 0042): the same refusals, in
the same order, and on PostgreSQL two statements between BEGIN and COMMIT.

Golden values (policy stk-2025-12: fee 0.5 %, at least 0.01 STK): a transfer of 10 STK
= 10 000 000 units pays floor(10 000 000 × 50 / 10 000) = 50 000 units (0.05 STK), so
the sender is debited 10 050 000 units and the recipient credited 10 000 000.
The request's day is fixed: 2026-12-02 12:00 UTC (``NOW_US``), day 20 789 since the
epoch (2026-12-02 − 1970-01-01 = 20 789 days); memberships are set around that day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from systok.core.times import day_of_us
from systok.db.engine import run_transaction
from systok.economy.members import freeze_member
from systok.economy.transfers import TransferOutcome, send_transfer
from systok.errors import SystokError
from systok.policy_files import default_policy
from tests.api.economy import STK, fund, state

NOW_US = int(datetime(2026, 12, 2, 12, tzinfo=UTC).timestamp()) * 1_000_000
DAY = 20_789
SENDERS = {"s-ok": None, "s-frozen": "AccountFrozen", "s-none": "MemberNotFound"}
RECIPIENTS = {
    "r-paid": None,
    "r-none": "RecipientUnknown",
    "r-frozen": "AccountFrozen",
    "r-free": "RecipientIneligible",
    "r-lapsed": "RecipientIneligible",
    "r-future": "RecipientIneligible",
}
MEMBERSHIPS = {  # (starts_day, ends_day): the paid ones cover DAY, the others do not
    "s-ok": (0, None),
    "s-frozen": (0, None),
    "r-paid": (DAY, DAY + 1),
    "r-frozen": (0, None),
    "r-lapsed": (0, DAY),
    "r-future": (DAY + 1, None),
}


def _seed(engine: Engine) -> None:
    members = [m for m in (*SENDERS, *RECIPIENTS) if not m.endswith("-none")]
    with engine.begin() as connection:
        for member_id in members:
            connection.execute(
                text("INSERT INTO members (id, created_at_us) VALUES (:id, 0)"), {"id": member_id}
            )
        for member_id, (starts, ends) in MEMBERSHIPS.items():
            connection.execute(
                text(
                    "INSERT INTO member_memberships (member_id, starts_day, ends_day) "
                    "VALUES (:id, :s, :e)"
                ),
                {"id": member_id, "s": starts, "e": ends},
            )
    for member_id in ("s-ok", "s-frozen"):
        fund(engine, member_id, 1000 * STK)
    for member_id in ("s-frozen", "r-frozen"):
        _freeze(engine, member_id)


def _freeze(engine: Engine, member_id: str) -> None:
    run_transaction(engine, lambda session: freeze_member(session, member_id, "review", NOW_US))


def _send(engine: Engine, sender: str, recipient: str, key: str) -> TransferOutcome:
    policy = default_policy()
    return run_transaction(
        engine,
        lambda session: send_transfer(
            session,
            policy,
            sender_id=sender,
            recipient_id=recipient,
            amount_units=10 * STK,
            request_key=key,
            now_us=NOW_US,
        ),
    )


def test_every_refusal_keeps_its_order_and_writes_nothing(engine: Engine) -> None:
    """The sender's refusals come before the recipient's; only s-ok → r-paid posts."""
    assert day_of_us(NOW_US) == DAY
    _seed(engine)
    before = state(engine)
    for sender, sender_error in SENDERS.items():
        for recipient, recipient_error in RECIPIENTS.items():
            expected = sender_error or recipient_error
            if expected is None:
                continue
            with pytest.raises(SystokError) as refused:
                _send(engine, sender, recipient, key=f"{sender}>{recipient}")
            assert refused.value.error_name == expected, (sender, recipient)
    assert state(engine) == before

    done = _send(engine, "s-ok", "r-paid", key="k-1")
    assert (done.amount_units, done.fee_units, done.entry.replayed) == (10 * STK, 50_000, False)
    balances = state(engine)["balances"]
    assert balances["member:s-ok@STK"] == (1000 * STK - 10_050_000, 0)
    assert balances["member:r-paid@STK"] == (10 * STK, 0)
    # A retry answers the transfer that happened even though the recipient is frozen now.
    _freeze(engine, "r-paid")
    after = state(engine)
    replay = _send(engine, "s-ok", "r-paid", key="k-1")
    assert (replay.entry.transaction_id, replay.entry.replayed) == (
        done.entry.transaction_id,
        True,
    )
    assert state(engine) == after
    with pytest.raises(SystokError) as refused:
        _send(engine, "s-ok", "r-paid", key="k-2")
    assert refused.value.error_name == "AccountFrozen"


@pytest.mark.postgres
def test_a_transfer_is_one_read_and_the_posting_function(pg_engine: Engine) -> None:
    """Between BEGIN and COMMIT: the checks' SELECT and the posting function; a recipient
    with an email and a Telegram chat adds one outbox INSERT per channel (2 + 2 = 4)."""
    _seed(pg_engine)
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2].split()[0] + " " + ("post" if "systok_post" in args[2] else ""))

    event.listen(pg_engine, "before_cursor_execute", seen)
    try:
        _send(pg_engine, "s-ok", "r-paid", key="count-1")
        assert statements == ["SELECT ", "SELECT post"]
        with pg_engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO notify_profiles (member_id, email, telegram_chat_id, language, "
                    "opt_outs, admin, updated_at_us) "
                    "VALUES ('r-paid', 'r@example.org', '42', 'en', '', false, 0)"
                )
            )
        statements.clear()
        _send(pg_engine, "s-ok", "r-paid", key="count-2")
        assert statements == ["SELECT ", "SELECT post", "INSERT ", "INSERT "]
    finally:
        event.remove(pg_engine, "before_cursor_execute", seen)
