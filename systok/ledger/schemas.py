"""The ledger's data shapes: what the service answers and what the repository reads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from systok.core.ledger import AccountRef, HoldStatus


class PostingPath(StrEnum):
    """How plain transactions reach the database."""

    AUTO = "auto"
    """The server function on PostgreSQL, Python statements elsewhere."""
    PORTABLE = "portable"
    """Python statements on every backend (the reference implementation)."""
    FUNCTION = "function"
    """PostgreSQL's ``systok_post_transaction`` (PostgreSQL only)."""


@dataclass(frozen=True)
class PostedEntry:
    """The outcome of a ledger write."""

    transaction_id: int
    chain_seq: int | None
    replayed: bool
    hold_id: int | None = None


@dataclass(frozen=True)
class LockedAccount:
    """An account row read under its row lock."""

    id: int
    ref: AccountRef
    allow_negative: bool
    posted_units: int
    held_units: int

    @property
    def available_units(self) -> int:
        return self.posted_units - self.held_units


@dataclass(frozen=True)
class StoredTransaction:
    """A journal entry as stored, with its postings named by account."""

    id: int
    idempotency_key: str
    kind: str
    code: str
    reference: str
    hold_id: int | None
    digest: bytes
    created_at_us: int
    chain_seq: int | None
    hash: bytes | None
    postings: tuple[tuple[AccountRef, int], ...]


@dataclass(frozen=True)
class StoredHold:
    """A hold row with its accounts named."""

    id: int
    debit: AccountRef
    credit: AccountRef
    debit_account_id: int
    credit_account_id: int
    amount_units: int
    posted_units: int
    status: HoldStatus
    expires_at_us: int | None
    code: str
    created_transaction_id: int
    resolved_transaction_id: int | None


@dataclass(frozen=True)
class FunctionAnswer:
    """One call of the posting function: the entry, or why nothing was written."""

    transaction_id: int | None
    chain_seq: int | None
    outcome: str
    refused_index: int | None
    """1-based position of the refused posting in the draft (PostgreSQL counts from 1)."""
    refused_available: int | None


@dataclass(frozen=True)
class AccountTotals:
    """An account's stored balances next to the sums they must equal (for the audit)."""

    ref: AccountRef
    allow_negative: bool
    posted_units: int
    held_units: int
    postings_sum_units: int
    pending_holds_sum_units: int


@dataclass(frozen=True)
class ChainedEntry:
    """A journal entry with its link in the hash chain (for the audit's replay)."""

    id: int
    kind: str
    code: str
    reference: str
    idempotency_key: str
    hold_id: int | None
    digest: bytes
    created_at_us: int
    lane: int
    seq: int
    link_hash: bytes


@dataclass(frozen=True)
class AssetSupply:
    """Per asset: the sum of every balance, world's balance and what was burned."""

    asset: str
    balances_sum_units: int
    world_units: int
    burned_units: int
