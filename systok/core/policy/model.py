"""The domain model: frozen sections of a parsed policy, amounts in base units.

The scoring and emission models, which carry arithmetic, live in their own modules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

from systok.core.amount import STK
from systok.core.policy.emission import Emission
from systok.core.policy.scoring import Scoring
from systok.core.weeks import IsoWeek


@dataclass(frozen=True, slots=True)
class Asset:
    """An asset and its scale (decimal digits of one whole unit)."""

    code: str
    scale: int


@dataclass(frozen=True, slots=True)
class EventRule:
    """What one event type is worth.

    Attributes:
        event_type: a name from ``systok.core.events.KNOWN_EVENT_TYPES``.
        weight: points per counted event.
        limit_daily: events of this type counted per member per UTC day; the rest are
            kept, shown as "over the daily limit", and earn nothing.
        reward_type: the key into ``Policy.vesting.reward_types`` (how long it vests).
    """

    event_type: str
    weight: int
    limit_daily: int
    reward_type: str


@dataclass(frozen=True, slots=True)
class Conversion:
    """Points → STK: ``units = floor(points × coefficients × stk_per_point, base unit)``.

    The remainder (less than one base unit per member) stays in ``remainder_to``.
    """

    stk_per_point: Decimal
    rounding: Literal["floor"]
    remainder_to: str


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who earns: only paid members when ``paid_members_only`` [001]."""

    paid_members_only: bool
    membership_product: str
    membership_period_months: int


@dataclass(frozen=True, slots=True)
class VestingRule:
    """How long rewards of one reward type stay frozen before validation."""

    reward_type: str
    vesting_days: int


@dataclass(frozen=True, slots=True)
class Vesting:
    """Vesting per reward type; cancelled rewards return to ``cancelled_to``."""

    cancelled_to: str
    reward_types: Mapping[str, VestingRule]


@dataclass(frozen=True, slots=True)
class SlashingTier:
    """``from_days <= days inactive < to_days`` (``to_days`` None: no upper bound)."""

    from_days: int
    to_days: int | None
    rate_bps: int
    warn: bool


@dataclass(frozen=True, slots=True)
class Slashing:
    """Redistribution from inactive wallets, once per ``period``, to account ``to``."""

    period: Literal["quarter"]
    to: str
    rounding: Literal["floor"]
    tiers: tuple[SlashingTier, ...]


@dataclass(frozen=True, slots=True)
class Fund:
    """One destination of each emission."""

    name: str
    account: str
    share_bps: int
    vesting_days: int


@dataclass(frozen=True, slots=True)
class Funds:
    """The emission split; each part is floored and the remainder goes to ``remainder_to``."""

    remainder_to: str
    split: Mapping[str, Fund]

    def shares_bps(self) -> Mapping[str, int]:
        """Fund name → share in basis points."""
        return MappingProxyType({n: f.share_bps for n, f in self.split.items()})


@dataclass(frozen=True, slots=True)
class Backing:
    """Shares of inflows that go to the backing fund [002 §Финансовое обеспечение]."""

    subscriptions_share_bps: int
    donations_share_bps: int
    reserve_assets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InitialSale:
    """The initial sale to members [001]: a share of supply and its vesting."""

    share_bps_min: int
    share_bps_max: int
    vesting_days: int
    buyers: str


@dataclass(frozen=True, slots=True)
class Service:
    """A marketplace service: price in base units and how a purchase is split."""

    service_id: str
    name: str
    price: int
    period_days: int
    split_bps: Mapping[str, int]
    remainder_to: str
    payees: Mapping[str, str]
    """Split role → who receives it: a system account type (``fund:treasury``; ``escrow``
    keeps the share for the role under owner ``<service id>:<role>``) or
    ``member:<platform id>``."""


@dataclass(frozen=True, slots=True)
class Transfers:
    """Who may receive a P2P transfer.

    ``paid_members``: only a member whose paid membership covers the day of the transfer
    (transfers go "between members" [001]); ``members``: anyone the platform reported.
    """

    recipients: str


@dataclass(frozen=True, slots=True)
class TransferFee:
    """Fee on P2P transfers: ``max(min_fee, floor(amount × rate_bps / 10 000))``, capped."""

    rate_bps: int
    rounding: Literal["floor"]
    min_fee: int
    max_fee: int | None
    to: str


@dataclass(frozen=True, slots=True)
class StabilisationRule:
    """A stabilisation trigger: when ``metric`` crosses a threshold, propose ``action``."""

    name: str
    metric: str
    trigger_below: Decimal | None
    trigger_above: Decimal | None
    action: str
    step_bps: int | None
    automatic: bool


@dataclass(frozen=True, slots=True)
class HealthMetric:
    """Target and critical bounds of one health metric (in ``unit``)."""

    name: str
    unit: str
    target_min: Decimal | None
    target_max: Decimal | None
    critical_below: Decimal | None
    critical_above: Decimal | None


@dataclass(frozen=True, slots=True)
class DirectivePrice:
    """The directive price rule [001 §Котировка]."""

    model: Literal["directive"]
    period: Literal["quarter"]
    quote_asset: str
    subscription_share_bps: int
    one_off_spread_quarters: int
    rounding: Literal["floor"]


@dataclass(frozen=True, slots=True)
class Ingestion:
    """Which event times are accepted, and how late an event may still join its week."""

    max_future_skew_seconds: int
    max_age_days: int
    weekly_grace_hours: int


@dataclass(frozen=True, slots=True)
class Schedule:
    """Monday deadlines (UTC hours) of the weekly run stages [002 §Процесс]."""

    aggregate_by_hour: int
    score_by_hour: int
    report_by_hour: int
    payout_by_hour: int
    notify_at_hour: int


@dataclass(frozen=True, slots=True)
class Reports:
    """What reports contain [002 §Отчётность]."""

    top_holders_count: int
    weekly_csv_columns: tuple[str, ...]
    quarterly_published: bool


@dataclass(frozen=True, slots=True)
class Policy:
    """One economic policy, parsed, checked and frozen.

    ``content_hash`` identifies the economics; ``source`` only says where it was read
    from and is not part of equality.
    """

    version: str
    title: str
    effective_from: IsoWeek
    sources: tuple[str, ...]
    content_hash: str
    assets: Mapping[str, Asset]
    events: Mapping[str, EventRule]
    conversion: Conversion
    scoring: Scoring
    eligibility: Eligibility
    vesting: Vesting
    slashing: Slashing
    emission: Emission
    funds: Funds
    backing: Backing
    initial_sale: InitialSale | None
    services: Mapping[str, Service]
    transfer_fee: TransferFee
    transfers: Transfers
    stabilisation: Mapping[str, StabilisationRule]
    health: Mapping[str, HealthMetric]
    price: DirectivePrice
    ingestion: Ingestion
    schedule: Schedule
    reports: Reports
    canonical_json: str = field(repr=False, compare=False)
    source: str = field(default="<text>", compare=False)

    def __hash__(self) -> int:
        # The mappings inside are not hashable; the content hash identifies the economics.
        return hash(self.content_hash)

    @property
    def stk_scale(self) -> int:
        """Decimal digits of one STK (6 in the shipped policies)."""
        return self.assets[STK].scale

    def canonical_data(self) -> dict[str, Any]:
        """The canonical data the hash is computed over (a fresh, mutable copy)."""
        data: dict[str, Any] = json.loads(self.canonical_json)
        return data
