"""The shapes of notifications: message kinds, channels, languages, profiles and
outbox messages as the service hands them out (ADR 0037)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from systok.core.language import Language


class MessageKind(StrEnum):
    """What a message is about; each has a template per language."""

    WEEKLY_REWARD = "weekly_reward"
    VESTING_RELEASED = "vesting_released"
    VESTING_CANCELLED = "vesting_cancelled"
    INACTIVITY_WARNING = "inactivity_warning"
    REDISTRIBUTION = "redistribution"
    TRANSFER_RECEIVED = "transfer_received"
    PURCHASE_CONFIRMED = "purchase_confirmed"
    STABILISATION_PROPOSAL = "stabilisation_proposal"


class Channel(StrEnum):
    """Where a message goes."""

    EMAIL = "email"
    TELEGRAM = "telegram"


class OutboxStatus(StrEnum):
    """A message's life: pending → sending (claimed) → sent, or parked with a reason."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    PARKED = "parked"


@dataclass(frozen=True)
class Profile:
    """A member's channels, language and opted-out kinds (defaults when never set)."""

    member_id: str
    email: str | None
    telegram_chat_id: str | None
    language: Language
    opt_outs: frozenset[MessageKind]
    admin: bool

    def addresses(self) -> dict[Channel, str]:
        """The channels this profile can be reached on, with the address on each."""
        found: dict[Channel, str] = {}
        if self.email:
            found[Channel.EMAIL] = self.email
        if self.telegram_chat_id:
            found[Channel.TELEGRAM] = self.telegram_chat_id
        return found


@dataclass(frozen=True)
class ProfileChange:
    """The fields a request sets; ``None`` in ``changed`` means "leave as it is".

    ``changed`` names the fields the caller sent (a PATCH sends some, a PUT all), so
    sending ``email: null`` clears the email while leaving it out keeps it.
    """

    changed: frozenset[str]
    email: str | None = None
    telegram_chat_id: str | None = None
    language: str | None = None
    opt_outs: tuple[str, ...] = ()
    admin: bool | None = None


@dataclass(frozen=True)
class Rendered:
    """A message in its recipient's language: the subject line and the plain-text body."""

    subject: str
    body: str


@dataclass(frozen=True)
class OutboxMessage:
    """One outbox row as the dispatcher and ``systok notify list`` see it."""

    id: int
    idempotency_key: str
    kind: str
    member_id: str | None
    channel: Channel
    address: str
    language: str
    subject: str
    body: str
    message_id: str
    status: OutboxStatus
    attempts: int
    next_attempt_at_us: int
    last_error: str | None
    created_at_us: int
    sent_at_us: int | None


@dataclass(frozen=True)
class RetryRule:
    """When a temporarily failed message is tried again (from the settings)."""

    first_seconds: int
    max_seconds: int
    attempts_max: int
    lease_seconds: int


@dataclass
class DispatchSummary:
    """What one pass of the dispatcher did."""

    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    parked: int = 0
    lost: int = 0
    """Claimed but no longer ours by the send or the mark (the lease ran out and
    another dispatcher took the message): not counted as sent."""
