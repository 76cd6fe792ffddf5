"""The raw model: the TOML file's own shape, checked by pydantic.

Unknown keys are problems (``extra="forbid"``) and values are not coerced loosely, so a
misspelt key never passes silently. Amounts stay as written (whole or decimal STK);
``systok.core.policy.parse`` converts them to base units.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

from systok.core.amount import BASIS_POINTS_WHOLE
from systok.core.weeks import IsoWeek

SCALE_MAX = 18
"""The largest asset scale a policy may declare (ERC-20's 18 decimals)."""


class _Raw(BaseModel):
    """Base of the raw models: unknown keys are problems; values are not coerced loosely."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Count = Annotated[StrictInt, Field(ge=0)]
PositiveInt = Annotated[StrictInt, Field(ge=1)]
Bps = Annotated[StrictInt, Field(ge=0, le=BASIS_POINTS_WHOLE)]
Hour = Annotated[StrictInt, Field(ge=0, le=23)]
Coefficient = Annotated[Decimal, Field(gt=0)]
StkAmount = Annotated[Decimal, Field(ge=0)]
"""An STK amount as written in the file (whole or decimal STK); base units come later."""
PositiveStk = Annotated[Decimal, Field(gt=0)]
Name = Annotated[StrictStr, Field(min_length=1)]
AccountRef = Annotated[StrictStr, Field(pattern=r"^[a-z]+(:[a-z_]+)?$")]
"""A ledger account type such as ``pool:rewards``, ``fund:treasury`` or ``fee``."""
PayeeRef = Annotated[StrictStr, Field(pattern=r"^([a-z]+(:[a-z_]+)?|member:[^\s]{1,128})$")]
"""Who receives a share of a purchase: a system account type (``fund:treasury``,
``escrow``) or one member's own account (``member:<platform id>``)."""


class RawHeader(_Raw):
    version: Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    title: Name
    effective_from: StrictStr
    sources: list[StrictStr] = []

    @field_validator("effective_from")
    @classmethod
    def _is_iso_week(cls, value: str) -> str:
        IsoWeek.parse(value)
        return value


class RawAsset(_Raw):
    scale: Annotated[StrictInt, Field(ge=0, le=SCALE_MAX)]
    description: StrictStr = ""


class RawEvent(_Raw):
    weight: Count
    limit_daily: Count
    reward_type: Name


class RawConversion(_Raw):
    stk_per_point: Coefficient
    rounding: Literal["floor"]
    remainder_to: AccountRef


class RawActiveWeek(_Raw):
    min_counted_events: PositiveInt


class RawQualificationLevel(_Raw):
    name: Name
    coefficient: Coefficient


class RawWeightedDailyCaps(_Raw):
    model: Literal["weighted_daily_caps"]
    levels: Annotated[dict[str, RawQualificationLevel], Field(min_length=1)]
    consistency: Annotated[dict[str, Coefficient], Field(min_length=1)]
    active_week: RawActiveWeek


class RawRankLevel(_Raw):
    name: Name
    base_cap_daily: PositiveInt
    multiplier: Coefficient


class RawRankLadder(_Raw):
    model: Literal["rank_ladder"]
    levels: Annotated[dict[str, RawRankLevel], Field(min_length=1)]
    weeks_to_next_level: PositiveInt
    rise_steps_per_full_week: PositiveInt
    fall_steps_per_inactive_week: PositiveInt
    full_week_active_days: Annotated[StrictInt, Field(ge=1, le=7)]
    inactive_week_max_active_days: Annotated[StrictInt, Field(ge=0, le=6)]
    active_day_min_counted_events: PositiveInt
    between_levels: Literal["linear", "step"]
    floor_level: PositiveInt


class RawEligibility(_Raw):
    paid_members_only: StrictBool
    membership_product: Name
    membership_period_months: PositiveInt


class RawVestingRule(_Raw):
    vesting_days: Count
    description: StrictStr = ""


class RawVesting(_Raw):
    cancelled_to: AccountRef
    reward_types: Annotated[dict[str, RawVestingRule], Field(min_length=1)]


class RawSlashingTier(_Raw):
    from_days: Count
    to_days: Count | None = None
    rate_bps: Bps
    warn: StrictBool = False


class RawSlashing(_Raw):
    period: Literal["quarter"]
    to: AccountRef
    rounding: Literal["floor"]
    tiers: Annotated[list[RawSlashingTier], Field(min_length=1)]


class RawHalving(_Raw):
    kind: Literal["halving"]
    genesis_date: date
    period: Literal["week"]
    yearly_amount: PositiveStk
    halving_interval_years: PositiveInt
    days_per_year: PositiveInt
    amount_quantum: PositiveStk
    rounding: Literal["floor"]


class RawQuarterlyDecay(_Raw):
    kind: Literal["quarterly_decay"]
    genesis_date: date
    period: Literal["quarter"]
    total_supply: PositiveStk
    first_quarter_amount: PositiveStk
    amount_quantum: PositiveStk
    rounding: Literal["floor"]
    tail: Literal["emit_quantum"]


class RawFund(_Raw):
    account: AccountRef
    share_bps: Bps
    vesting_days: Count = 0
    description: StrictStr = ""


class RawFunds(_Raw):
    remainder_to: Name
    split: Annotated[dict[str, RawFund], Field(min_length=1)]


class RawBacking(_Raw):
    subscriptions_share_bps: Bps
    donations_share_bps: Bps
    reserve_assets: list[Name] = []


class RawInitialSale(_Raw):
    share_bps_min: Bps
    share_bps_max: Bps
    vesting_days: Count
    buyers: Literal["members"]


class RawService(_Raw):
    name: Name
    price: StkAmount
    period_days: PositiveInt
    split_bps: Annotated[dict[str, Bps], Field(min_length=1)]
    remainder_to: Name
    payees: Annotated[dict[str, PayeeRef], Field(min_length=1)]


class RawTransfers(_Raw):
    recipients: Literal["paid_members", "members"]


class RawTransferFee(_Raw):
    rate_bps: Bps
    rounding: Literal["floor"]
    min_fee: StkAmount
    max_fee: StkAmount | None = None
    to: AccountRef


class RawStabilisationRule(_Raw):
    metric: Name
    trigger_below: Decimal | None = None
    trigger_above: Decimal | None = None
    action: Name
    step_bps: Bps | None = None
    automatic: StrictBool


class RawHealthMetric(_Raw):
    unit: Literal["percent", "ratio"]
    description: StrictStr = ""
    target_min: Decimal | None = None
    target_max: Decimal | None = None
    critical_below: Decimal | None = None
    critical_above: Decimal | None = None


class RawPrice(_Raw):
    model: Literal["directive"]
    period: Literal["quarter"]
    quote_asset: Name
    subscription_share_bps: Bps
    one_off_spread_quarters: PositiveInt
    rounding: Literal["floor"]


class RawIngestion(_Raw):
    max_future_skew_seconds: Count
    max_age_days: PositiveInt
    weekly_grace_hours: Count


class RawSchedule(_Raw):
    aggregate_by_hour: Hour
    score_by_hour: Hour
    report_by_hour: Hour
    payout_by_hour: Hour
    notify_at_hour: Hour


class RawReports(_Raw):
    top_holders_count: PositiveInt
    weekly_csv_columns: Annotated[list[Name], Field(min_length=1)]
    quarterly_published: StrictBool


class RawPolicyFile(_Raw):
    """The whole file as written; the only shape ``tomllib`` output must have."""

    policy: RawHeader
    assets: Annotated[dict[str, RawAsset], Field(min_length=1)]
    events: Annotated[dict[str, RawEvent], Field(min_length=1)]
    conversion: RawConversion
    scoring: Annotated[RawWeightedDailyCaps | RawRankLadder, Field(discriminator="model")]
    eligibility: RawEligibility
    vesting: RawVesting
    slashing: RawSlashing
    emission: Annotated[RawHalving | RawQuarterlyDecay, Field(discriminator="kind")]
    funds: RawFunds
    backing: RawBacking
    initial_sale: RawInitialSale | None = None
    services: dict[str, RawService] = {}
    transfer_fee: RawTransferFee
    transfers: RawTransfers
    stabilisation: dict[str, RawStabilisationRule] = {}
    health: dict[str, RawHealthMetric] = {}
    price: RawPrice
    ingestion: RawIngestion
    schedule: RawSchedule
    reports: RawReports


UNION_TAGS = frozenset({"weighted_daily_caps", "rank_ladder", "halving", "quarterly_decay"})
"""Tag values pydantic inserts into error locations of tagged unions; not file keys."""
