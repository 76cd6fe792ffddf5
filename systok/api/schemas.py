"""Request and response models of the member and admin API (pydantic v2).

Money is never a JSON number: every amount is a decimal string with exactly the
asset's scale of decimals (``"12.500000"`` STK), the same text ``format_amount`` writes
in CSV reports. A client that wants base units multiplies by ``10**scale``, which each
answer states. Times are ISO 8601 UTC strings (``2026-11-28T09:03:11.000000Z``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from systok.core.ledger import TransactionCode
from systok.documents.statement_schemas import Statement

Money = Annotated[
    str,
    Field(
        pattern=r"^-?[0-9]+(\.[0-9]+)?$",
        description="A decimal amount with exactly the asset's scale of decimals.",
        examples=["1584.000000"],
    ),
]
AmountIn = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,19}(\.[0-9]{1,18})?$",
        description="A positive decimal amount as a string (never a JSON number).",
        examples=["25.5"],
    ),
]
MemberId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="A member's platform id.",
        examples=["m0462"],
    ),
]
Timestamp = Annotated[
    str, Field(description="ISO 8601 UTC time.", examples=["2026-11-28T09:03:11.000000Z"])
]


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


# --- errors ----------------------------------------------------------------------------


class FieldProblem(_Out):
    """One refused field of a request."""

    field: str = Field(description="Where: body.amount, query.limit, header.Idempotency-Key.")
    reason: str


class ErrorOut(_Out):
    """Every error: the error's class name and a sentence for people."""

    error: str = Field(description="Machine-readable name, e.g. InsufficientFunds.")
    detail: str = Field(description="What went wrong and, where it helps, what to do.")
    fields: list[FieldProblem] | None = Field(
        default=None, description="For request validation errors (422): each refused field."
    )


# --- health ----------------------------------------------------------------------------


class HealthOut(_Out):
    """Liveness and database reachability."""

    status: Literal["ok", "degraded"]
    database: str = Field(description="'ok', or the name of the error reaching it.")


# --- balance ---------------------------------------------------------------------------


class BalanceOut(_Out):
    """A member's STK: what they can spend, and what is theirs but not yet spendable."""

    member: str
    asset: str
    scale: int = Field(description="Decimal digits of one unit; base units = amount × 10^scale.")
    available: Money = Field(description="Spendable now: posted minus held.")
    held: Money = Field(description="Reserved on the member's own account (escrow, stake).")
    vesting: Money = Field(
        description="Rewards frozen until their vesting period ends (not yet posted)."
    )
    staked: Money = Field(description="Staked tokens (staking is not built yet: always 0).")
    posted: Money = Field(description="The account's balance: the sum of its postings.")
    frozen: bool = Field(description="A frozen account can neither send, receive nor buy.")


class HistoryPoint(_Out):
    """The balance at the end of one UTC day with movement."""

    day: date
    change: Money
    balance: Money
    transactions: int


class HistoryOut(_Out):
    """Closing posted balances per UTC day in ``[from, to]`` (days without movement omitted)."""

    member: str
    asset: str
    scale: int
    from_: date = Field(alias="from")
    to: date
    opening: Money = Field(description="The balance at the start of ``from``.")
    closing: Money = Field(description="The balance at the end of ``to``.")
    days: list[HistoryPoint]


class TransactionOut(_Out):
    """One ledger entry as it touched the member's account."""

    id: int
    time: Timestamp
    code: TransactionCode
    reference: str
    amount: Money = Field(description="Signed: positive received, negative paid.")


class TransactionsOut(_Out):
    """A page of entries, newest first; pass ``next_cursor`` as ``cursor`` for the next."""

    member: str
    asset: str
    scale: int
    items: list[TransactionOut]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")


# --- transfers ---------------------------------------------------------------------------


class TransferIn(BaseModel):
    """A transfer to another member; the fee is paid on top by the sender."""

    model_config = ConfigDict(extra="forbid")

    to: MemberId = Field(description="The recipient's platform id.")
    amount: AmountIn = Field(description="What the recipient receives, in STK.")


class TransferOut(_Out):
    """A transfer as written (``replayed``: this key's first answer, nothing moved again)."""

    transaction_id: int
    from_: str = Field(alias="from")
    to: str
    asset: str
    amount: Money
    fee: Money = Field(description="The policy's circulation fee, paid by the sender.")
    debited: Money = Field(description="amount + fee: what left the sender's account.")
    replayed: bool


# --- rewards ---------------------------------------------------------------------------


class RewardOut(_Out):
    """A member's reward of one week."""

    week: str
    policy_version: str
    status: Literal["paid", "pending"] = Field(
        description="paid: posted to the ledger; pending: scored, not posted yet."
    )
    points: str
    amount: Money = Field(description="Tokens earned by the policy before pro rata.")
    paid: Money = Field(description="Tokens paid (after pro rata when the pool was short).")
    adjusted: Money = Field(description="Later corrections of this week (late events).")


class RewardsOut(_Out):
    """Weekly rewards, newest first."""

    member: str
    asset: str
    scale: int
    items: list[RewardOut]


class AdjustmentOut(_Out):
    """A correction of the week, paid in a later week's run."""

    paid_in_week: str
    delta: Money
    points_after: str
    amount_after: Money


class WeeklyRewardOut(_Out):
    """Why the member got exactly this much in a week (the ``systok explain`` data)."""

    member: str
    week: str
    asset: str
    scale: int
    policy_version: str
    policy_hash: str
    status: Literal["paid", "pending"]
    points: str
    amount: Money
    paid: Money
    prorata: str | None = Field(description="The pro-rata factor when the pool was short.")
    breakdown: dict[str, Any] = Field(
        description="Per day and event type: events, counted, capped, ineligible, points; "
        "the coefficients and why; notes."
    )
    adjustments: list[AdjustmentOut]
    statement: Statement = Field(
        description="The weekly statement (the PDF's content; docs/statement.md)."
    )


# --- marketplace -----------------------------------------------------------------------


class ServiceShareOut(_Out):
    """One role of a service's split."""

    role: str
    share_bps: int = Field(description="Basis points of the price (10 000 = 100 %).")
    payee: str = Field(description="Who receives it: fund:treasury, escrow, member:<id>.")


class ServiceOut(_Out):
    """A service of the catalogue."""

    id: str
    name: str
    price: Money
    period_days: int = Field(description="How long a purchase keeps the service active.")
    split: list[ServiceShareOut]
    remainder_to: str = Field(description="The role that receives the rounding remainder.")


class ServicesOut(_Out):
    """The catalogue of the policy in force."""

    policy_version: str
    asset: str
    scale: int
    items: list[ServiceOut]


class EntitlementOut(_Out):
    """A service active for the member during ``[starts_at, ends_at)``."""

    id: int
    service: str
    starts_at: Timestamp
    ends_at: Timestamp
    price: Money
    policy_version: str


class SplitLineOut(_Out):
    """Where one share of the price went."""

    role: str | None
    account: str
    amount: Money


class PurchaseOut(_Out):
    """A purchase as written (``replayed``: this key's first answer, nothing paid again)."""

    member: str
    asset: str
    transaction_id: int | None
    entitlement: EntitlementOut
    split: list[SplitLineOut]
    replayed: bool


# --- admin statistics ------------------------------------------------------------------


class AccountTypeTotal(_Out):
    """Balances of all accounts of one type."""

    type: str
    accounts: int
    posted: Money
    held: Money


class SupplyOut(_Out):
    """Where every issued token is (supply = issued − burned)."""

    asset: str
    scale: int
    issued: Money = Field(description="Minus the balance of world: all tokens ever minted.")
    burned: Money
    supply: Money
    circulating: Money = Field(description="Members' spendable balances (posted − held).")
    frozen: Money = Field(description="Held on any account: vesting, stakes, escrow.")
    by_type: list[AccountTypeTotal]


class TopHolder(_Out):
    """An anonymised large holder."""

    rank: int
    amount: Money
    share_bps: int = Field(description="Of all member balances, floored.")


class Bucket(_Out):
    """Members whose balance is in ``[low, high)`` (``high`` null: no upper bound)."""

    low: Money
    high: Money | None
    holders: int
    amount: Money


class DistributionOut(_Out):
    """How member balances are spread (anonymised)."""

    asset: str
    scale: int
    holders: int = Field(description="Member accounts with a positive balance.")
    total: Money
    median: Money
    p90: Money
    p99: Money
    gini: str = Field(description="Gini coefficient of positive balances, 6 decimals, floored.")
    top: list[TopHolder]
    buckets: list[Bucket]
