"""Errors of notifications: profiles, the outbox, and deliveries (ADR 0037)."""

from __future__ import annotations

from systok.errors.root import SystokError


class NotifyError(SystokError):
    """Root of the notifications' refusals."""


class ProfileInvalid(NotifyError):
    """A profile field as sent cannot be stored; ``field`` names it (``body.email``)."""

    status_code = 422
    exit_code = 65  # EX_DATAERR

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class MessageNotFound(NotifyError):
    """No outbox message has that id."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


class MessageNotRetryable(NotifyError):
    """``retry`` refuses a sent message (it would repeat for the reader) and one a
    dispatcher is sending now (its claim would be lost)."""

    status_code = 409


class DeliveryFailed(NotifyError):
    """A channel did not take a message; the dispatcher decides what happens next.

    Never reaches a caller: the dispatcher catches it and reschedules or parks the
    message. ``reason`` is what the channel said, kept as the message's ``last_error``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeliveryDeferred(DeliveryFailed):
    """A temporary failure (connection refused, timeout, SMTP 4xx, Telegram 429/5xx):
    the message is tried again later; ``retry_after_seconds`` when the channel asked."""

    def __init__(self, reason: str, retry_after_seconds: int | None = None) -> None:
        super().__init__(reason)
        self.retry_after_seconds = retry_after_seconds


class DeliveryRefused(DeliveryFailed):
    """A permanent failure (SMTP 5xx for the recipient, Telegram 400/403): trying again
    would fail the same way, so the message is parked with the reason."""
