"""Data shapes of payouts: the statuses a batch and an attempt go through, and reports.

The statuses are ``StrEnum``s whose values are the strings stored in
``payout_batches.status`` and ``payout_attempts.status``: comparing a row's status with
a member compares the strings, so the database is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BatchStatus(StrEnum):
    """Where a payout batch stands; only ``planned`` is not final."""

    PLANNED = "planned"
    """Saved with its holds and a signed attempt; in flight until the chain decides."""
    CONFIRMED = "confirmed"
    """Its transaction landed and succeeded: the holds were posted to ``wallet``."""
    FAILED = "failed"
    """Its transaction was refused, or landed and failed: the holds were voided."""


class AttemptStatus(StrEnum):
    """What became of one signed transaction of a batch."""

    PENDING = "pending"
    """Saved (perhaps sent); the chain has not said."""
    LANDED = "landed"
    FAILED = "failed"
    """Landed and failed: the fee was paid, no tokens moved."""
    REFUSED = "refused"
    """Refused at its first send: proven never broadcast."""
    EXPIRED = "expired"
    """Not found after its blockhash expired: it can never land; the batch was re-signed."""


@dataclass(frozen=True)
class DriveReport:
    """How the batches driven ended."""

    confirmed: int
    failed: int
    errors: tuple[str, ...]


@dataclass(frozen=True)
class BatchLine:
    """A payout batch as ``systok payout status`` shows it, with its latest signature."""

    id: int
    memo: str
    members: int
    amount_units: int
    status: BatchStatus
    signature: str
    error: str | None
