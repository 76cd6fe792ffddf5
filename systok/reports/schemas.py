"""The data shape of the quarterly report (docs/cli-json.md, ADR 0031).

Amounts are integers of STK base units (``scale`` decimals). Nothing here names a
member: holders are ranks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reading:
    """A stored health reading of the quarter (``health_readings``), exact."""

    value: str | None
    """6 decimals, floored toward −∞ (null: the metric has no value)."""
    numerator: int | None
    denominator: int | None
    unit: str
    status: str
    target_min: str | None = None
    """The policy's bounds of the metric, decimal text in ``unit`` (None: no bound);
    ``status`` is the reading rated against them (``core.health``)."""
    target_max: str | None = None
    critical_below: str | None = None
    critical_above: str | None = None


@dataclass(frozen=True)
class AccountEmission:
    """What emission credited to one account type in the quarter."""

    account: str
    units: int


@dataclass(frozen=True)
class RankedHolder:
    """An anonymised holder at the close: a rank and a balance, never an id."""

    rank: int
    units: int
    share_bps: int
    """Of the members' total, in basis points, floored."""


@dataclass(frozen=True)
class LorenzPoint:
    """A point of the Lorenz curve of member balances at the close: the ``holders``
    poorest hold ``units`` together (``core.distribution.lorenz_points``)."""

    holders: int
    units: int


@dataclass(frozen=True)
class QuarterPoint:
    """One quarter of the history the report draws: supply at its close and its
    directive price (None: the quarterly run set none)."""

    quarter: str
    supply_units: int
    price_units: int | None


@dataclass(frozen=True)
class RedistributionTotals:
    """What the quarterly run's redistribute stage took (``quarter_redistributions``)."""

    members: int
    """Members in the snapshot."""
    redistributed_members: int
    due_units: int
    moved_units: int
    warnings: int
    out_of_reach_units: int
    """Σ in members' own wallets at the close (``quarter_snapshots``): not redistributable."""


@dataclass(frozen=True)
class FundRelease:
    """What the vest stage released from one fund's locked account to the fund."""

    fund: str
    units: int


@dataclass(frozen=True)
class VestingTotals:
    """What the quarterly run's vest stage released (``quarter_vesting_releases``,
    ADR 0033): per vesting fund, and to the initial sale's buyers — counted, never named."""

    funds: list[FundRelease]
    sale_members: int
    sale_units: int


@dataclass(frozen=True)
class HeldAsset:
    """The backing fund's part of the inflows held in one reserve asset (ADR 0036)."""

    asset: str
    backing_units: int
    """Quote minor units, valued as recorded."""


@dataclass(frozen=True)
class PriceSection:
    """The directive price the run set (``quarter_prices``) and its inputs."""

    quote_asset: str
    price_units: int
    """Quote minor units per whole STK, floored."""
    backing_units: int
    issued_units: int
    inputs: dict[str, Any]
    policy_version: str
    set_at: str
    backing_by_asset: list[HeldAsset]
    """The fund by the reserve asset its money is held in, inflows up to the quarter."""


@dataclass(frozen=True)
class QuarterlyReport:
    """A closed quarter's report; a section whose data is not stored is null and named
    in ``missing`` with the reason."""

    quarter: str
    start: str
    close: str
    policy_version: str
    asset: str
    scale: int
    quote_asset: str
    """The asset prices are quoted in (the policy's directive price, e.g. RUB)."""
    quote_scale: int
    """Its decimals: ``price_units`` are minor units (kopecks)."""
    emission_units: int
    emission_by_account: list[AccountEmission]
    burned_units: int
    supply_units: int
    circulating_units: int
    frozen_units: int
    holders: int
    top_holders: list[RankedHolder]
    gini: str
    lorenz: list[LorenzPoint]
    """The curve the Gini coefficient is read from, at most 101 points."""
    transaction_volume_units: int
    rewards_units: int
    rewarded_members: int
    average_reward_units: int | None
    active_wallets: Reading | None
    inflation: Reading | None
    velocity: Reading | None
    treasury: Reading | None
    redistribution: RedistributionTotals | None
    vesting: VestingTotals | None
    price: PriceSection | None
    history: list[QuarterPoint]
    """The report's quarter and the ones before it since the ledger's first entry (at
    most ``HISTORY_QUARTERS``), oldest first."""
    missing: list[str] = field(default_factory=list)
