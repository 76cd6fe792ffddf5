"""A send that outlives its lease: the other dispatcher takes the rest, nobody resends
(issue 14, defect 1); long idempotency keys keep both channels (defect 2).

Three messages, lease 300 s, clock frozen at T0. Dispatcher A claims all three
(token T0 + 300 s). Its first send is slow: while it is on the wire the clock moves
301 s, so the lease has run out and dispatcher B claims all three (token
T0 + 601 s) and sends them. Before the fix A then sent messages 2 and 3 a second
time (its batch was claimed, nothing checked the claim again) and counted all three
as sent. Now A renews each claim before sending: the renewals of 2 and 3 find B's
token and fail, and A's mark of 1 finds it too, so A counts 3 lost, 0 sent.
Expected wire log: A1 (the slow one, which B repeats — the documented window of a
single send longer than the lease), B1, B2, B3; every row ``sent`` by B.
"""

from __future__ import annotations

import hashlib
import threading
import time

import time_machine
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy import Engine

from systok.db.engine import run_transaction
from systok.notify import repository as repo
from systok.notify.dispatcher import dispatch_once
from systok.notify.schemas import OutboxMessage, OutboxStatus, RetryRule
from systok.notify.service import retry_message, stored_key
from tests.notify.outbox import RULE, outbox, with_profile
from tests.notify.test_outbox import SECOND_US, T0, T0_US, clock, transfer_note

__all__ = ["clock"]


def test_a_send_that_outlives_the_lease_loses_the_rest_of_the_batch(
    engine: Engine, clock: time_machine.Coordinates
) -> None:
    with_profile(engine, "anna", email="anna@example.org")
    for n in (1, 2, 3):
        transfer_note(engine, event=f"transfer:{n}")
    ids = [r["id"] for r in outbox(engine)]
    wire: list[tuple[str, int]] = []
    summaries = {}

    def fast_b(message: OutboxMessage) -> None:
        wire.append(("B", message.id))

    def slow_a(message: OutboxMessage) -> None:
        wire.append(("A", message.id))
        if len(wire) == 1:  # the first send hangs past the lease; B runs meanwhile
            clock.shift(301)
            summaries["B"] = dispatch_once(engine, fast_b, RULE, limit=10)

    summaries["A"] = dispatch_once(engine, slow_a, RULE, limit=10)
    assert wire == [("A", ids[0]), ("B", ids[0]), ("B", ids[1]), ("B", ids[2])]
    a, b = summaries["A"], summaries["B"]
    assert (a.claimed, a.sent, a.lost) == (3, 0, 3)
    assert (b.claimed, b.sent, b.lost) == (3, 3, 0)
    assert {(r["status"], r["attempts"]) for r in outbox(engine)} == {("sent", 2)}


def test_a_claim_token_survives_retry_resetting_attempts(
    engine: Engine, clock: time_machine.Coordinates
) -> None:
    """A claims (attempts 1, token T0 + 300 s); the lease runs out; an operator's
    ``retry`` resets attempts to 0; B claims at T0 + 301 s (attempts 1 again, token
    T0 + 601 s). Attempts cannot tell the two claims apart, the token does: A's renewal
    and mark are refused and the row stays B's."""
    with_profile(engine, "anna", email="anna@example.org")
    transfer_note(engine)
    lease_us = RULE.lease_seconds * SECOND_US

    def claim(now_us: int) -> int:
        [row] = run_transaction(
            engine,
            lambda s: repo.claim_due(s, now_us=now_us, lease_until_us=now_us + lease_us, limit=5),
        )
        assert row.attempts == 1
        return int(row.lease_until_us)

    token_a = claim(T0_US)
    assert token_a == T0_US + 300 * SECOND_US
    later = T0_US + 301 * SECOND_US
    clock.shift(301)
    message_id = outbox(engine)[0]["id"]
    run_transaction(engine, lambda s: retry_message(s, message_id, now_us=later))
    token_b = claim(later)
    assert token_b == T0_US + 601 * SECOND_US

    def renew_a(s: object) -> bool:
        return repo.renew_claim(
            s,  # type: ignore[arg-type]
            message_id,
            token_a,
            now_us=later,
            lease_until_us=later + lease_us,
        )

    assert run_transaction(engine, renew_a) is False
    assert run_transaction(engine, lambda s: repo.mark_sent(s, message_id, token_a, later)) is False
    failed = run_transaction(
        engine,
        lambda s: repo.mark_failed(
            s, message_id, token_a, status=OutboxStatus.PARKED, next_attempt_at_us=later, error="x"
        ),
    )
    assert failed is False
    [row] = outbox(engine)
    assert (row["status"], row["lease_until_us"], row["last_error"]) == ("sending", token_b, None)
    assert run_transaction(engine, lambda s: repo.mark_sent(s, message_id, token_b, later)) is True


def test_long_keys_keep_both_channels(engine: Engine, clock: time_machine.Coordinates) -> None:
    """Issue 14, defect 2. A 128-char member id and an event key naming it:
    ``weekly:2026-W09:<128>`` + ``:<128>:email`` is 16 + 128 + 1 + 128 + 6 = 279 chars.
    Cut at 200 (before the fix) both channels' keys were the same 200 chars and
    ``ON CONFLICT`` dropped Telegram silently: 1 message. Now each stored key is
    135 chars + ``#`` + a 64-hex sha256 of the whole key = 200 chars: 2 messages."""
    member = "m" * 128
    with_profile(engine, member, email="anna@example.org", telegram_chat_id="4242")
    event = f"weekly:2026-W09:{member}"
    assert transfer_note(engine, event=event, member=member) == 2
    assert transfer_note(engine, event=event, member=member) == 0  # still idempotent
    keys = [r["idempotency_key"] for r in outbox(engine)]
    full = [f"{event}:{member}:{channel}" for channel in ("email", "telegram")]
    assert keys == [stored_key(k) for k in full]
    assert [len(k) for k in keys] == [200, 200] and keys[0] != keys[1]
    assert keys[0] == full[0][:135] + "#" + hashlib.sha256(full[0].encode()).hexdigest()


@given(st.text(min_size=0, max_size=400), st.text(min_size=1, max_size=40))
def test_stored_keys_fit_and_differ(prefix: str, tail: str) -> None:
    """Two keys that differ (here only in their tail, past any cut) are stored apart,
    and every stored key fits the 200-char column; a short key is stored unchanged."""
    one, two = prefix + ":email", prefix + ":" + tail
    assume(one != two)
    assert stored_key(one) != stored_key(two)
    assert len(stored_key(one)) <= 200 and len(stored_key(two)) <= 200
    if len(one) <= 200:
        assert stored_key(one) == one


def test_two_live_dispatchers_with_a_short_lease_send_each_message_once(engine: Engine) -> None:
    """Real threads and a ticking clock (started at T0, so no date matters): lease 2 s,
    a channel that takes 0.5 s a message, 8 messages. A claims all 8 (4 s of sending,
    twice its lease); B starts 2.3 s later, when A's untouched claims have run out, and
    takes them. A renews each claim just before its send (0.5 s used of 2 s), so B can
    never take the message A is sending, and A skips those B took. Before the fix A sent
    all 8 and B resent the ones it reclaimed: 8 distinct messages, more than 8 sends."""
    rule = RetryRule(first_seconds=60, max_seconds=3600, attempts_max=5, lease_seconds=2)
    sends: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def slow(message: OutboxMessage) -> None:
        with lock:
            sends.append(message.id)
        time.sleep(0.5)

    def a() -> None:
        try:
            dispatch_once(engine, slow, rule, limit=10)
        except BaseException as error:  # reported below
            errors.append(error)

    def b() -> None:
        try:
            time.sleep(2.3)
            while dispatch_once(engine, slow, rule, limit=10).claimed:
                pass
        except BaseException as error:  # reported below
            errors.append(error)

    with time_machine.travel(T0, tick=True):
        with_profile(engine, "anna", email="anna@example.org")
        for n in range(8):
            transfer_note(engine, event=f"transfer:{n}")
        threads = [threading.Thread(target=a), threading.Thread(target=b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert sorted(sends) == sorted(r["id"] for r in outbox(engine))  # each exactly once
    assert {r["status"] for r in outbox(engine)} == {"sent"}
