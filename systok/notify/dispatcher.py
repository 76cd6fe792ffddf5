"""The dispatcher: claim due outbox messages, send each, mark what happened.

One pass (``dispatch_once``) runs three kinds of short units of work, never holding a
transaction open while talking to a server:

1. claim: up to ``limit`` due messages become ``sending`` with a lease
   (``SYSTOK_NOTIFY_LEASE_SECONDS``), an attempt counted (``repository.claim_due``);
   the claim's ``lease_until_us`` is its token;
2. for each: renew the claim (token still ours, time left) or skip the message; send
   it through its channel, outside any transaction;
3. mark it under the token: ``sent``; or ``pending`` again after a backoff (a
   temporary failure); or ``parked`` with the reason (a permanent one, or too many
   attempts). A mark that finds the claim gone counts as ``lost``.

The windows that can repeat a message (docs/notifications.md): a dispatcher that dies
(or loses its database connection) after the server took the message and before the
mark commits, whose row the next pass sends again once the lease ends; a single send
that outlasts the renewed lease; an answer that never came (a timeout after the data
was written). The resend carries the same Message-ID (fixed at enqueue time), so mail
clients show one message; a Telegram resend is a second message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from systok import clock
from systok.config import Settings
from systok.db.engine import run_transaction
from systok.errors import DeliveryDeferred, DeliveryFailed, DeliveryRefused
from systok.notify import repository as repo
from systok.notify.channels.smtp import SmtpChannel
from systok.notify.channels.telegram import TelegramChannel
from systok.notify.schemas import (
    Channel,
    DispatchSummary,
    OutboxMessage,
    OutboxStatus,
    RetryRule,
)

MICROS_PER_SECOND = 1_000_000
Sender = Callable[[OutboxMessage], None]


@dataclass(frozen=True)
class Channels:
    """The configured channels; a missing one defers its messages until it is set."""

    email: SmtpChannel | None
    telegram: TelegramChannel | None

    def send(self, message: OutboxMessage) -> None:
        """Send through the message's channel (``DeliveryFailed`` when it did not go)."""
        if message.channel is Channel.EMAIL:
            if self.email is None:
                raise DeliveryDeferred("email is not configured (SYSTOK_SMTP_HOST is unset)")
            self.email.send(message)
            return
        if self.telegram is None:
            raise DeliveryDeferred("Telegram is not configured (SYSTOK_TELEGRAM_BOT_TOKEN)")
        self.telegram.send(message)


def channels_from(settings: Settings) -> Channels:
    """The channels the settings configure."""
    email = None
    if settings.smtp_host:
        email = SmtpChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            implicit_tls=settings.smtp_ssl,
            timeout_seconds=settings.http_timeout_seconds,
        )
    telegram = None
    if settings.telegram_bot_token:
        telegram = TelegramChannel(
            api_url=settings.telegram_api_url,
            token=settings.telegram_bot_token,
            timeout_seconds=settings.http_timeout_seconds,
        )
    return Channels(email, telegram)


def retry_rule_from(settings: Settings) -> RetryRule:
    """The backoff and lease numbers the settings give."""
    return RetryRule(
        first_seconds=settings.notify_retry_first_seconds,
        max_seconds=settings.notify_retry_max_seconds,
        attempts_max=settings.notify_attempts_max,
        lease_seconds=settings.notify_lease_seconds,
    )


def backoff_seconds(rule: RetryRule, attempts: int, asked_seconds: int | None = None) -> int:
    """The wait after the ``attempts``-th try failed temporarily: ``first × 2^(n−1)``,
    at most ``max``, and never shorter than a wait the channel asked for (Telegram's
    ``retry_after``)."""
    doubled: int = rule.first_seconds * 2 ** min(max(attempts - 1, 0), 40)
    return max(min(doubled, rule.max_seconds), asked_seconds or 0)


def dispatch_once(
    engine: Engine, channels: Sender | Channels, rule: RetryRule, *, limit: int
) -> DispatchSummary:
    """Claim up to ``limit`` due messages, send them, and mark each.

    Just before each send the claim is renewed (``lease_until_us = now + lease``, the
    claim's new token) only if it is still ours and has time left: a batch that takes
    longer than the lease loses its later messages to other dispatchers instead of
    sending them a second time. A mark that finds the claim gone counts as ``lost``,
    not ``sent``.
    """
    send = channels.send if isinstance(channels, Channels) else channels
    summary = DispatchSummary()
    now = clock.now_us()
    claimed = run_transaction(
        engine,
        lambda s: repo.claim_due(s, now_us=now, lease_until_us=_lease(rule, now), limit=limit),
    )
    summary.claimed = len(claimed)
    for row in claimed:
        message = repo.as_message(row)
        token = _renewed(engine, rule, message.id, int(row.lease_until_us))
        if token is None:
            summary.lost += 1
            continue
        try:
            send(message)
        except DeliveryFailed as failure:
            outcome = _failed(engine, rule, message, token, failure)
            summary.parked += outcome is OutboxStatus.PARKED
            summary.deferred += outcome is OutboxStatus.PENDING
            summary.lost += outcome is None
            continue
        if _mark_sent(engine, message, token, clock.now_us()):
            summary.sent += 1
        else:
            summary.lost += 1
    return summary


def _lease(rule: RetryRule, now_us: int) -> int:
    return now_us + rule.lease_seconds * MICROS_PER_SECOND


def _renewed(engine: Engine, rule: RetryRule, message_id: int, token_us: int) -> int | None:
    """The claim's new token after renewing it, or None when it is no longer ours."""
    now = clock.now_us()
    renewed_until = _lease(rule, now)
    kept = run_transaction(
        engine,
        lambda s: repo.renew_claim(
            s, message_id, token_us, now_us=now, lease_until_us=renewed_until
        ),
    )
    return renewed_until if kept else None


def _mark_sent(engine: Engine, message: OutboxMessage, token_us: int, done_at_us: int) -> bool:
    """Record the send; False when the claim was lost meanwhile (the send outlived the
    lease and another dispatcher took the row): the row is that dispatcher's now."""
    return run_transaction(engine, lambda s: repo.mark_sent(s, message.id, token_us, done_at_us))


def _failed(
    engine: Engine,
    rule: RetryRule,
    message: OutboxMessage,
    token_us: int,
    failure: DeliveryFailed,
) -> OutboxStatus | None:
    """Mark a failed send; the status it got, or None when the claim was lost."""
    now = clock.now_us()
    reason = failure.reason[:2000]
    if isinstance(failure, DeliveryRefused):
        status, due = OutboxStatus.PARKED, now
    elif message.attempts >= rule.attempts_max:
        status, due = OutboxStatus.PARKED, now
        reason = f"gave up after {message.attempts} attempts; last: {reason}"
    else:
        asked = failure.retry_after_seconds if isinstance(failure, DeliveryDeferred) else None
        wait = backoff_seconds(rule, message.attempts, asked)
        status, due = OutboxStatus.PENDING, now + wait * MICROS_PER_SECOND
    marked = run_transaction(
        engine,
        lambda s: repo.mark_failed(
            s, message.id, token_us, status=status, next_attempt_at_us=due, error=reason
        ),
    )
    return status if marked else None
