"""The economy's data shapes: a member's state and what the member API reads of them.

Amounts are integers of base units (``*_units``); moments are microseconds since the
epoch (``*_us``); days are ``datetime.date`` in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import Row

RewardStatus = Literal["paid", "pending"]


@dataclass(frozen=True)
class MemberState:
    """A member as the API sees them: their account's balance, vesting and freeze."""

    member_id: str
    account_id: int | None
    posted_units: int
    held_units: int
    vesting_units: int
    frozen_reason: str | None

    @property
    def available_units(self) -> int:
        return self.posted_units - self.held_units


@dataclass(frozen=True)
class TransferChecks:
    """What a member's transfer request checks before posting, read in one statement.

    ``key_used``: the request's ledger key is in the journal already (a replay, which
    answers the original whatever the checks say now). ``fee_step_bps``: the quarter's
    approved transfer-fee override step, if any. ``recipient_profile``: the recipient's
    notification profile row, if they have one (what ``notify`` needs to tell them).
    """

    key_used: bool
    sender_known: bool
    sender_frozen_reason: str | None
    recipient_known: bool
    recipient_frozen_reason: str | None
    recipient_paid: bool
    fee_step_bps: int | None
    recipient_profile: Row[Any] | None


@dataclass(frozen=True)
class HistoryDay:
    """One UTC day with movement: its net change, the balance at its end, its postings."""

    day: date
    change_units: int
    balance_units: int
    transactions: int


@dataclass(frozen=True)
class BalanceHistory:
    """The posted balance before ``first`` and at the end of each day with movement."""

    opening_units: int
    days: list[HistoryDay]

    @property
    def closing_units(self) -> int:
        return self.days[-1].balance_units if self.days else self.opening_units


@dataclass(frozen=True)
class LedgerLine:
    """One posting on the member's account, with its journal entry."""

    transaction_id: int
    code: str
    reference: str
    created_at_us: int
    amount_units: int


@dataclass(frozen=True)
class RewardLine:
    """One week's reward of a member: points, tokens earned and paid, later corrections."""

    week: str
    policy_version: str
    status: RewardStatus
    points: str
    units: int
    paid_units: int
    adjusted_units: int


@dataclass(frozen=True)
class Adjustment:
    """A later correction of a week's reward (late events), paid in ``paid_in_week``."""

    paid_in_week: str
    delta_units: int
    points_after: str
    units_after: int


@dataclass(frozen=True)
class WeeklyReward:
    """A week's reward with the breakdown that explains it."""

    week: str
    policy_version: str
    policy_hash: str
    status: RewardStatus
    points: str
    units: int
    paid_units: int
    prorata: str | None
    breakdown: dict[str, Any]
    adjustments: list[Adjustment]


@dataclass(frozen=True)
class SplitLine:
    """One share of a purchase: the role, the account it went to, and the amount."""

    role: str | None
    account: str
    amount_units: int


@dataclass(frozen=True)
class PurchaseOutcome:
    """A purchase as written (or as first written, when ``replayed``)."""

    entitlement: Row[Any]
    split: tuple[SplitLine, ...]
    replayed: bool
