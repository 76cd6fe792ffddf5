"""The outbox and the dispatcher on SQLite and PostgreSQL, against loopback servers.

The clock is frozen at 2026-03-02 09:00:00 UTC (``T0``) and moved by hand, so every
backoff is a golden number: with ``RULE`` (first wait 60 s, doubling) a message that
failed once is due at T0 + 60 s, twice at T0 + 60 s + 120 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import Engine

from systok.core.times import datetime_to_us
from systok.db.engine import run_transaction
from systok.errors import MessageNotFound, MessageNotRetryable
from systok.notify import dispatcher
from systok.notify.channels.smtp import SmtpChannel
from systok.notify.channels.telegram import TelegramChannel
from systok.notify.dispatcher import Channels, backoff_seconds, dispatch_once
from systok.notify.schemas import MessageKind, OutboxStatus, RetryRule
from systok.notify.service import enqueue, list_messages, message_id_for, retry_message
from tests.notify.outbox import RULE, outbox, with_profile
from tests.notify.servers import TOKEN, TOO_MANY, bot_api, free_port, smtp_server

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
T0_US = datetime_to_us(T0)
SECOND_US = 1_000_000


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def channels(smtp_port: int, bot_url: str | None = None) -> Channels:
    email = SmtpChannel("127.0.0.1", smtp_port, "systok@example.org", starttls=False)
    telegram = None if bot_url is None else TelegramChannel(bot_url, TOKEN, 5)
    return Channels(email, telegram)


def transfer_note(engine: Engine, event: str = "transfer:1", member: str = "anna") -> int:
    return run_transaction(
        engine,
        lambda s: enqueue(
            s,
            MessageKind.TRANSFER_RECEIVED,
            member,
            event_key=event,
            params={"amount": "5.000000", "sender": "Борис"},
            now_us=T0_US,
        ),
    )


def test_enqueue_once_per_channel_and_event(engine: Engine, clock: object) -> None:
    """Anna has both channels: one event → two rows; the same event again → none."""
    with_profile(engine, "anna", email="anna@example.org", telegram_chat_id="4242", language="en")
    assert transfer_note(engine) == 2
    assert transfer_note(engine) == 0
    rows = outbox(engine)
    assert [(r["channel"], r["address"], r["status"]) for r in rows] == [
        ("email", "anna@example.org", "pending"),
        ("telegram", "4242", "pending"),
    ]
    assert rows[0]["subject"] == "You received 5.000000 STK"
    assert rows[0]["message_id"] == message_id_for("transfer:1:anna:email")
    assert rows[0]["next_attempt_at_us"] == T0_US and rows[0]["attempts"] == 0


def test_no_profile_no_channel_or_opted_out_enqueues_nothing(engine: Engine, clock: object) -> None:
    with_profile(engine, "bob")  # a profile without channels
    with_profile(engine, "cleo", email="cleo@example.org", opt_outs=("transfer_received",))
    assert transfer_note(engine, member="nobody") == 0
    assert transfer_note(engine, member="bob") == 0
    assert transfer_note(engine, member="cleo") == 0
    assert outbox(engine) == []


def test_a_rolled_back_unit_of_work_enqueues_nothing(engine: Engine, clock: object) -> None:
    """The message is written with the event: when the event's unit fails, so does it."""
    with_profile(engine, "anna", email="anna@example.org")

    def failing(session: object) -> None:
        enqueue(
            session,  # type: ignore[arg-type]
            MessageKind.TRANSFER_RECEIVED,
            "anna",
            event_key="transfer:9",
            params={"amount": "1.000000", "sender": "m1"},
            now_us=T0_US,
        )
        raise RuntimeError("the event's own write failed after the enqueue")

    with pytest.raises(RuntimeError):
        run_transaction(engine, failing)
    assert outbox(engine) == []


def test_email_outage_waits_then_goes_out_once(
    engine: Engine, clock: time_machine.Coordinates
) -> None:
    """SMTP down: the message waits 60 s, then 120 s; when the server is back it is sent
    once, and later passes send nothing."""
    with_profile(engine, "anna", email="anna@example.org")
    transfer_note(engine)
    port = free_port()
    first = dispatch_once(engine, channels(port), RULE, limit=10)
    assert (first.claimed, first.deferred, first.sent) == (1, 1, 0)
    [row] = outbox(engine)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["next_attempt_at_us"] == T0_US + 60 * SECOND_US
    assert "unreachable" in row["last_error"]
    assert dispatch_once(engine, channels(port), RULE, limit=10).claimed == 0  # not due yet
    clock.shift(60)
    dispatch_once(engine, channels(port), RULE, limit=10)
    assert outbox(engine)[0]["next_attempt_at_us"] == T0_US + (60 + 120) * SECOND_US
    clock.shift(120)
    with smtp_server(port) as server:
        back = dispatch_once(engine, channels(port), RULE, limit=10)
        assert (back.claimed, back.sent) == (1, 1)
        assert dispatch_once(engine, channels(port), RULE, limit=10).claimed == 0
    assert len(server.received) == 1
    [row] = outbox(engine)
    assert row["status"] == "sent" and row["attempts"] == 3
    assert row["sent_at_us"] == T0_US + 180 * SECOND_US


def test_telegram_outage_waits_then_goes_out_once(
    engine: Engine, clock: time_machine.Coordinates
) -> None:
    with_profile(engine, "anna", telegram_chat_id="4242")
    transfer_note(engine)
    port = free_port()
    down = channels(free_port(), f"http://127.0.0.1:{port}")
    assert dispatch_once(engine, down, RULE, limit=10).deferred == 1
    clock.shift(60)
    with bot_api(port=port) as api:
        up = channels(free_port(), api.url)
        assert dispatch_once(engine, up, RULE, limit=10).sent == 1
        assert dispatch_once(engine, up, RULE, limit=10).claimed == 0
    assert [m["chat_id"] for m in api.accepted] == [4242]
    assert outbox(engine)[0]["status"] == "sent"


def test_telegram_429_waits_at_least_retry_after(
    engine: Engine, clock: time_machine.Coordinates
) -> None:
    """retry_after 7 s beats a first backoff of 1 s: due at T0 + 7 s, not T0 + 1 s."""
    with_profile(engine, "anna", telegram_chat_id="4242")
    transfer_note(engine)
    quick = RetryRule(first_seconds=1, max_seconds=3600, attempts_max=5, lease_seconds=300)
    with bot_api([TOO_MANY]) as api:
        assert dispatch_once(engine, channels(free_port(), api.url), quick, limit=10).deferred == 1
        assert outbox(engine)[0]["next_attempt_at_us"] == T0_US + 7 * SECOND_US
        clock.shift(6)
        assert dispatch_once(engine, channels(free_port(), api.url), quick, limit=10).claimed == 0
        clock.shift(1)
        assert dispatch_once(engine, channels(free_port(), api.url), quick, limit=10).sent == 1
    assert len(api.accepted) == 1


def test_crash_between_send_and_mark_resends_with_the_same_message_id(
    engine: Engine, clock: time_machine.Coordinates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented window: sent, then the dispatcher dies before marking. The row
    stays ``sending`` until its lease (300 s) runs out; the resend carries the same
    Message-ID, so a mail client shows one message."""
    with_profile(engine, "anna", email="anna@example.org")
    transfer_note(engine)

    def crash(*_args: object) -> None:
        raise SystemExit("killed between send and mark")

    with smtp_server() as server:
        monkeypatch.setattr(dispatcher, "_mark_sent", crash)
        with pytest.raises(SystemExit):
            dispatch_once(engine, channels(server.port), RULE, limit=10)
        monkeypatch.undo()
        assert outbox(engine)[0]["status"] == "sending"
        clock.shift(300)  # the lease is still held at its last microsecond
        assert dispatch_once(engine, channels(server.port), RULE, limit=10).claimed == 0
        clock.shift(1)
        assert dispatch_once(engine, channels(server.port), RULE, limit=10).sent == 1
    first, second = server.received
    assert first["Message-ID"] == second["Message-ID"] == message_id_for("transfer:1:anna:email")
    assert outbox(engine)[0]["status"] == "sent"


def test_refused_recipient_is_parked_with_the_reason_and_retry_requeues(
    engine: Engine, clock: object
) -> None:
    with_profile(engine, "anna", email="gone@example.org")
    transfer_note(engine)
    with smtp_server(refuse={"gone@example.org"}) as server:
        assert dispatch_once(engine, channels(server.port), RULE, limit=10).parked == 1
    [row] = outbox(engine)
    assert row["status"] == "parked" and "550" in row["last_error"]
    parked = run_transaction(engine, lambda s: list_messages(s, status=OutboxStatus.PARKED))
    assert [m.id for m in parked] == [row["id"]]
    again = run_transaction(engine, lambda s: retry_message(s, row["id"], now_us=T0_US))
    assert (again.status, again.attempts, again.next_attempt_at_us) == (
        OutboxStatus.PENDING,
        0,
        T0_US,
    )
    with smtp_server() as server:
        assert dispatch_once(engine, channels(server.port), RULE, limit=10).sent == 1
    with pytest.raises(MessageNotRetryable):
        run_transaction(engine, lambda s: retry_message(s, row["id"], now_us=T0_US))
    with pytest.raises(MessageNotFound):
        run_transaction(engine, lambda s: retry_message(s, 999, now_us=T0_US))


def test_too_many_temporary_failures_park_the_message(
    engine: Engine, clock: time_machine.Coordinates
) -> None:
    with_profile(engine, "anna", email="anna@example.org")
    transfer_note(engine)
    two = RetryRule(first_seconds=1, max_seconds=10, attempts_max=2, lease_seconds=30)
    port = free_port()
    assert dispatch_once(engine, channels(port), two, limit=10).deferred == 1
    clock.shift(1)
    assert dispatch_once(engine, channels(port), two, limit=10).parked == 1
    [row] = outbox(engine)
    assert row["status"] == "parked"
    assert row["last_error"].startswith("gave up after 2 attempts; last: SMTP")


def test_a_channel_not_configured_defers() -> None:
    """No SMTP host set: email waits (nothing is lost) rather than being parked."""
    from systok.errors import DeliveryDeferred
    from tests.notify.test_channels import message

    with pytest.raises(DeliveryDeferred, match="SYSTOK_SMTP_HOST"):
        Channels(None, None).send(message())


@pytest.mark.parametrize(
    ("attempts", "asked", "wait"),
    [
        (1, None, 60),
        (2, None, 120),
        (3, None, 240),
        (7, None, 3600),
        (60, None, 3600),
        (1, 7, 60),
        (1, 90, 90),
    ],
)
def test_backoff_golden(attempts: int, asked: int | None, wait: int) -> None:
    """60 × 2^(n−1), capped at 3600; a longer wait asked by the channel wins."""
    assert backoff_seconds(RULE, attempts, asked) == wait
