"""Policy files: every economic number, parsed into a frozen, typed, hashed ``Policy``.

"Policy is data, code is mechanism": weights, limits, coefficients, periods, rates,
splits and thresholds live in a versioned TOML file (``policies/*.toml``), never in
code. This module turns the *text* of such a file into a ``Policy``; it reads no files
(``systok.policy_files`` is the I/O edge), so the simulator and tests use exactly the
same parser as the weekly run.

Parsing has two steps, as SourceCred's raw/config parsers do:

1. **Raw**: ``tomllib`` (floats parsed as ``Decimal``, so ``1.5`` is exact) and a pydantic
   model that mirrors the file with ``extra="forbid"`` (an unknown or misspelt key is a
   problem, not silently ignored).
2. **Domain**: frozen dataclasses with units resolved (STK amounts written as whole or
   decimal STK become integers of base units using the policy's own STK scale).

A refused file raises ``PolicyInvalid`` listing *every* problem at once: pydantic's
type and range errors together with the semantic and cross-reference checks (shares
summing to 10 000 bps, contiguous levels, increasing coefficients, sorted slashing
tiers, known event types, …). The semantic checks read the raw TOML tolerantly, so a
wrong type in one place does not hide a wrong sum in another. A policy author fixes the
file in one pass.

The ``content_hash`` is the SHA-256 of a canonical JSON of the parsed data (sorted keys,
Decimals as normalised strings, dates as ISO text). Comments, whitespace, key order and
``1.10`` vs ``1.1`` do not change it; any number that changes the economy does. Every
accrual run records the version and hash it used.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from systok.core.amount import AMOUNT_DIGITS_MAX, BASIS_POINTS_WHOLE, STK, AmountError, parse_amount
from systok.core.events import KNOWN_EVENT_TYPES
from systok.core.ledger import AccountType
from systok.core.weeks import IsoWeek
from systok.errors import PolicyInvalid, PolicyProblem

__all__ = [
    "Asset",
    "Backing",
    "ConsistencyStep",
    "Conversion",
    "DirectivePrice",
    "Eligibility",
    "Emission",
    "EventRule",
    "Fund",
    "Funds",
    "HalvingEmission",
    "HealthMetric",
    "Ingestion",
    "InitialSale",
    "Policy",
    "PolicyChange",
    "QualificationLevel",
    "QuarterlyDecayEmission",
    "RankLadder",
    "RankLevel",
    "Reports",
    "Schedule",
    "Scoring",
    "Service",
    "Slashing",
    "SlashingTier",
    "StabilisationRule",
    "TransferFee",
    "Transfers",
    "Vesting",
    "VestingRule",
    "WeightedDailyCaps",
    "canonical_json",
    "parse_policy",
    "policy_diff",
]

"""The asset code of the token; its scale converts policy amounts to base units."""

SCALE_MAX = 18
"""The largest asset scale a policy may declare (ERC-20's 18 decimals)."""

# ====================================================================================
# Step 1: the raw model, mirroring the TOML file
# ====================================================================================


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


_UNION_TAGS = frozenset({"weighted_daily_caps", "rank_ladder", "halving", "quarterly_decay"})
"""Tag values pydantic inserts into error locations of tagged unions; not file keys."""

# ====================================================================================
# Step 2: the domain model (frozen; amounts in base units)
# ====================================================================================


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
    rounding: str
    remainder_to: str


@dataclass(frozen=True, slots=True)
class QualificationLevel:
    """A qualification level and its reward coefficient (weighted_daily_caps)."""

    level: int
    name: str
    coefficient: Decimal


@dataclass(frozen=True, slots=True)
class ConsistencyStep:
    """From ``weeks`` active weeks in a row onward, the coefficient is ``coefficient``."""

    weeks: int
    coefficient: Decimal


@dataclass(frozen=True, slots=True)
class WeightedDailyCaps:
    """Scoring of seed 002: Σ capped weights × qualification × consistency coefficients.

    Attributes:
        levels: by level number 1..N.
        consistency: sorted by ``weeks``; the first starts at 1 and the last applies to
            every longer streak ("5+").
        active_week_min_counted_events: counted (weight > 0, within limit) events that
            make a week "active" for the streak.
    """

    model: Literal["weighted_daily_caps"]
    levels: Mapping[int, QualificationLevel]
    consistency: tuple[ConsistencyStep, ...]
    active_week_min_counted_events: int

    def level_names(self) -> Mapping[int, str]:
        """Level number → name (for reports)."""
        return MappingProxyType({n: lv.name for n, lv in self.levels.items()})

    def qualification_coefficient(self, level: int) -> Decimal:
        """The coefficient of a qualification level.

        Raises:
            ValueError: when the policy has no such level.
        """
        try:
            return self.levels[level].coefficient
        except KeyError:
            raise ValueError(f"qualification level {level} is not in the policy") from None

    def consistency_coefficient(self, weeks_in_row: int) -> Decimal:
        """The coefficient for a streak of ``weeks_in_row`` active weeks (this one included).

        A streak shorter than the first step (0 or 1) gets the first step's
        coefficient, as the seed's ``if weeks_in_row <= 1`` does.
        """
        chosen = self.consistency[0].coefficient
        for step in self.consistency:
            if weeks_in_row >= step.weeks:
                chosen = step.coefficient
        return chosen


@dataclass(frozen=True, slots=True)
class RankLevel:
    """A qualification's base rank (rank_ladder).

    Attributes:
        base_cap_daily: points a member may earn per UTC day at this base rank.
        multiplier: points per action are ``weight × multiplier`` at this base rank.
    """

    level: int
    name: str
    base_cap_daily: int
    multiplier: Decimal


@dataclass(frozen=True, slots=True)
class RankLadder:
    """Scoring of seed 001: the rank is the most points a member may earn per day.

    A rank is a step on a ladder: level ``L``'s base rank is step
    ``(L - 1) × weeks_to_next_level``. A member starts at their qualification's base,
    rises ``rise_steps_per_full_week`` after a week with ``full_week_active_days``
    active days, falls ``fall_steps_per_inactive_week`` after a week with at most
    ``inactive_week_max_active_days`` active days (other weeks hold the rank), never
    above the top level's base and never below ``floor_level``'s base. Between two
    bases the cap and multiplier are ``between_levels`` (``linear``: interpolated,
    cap floored to whole points; ``step``: the lower base's values).
    """

    model: Literal["rank_ladder"]
    levels: Mapping[int, RankLevel]
    weeks_to_next_level: int
    rise_steps_per_full_week: int
    fall_steps_per_inactive_week: int
    full_week_active_days: int
    inactive_week_max_active_days: int
    active_day_min_counted_events: int
    between_levels: str
    floor_level: int

    def level_names(self) -> Mapping[int, str]:
        """Level number → name (for reports)."""
        return MappingProxyType({n: lv.name for n, lv in self.levels.items()})

    def base_step(self, level: int) -> int:
        """The ladder step of a qualification's base rank."""
        if level not in self.levels:
            raise ValueError(f"qualification level {level} is not in the policy")
        return (level - 1) * self.weeks_to_next_level


Scoring = WeightedDailyCaps | RankLadder
"""The scoring model, tagged by ``model``."""


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

    period: str
    to: str
    rounding: str
    tiers: tuple[SlashingTier, ...]

    def tier_for(self, days_inactive: int) -> SlashingTier:
        """The tier a member inactive for ``days_inactive`` days falls in."""
        for tier in self.tiers:
            if days_inactive >= tier.from_days and (
                tier.to_days is None or days_inactive < tier.to_days
            ):
                return tier
        raise ValueError(f"no slashing tier covers {days_inactive} days")


@dataclass(frozen=True, slots=True)
class HalvingEmission:
    """Seed 002: ``yearly_amount`` STK a year, halved every ``halving_interval_years``.

    Minted every ``period`` (a week: 7 × the daily amount). The daily amount is
    ``floor(yearly / 2**halvings / days_per_year)`` rounded down to ``amount_quantum``;
    the rounding remainder is simply never minted. Amounts are base units.
    """

    kind: Literal["halving"]
    genesis_date: date
    period: str
    yearly_amount: int
    halving_interval_years: int
    days_per_year: int
    amount_quantum: int
    rounding: str

    def daily_amount(self, year_index: int) -> int:
        """Base units minted per day in year ``year_index`` (0 = the genesis year)."""
        if year_index < 0:
            raise ValueError("year_index must be ≥ 0")
        halvings = year_index // self.halving_interval_years
        divisor = (1 << halvings) * self.days_per_year * self.amount_quantum
        return self.yearly_amount // divisor * self.amount_quantum

    def week_amount(self, year_index: int) -> int:
        """Base units minted per weekly period in year ``year_index``."""
        return 7 * self.daily_amount(year_index)


@dataclass(frozen=True, slots=True)
class QuarterlyDecayEmission:
    """Seed 001: a fixed cap, each quarter minting ``remaining × first / total``.

    With 21 000 000 and 500 000 the ratio between quarters is 41/42. Amounts are floored
    to ``amount_quantum``; once that floor is zero each quarter mints one quantum (or
    what is left) — ``tail = "emit_quantum"`` — so amounts never rise ("smoothly
    decreasing" [001]) and the series sums to ``total_supply`` exactly.
    """

    kind: Literal["quarterly_decay"]
    genesis_date: date
    period: str
    total_supply: int
    first_quarter_amount: int
    amount_quantum: int
    rounding: str
    tail: str

    def quarter_amount(self, remaining: int) -> int:
        """Base units minted in a quarter that starts with ``remaining`` unminted units."""
        if remaining < 0:
            raise ValueError("remaining must be ≥ 0")
        exact_floor = remaining * self.first_quarter_amount // self.total_supply
        amount = exact_floor // self.amount_quantum * self.amount_quantum
        return amount if amount > 0 else min(self.amount_quantum, remaining)

    def quarter_amounts(self) -> Iterator[int]:
        """Every quarter's amount from genesis until the cap is reached."""
        remaining = self.total_supply
        while remaining > 0:
            amount = self.quarter_amount(remaining)
            remaining -= amount
            yield amount


Emission = HalvingEmission | QuarterlyDecayEmission
"""The emission schedule, tagged by ``kind``."""


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
    rounding: str
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

    model: str
    period: str
    quote_asset: str
    subscription_share_bps: int
    one_off_spread_quarters: int
    rounding: str


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

    def event_rule(self, event_type: str) -> EventRule | None:
        """The rule for an event type, or None when the policy gives it no value."""
        return self.events.get(event_type)

    def vesting_days_for(self, event_type: str) -> int:
        """Vesting days of the reward an event type earns."""
        rule = self.events[event_type]
        return self.vesting.reward_types[rule.reward_type].vesting_days

    def canonical_data(self) -> dict[str, Any]:
        """The canonical data the hash is computed over (a fresh, mutable copy)."""
        data: dict[str, Any] = json.loads(self.canonical_json)
        return data


# ====================================================================================
# Canonical form, hash and diff
# ====================================================================================


def _decimal_text(number: Decimal) -> str:
    """Canonical text of a Decimal: ``1.10`` → ``"1.1"``, ``5.0`` → ``"5"``, never ``1E+1``."""
    if not number.is_finite() or abs(number.adjusted()) > AMOUNT_DIGITS_MAX:
        # Only ever shown in a problem; validation refuses it. ``int()`` of 1E+999990
        # would build a million-digit integer first.
        return str(number)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _canonical(value: Any) -> Any:
    """Turn parsed data into JSON-able canonical values; None (absent) is dropped."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"no canonical form for {type(value).__name__}")


def canonical_json(data: Mapping[str, Any]) -> str:
    """Canonical JSON (sorted keys, no spaces, UTF-8 text) of parsed policy data."""
    return json.dumps(_canonical(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


PolicyChange = tuple[str, Any, Any]
"""``(key_path, old, new)``; ``None`` means the key is absent on that side."""


def _flatten(value: Any, prefix: tuple[str | int, ...], out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, (*prefix, key), out)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            _flatten(item, (*prefix, index), out)
    else:
        out[_key_path(prefix)] = value


def policy_diff(a: Policy, b: Policy) -> list[PolicyChange]:
    """Every key path whose canonical value differs between two policies, sorted.

    Values are canonical (Decimals and STK amounts as written-form strings), so the
    diff reads in the file's own terms.
    """
    left: dict[str, Any] = {}
    right: dict[str, Any] = {}
    _flatten(a.canonical_data(), (), left)
    _flatten(b.canonical_data(), (), right)
    changes: list[PolicyChange] = []
    for key in sorted(left.keys() | right.keys()):
        old, new = left.get(key), right.get(key)
        if old != new:
            changes.append((key, old, new))
    return changes


# ====================================================================================
# Problems: pydantic errors and semantic checks, reported together
# ====================================================================================


def _key_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """``("slashing", "tiers", 2, "rate_bps")`` → ``"slashing.tiers[2].rate_bps"``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _shown(value: Any) -> str:
    """A value as a policy author wrote it (no Python types in messages)."""
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)


def _clean_loc(loc: tuple[str | int, ...], data: Any) -> list[str | int]:
    """Drop the tag segments pydantic inserts for tagged unions (they are not file keys)."""
    parts: list[str | int] = []
    node = data
    for part in loc:
        if (
            isinstance(part, str)
            and part in _UNION_TAGS
            and not (isinstance(node, dict) and part in node)
        ):
            continue
        parts.append(part)
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return parts


_REASONS: dict[str, str] = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
    "greater_than_equal": "must be ≥ {ge} (got {input})",
    "greater_than": "must be > {gt} (got {input})",
    "less_than_equal": "must be ≤ {le} (got {input})",
    "less_than": "must be < {lt} (got {input})",
    "int_type": "must be a whole number (got {input})",
    "int_parsing": "must be a whole number (got {input})",
    "int_from_float": "must be a whole number (got {input})",
    "decimal_type": "must be a finite number (got {input})",
    "decimal_parsing": "must be a finite number (got {input})",
    "finite_number": "must be a finite number (got {input})",
    "bool_type": "must be true or false (got {input})",
    "string_type": "must be a string (got {input})",
    "string_too_short": "must not be empty",
    "too_short": "must not be empty",
    "string_pattern_mismatch": "must match {pattern} (got {input})",
    "literal_error": "must be {expected} (got {input})",
    "dict_type": "must be a table (got {input})",
    "model_type": "must be a table (got {input})",
    "model_attributes_type": "must be a table (got {input})",
    "list_type": "must be an array (got {input})",
    "date_type": "must be a date like 2025-12-15 (got {input})",
    "date_parsing": "must be a date like 2025-12-15 (got {input})",
    "date_from_datetime_parsing": "must be a date like 2025-12-15 (got {input})",
    "date_from_datetime_inexact": "must be a date like 2025-12-15 (got {input})",
    "union_tag_invalid": "unknown {discriminator} {tag!r}; expected one of {expected_tags}",
    "union_tag_not_found": "missing the {discriminator} key that selects the kind",
}
"""Reasons in policy-author terms for pydantic's error types (others keep pydantic's text)."""


def _reason(error: Mapping[str, Any]) -> str:
    """A short reason in policy-author terms for one pydantic error."""
    template = _REASONS.get(error["type"])
    if template is not None:
        values: dict[str, Any] = {
            key: value if isinstance(value, str) else _shown(value)
            for key, value in (error.get("ctx") or {}).items()
        }
        values["input"] = _shown(error.get("input"))
        values["tag"] = (error.get("ctx") or {}).get("tag")
        try:
            return template.format_map(values)
        except (KeyError, ValueError):
            pass
    return str(error.get("msg", error["type"])).removeprefix("Value error, ")


class _Problems:
    """Collects problems of one file, each once, in the order found."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[PolicyProblem] = []

    def add(self, parts: tuple[str | int, ...] | list[str | int], reason: str) -> None:
        problem = PolicyProblem(file=self.source, key_path=_key_path(parts), reason=reason)
        if problem not in self.items:
            self.items.append(problem)


def _table(data: Any, *keys: str) -> dict[str, Any] | None:
    """``data[k1][k2]…`` when every step is a table, else None (tolerant reading)."""
    node = data
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node if isinstance(node, dict) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> Decimal | None:
    """A Decimal when the value is (or spells) a finite number, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _level_keys(levels: dict[str, Any], path: tuple[str, ...], problems: _Problems) -> list[int]:
    """Level keys as sorted ints; reports keys that are not numbers or not 1..N."""
    numbers: list[int] = []
    for key in levels:
        if re.fullmatch(r"[1-9][0-9]*", key) is None:
            problems.add((*path, key), "level keys must be whole numbers 1, 2, …")
        else:
            numbers.append(int(key))
    numbers.sort()
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        problems.add(
            path,
            f"levels must be 1..{len(numbers)} without gaps (got {', '.join(map(str, numbers))})",
        )
    return numbers


def _check_increasing(
    levels: dict[str, Any],
    numbers: list[int],
    field_name: str,
    path: tuple[str, ...],
    problems: _Problems,
) -> None:
    """Each level's ``field_name`` must be strictly greater than the previous level's."""
    previous: tuple[int, Decimal] | None = None
    for number in numbers:
        entry = levels.get(str(number))
        value = _number(entry.get(field_name)) if isinstance(entry, dict) else None
        if value is None:
            previous = None
            continue
        if previous is not None and value <= previous[1]:
            problems.add(
                (*path, str(number), field_name),
                f"must be greater than level {previous[0]}'s {_decimal_text(previous[1])} "
                f"(got {_decimal_text(value)}); {field_name} must strictly increase with level",
            )
        previous = (number, value)


def _check_bps_sum(
    shares: dict[str, int | None], path: tuple[str, ...], problems: _Problems
) -> None:
    values = [v for v in shares.values() if v is not None]
    if len(values) == len(shares) and sum(values) != BASIS_POINTS_WHOLE:
        problems.add(
            path, f"shares sum to {sum(values)} bps; they must sum to {BASIS_POINTS_WHOLE}"
        )


def _check_scoring(data: dict[str, Any], problems: _Problems) -> None:
    scoring = _table(data, "scoring")
    if scoring is None:
        return
    levels = scoring.get("levels")
    if isinstance(levels, dict) and levels:
        numbers = _level_keys(levels, ("scoring", "levels"), problems)
        if scoring.get("model") == "weighted_daily_caps":
            _check_increasing(levels, numbers, "coefficient", ("scoring", "levels"), problems)
        elif scoring.get("model") == "rank_ladder":
            for name in ("base_cap_daily", "multiplier"):
                _check_increasing(levels, numbers, name, ("scoring", "levels"), problems)
            floor_level = _int(scoring.get("floor_level"))
            if floor_level is not None and numbers and floor_level not in numbers:
                problems.add(("scoring", "floor_level"), f"level {floor_level} is not defined")
    if scoring.get("model") == "rank_ladder":
        full = _int(scoring.get("full_week_active_days"))
        idle = _int(scoring.get("inactive_week_max_active_days"))
        if full is not None and idle is not None and idle >= full:
            problems.add(
                ("scoring", "inactive_week_max_active_days"),
                f"must be below full_week_active_days ({full}) so a week cannot be both",
            )
    _check_consistency(scoring, problems)


def _check_consistency(scoring: dict[str, Any], problems: _Problems) -> None:
    """Consistency weeks start at 1; coefficients never decrease with a longer streak."""
    consistency = scoring.get("consistency")
    if isinstance(consistency, dict) and consistency:
        path = ("scoring", "consistency")
        weeks: list[int] = []
        for key in consistency:
            if re.fullmatch(r"[1-9][0-9]*", key) is None:
                problems.add((*path, key), "keys are weeks in a row: whole numbers from 1")
            else:
                weeks.append(int(key))
        weeks.sort()
        if weeks and weeks[0] != 1:
            problems.add(path, f"weeks must start at 1 (first is {weeks[0]})")
        previous: tuple[int, Decimal] | None = None
        for week in weeks:
            value = _number(consistency.get(str(week)))
            if value is None:
                previous = None
                continue
            if previous is not None and value < previous[1]:
                problems.add(
                    (*path, str(week)),
                    f"must not be below week {previous[0]}'s {_decimal_text(previous[1])} "
                    f"(got {_decimal_text(value)}); coefficients must not decrease",
                )
            previous = (week, value)


def _check_events(data: dict[str, Any], problems: _Problems) -> None:
    events = _table(data, "events")
    if events is None:
        return
    reward_types = _table(data, "vesting", "reward_types")
    for name, rule in events.items():
        if name not in KNOWN_EVENT_TYPES:
            problems.add(
                ("events", name),
                f"unknown event type {name!r}; known: {', '.join(sorted(KNOWN_EVENT_TYPES))}",
            )
        reward_type = rule.get("reward_type") if isinstance(rule, dict) else None
        if (
            isinstance(reward_type, str)
            and reward_types is not None
            and reward_type not in reward_types
        ):
            problems.add(
                ("events", name, "reward_type"),
                f"reward type {reward_type!r} is not in vesting.reward_types "
                f"({', '.join(sorted(reward_types))})",
            )


def _check_slashing(data: dict[str, Any], problems: _Problems) -> None:
    tiers = _table(data, "slashing")
    tier_list = tiers.get("tiers") if tiers is not None else None
    if not isinstance(tier_list, list):
        return
    previous_to: int | None = 0
    previous_known = True
    for index, tier in enumerate(tier_list):
        if not isinstance(tier, dict):
            previous_known = False
            continue
        path = ("slashing", "tiers", index)
        start, end = _int(tier.get("from_days")), _int(tier.get("to_days"))
        if index == 0 and start is not None and start != 0:
            problems.add((*path, "from_days"), f"the first tier must start at 0 (got {start})")
        if index > 0 and start is not None and previous_known:
            if previous_to is None:
                problems.add(path, "comes after an unbounded tier (only the last may omit to_days)")
            elif start < previous_to:
                problems.add(
                    (*path, "from_days"),
                    f"overlaps the previous tier, which ends at {previous_to} (got {start})",
                )
            elif start > previous_to:
                problems.add(
                    (*path, "from_days"),
                    f"leaves a gap after the previous tier, which ends at {previous_to} "
                    f"(got {start})",
                )
        if start is not None and end is not None and end <= start:
            problems.add((*path, "to_days"), f"must be greater than from_days {start} (got {end})")
        previous_to = end if "to_days" in tier else None
        previous_known = end is not None or "to_days" not in tier
    if tier_list and isinstance(tier_list[-1], dict) and "to_days" in tier_list[-1]:
        problems.add(
            ("slashing", "tiers", len(tier_list) - 1, "to_days"),
            "the last tier must have no to_days, so every inactivity length has a tier",
        )


def _check_health(data: dict[str, Any], problems: _Problems) -> None:
    health = _table(data, "health")
    if health is None:
        return
    for name, metric in health.items():
        if not isinstance(metric, dict):
            continue
        bounds = {
            key: _number(metric.get(key))
            for key in ("target_min", "target_max", "critical_below", "critical_above")
        }
        t_min, t_max = bounds["target_min"], bounds["target_max"]
        c_below, c_above = bounds["critical_below"], bounds["critical_above"]
        path = ("health", name)
        if t_min is None and t_max is None:
            problems.add(path, "needs target_min or target_max")
        if c_below is None and c_above is None:
            problems.add(path, "needs critical_below or critical_above")
        pairs = (
            ("target_min", t_min, "target_max", t_max, "target range is empty"),
            ("critical_below", c_below, "target_min", t_min, "target range is outside critical"),
            ("critical_below", c_below, "target_max", t_max, "target range is outside critical"),
            ("target_max", t_max, "critical_above", c_above, "target range is outside critical"),
            ("target_min", t_min, "critical_above", c_above, "target range is outside critical"),
            ("critical_below", c_below, "critical_above", c_above, "critical bounds overlap"),
        )
        for low_name, low, high_name, high, why in pairs:
            if low is not None and high is not None and not low < high:
                problems.add(
                    (*path, high_name),
                    f"{why}: {low_name} {_decimal_text(low)} must be below "
                    f"{high_name} {_decimal_text(high)}",
                )


def _check_amounts(data: dict[str, Any], problems: _Problems) -> None:
    """STK amounts must be exact in base units; refers to the STK scale of the same file."""
    assets = _table(data, "assets")
    if assets is None:
        return  # missing or not a table: pydantic reports it
    if STK not in assets:
        problems.add(("assets", STK), "the STK asset must be defined (its scale converts amounts)")
        return
    stk = assets[STK]
    scale = _int(stk.get("scale")) if isinstance(stk, dict) else None
    if scale is None or not 0 <= scale <= SCALE_MAX:
        return
    places: list[tuple[tuple[str | int, ...], Any]] = []
    emission = _table(data, "emission")
    if emission is not None:
        for key in ("yearly_amount", "total_supply", "first_quarter_amount", "amount_quantum"):
            if key in emission:
                places.append((("emission", key), emission[key]))
    fee = _table(data, "transfer_fee")
    if fee is not None:
        places.extend((("transfer_fee", k), fee[k]) for k in ("min_fee", "max_fee") if k in fee)
    for service_id, service in (_table(data, "services") or {}).items():
        if isinstance(service, dict) and "price" in service:
            places.append((("services", service_id, "price"), service["price"]))
    for path, value in places:
        number = _number(value)
        if number is None:
            continue  # the type error is pydantic's to report
        try:
            parse_amount(_decimal_text(number), scale)
        except AmountError as error:
            problems.add(path, f"not an exact STK amount at scale {scale}: {error}")


def _check_splits(data: dict[str, Any], problems: _Problems) -> None:
    split = _table(data, "funds", "split")
    funds = _table(data, "funds")
    if split is not None:
        shares = {
            name: _int(fund.get("share_bps")) if isinstance(fund, dict) else None
            for name, fund in split.items()
        }
        _check_bps_sum(shares, ("funds", "split"), problems)
        remainder_to = funds.get("remainder_to") if funds is not None else None
        if isinstance(remainder_to, str) and remainder_to not in split:
            problems.add(
                ("funds", "remainder_to"), f"{remainder_to!r} is not a fund in funds.split"
            )
    for service_id, service in (_table(data, "services") or {}).items():
        if not isinstance(service, dict):
            continue
        service_split = service.get("split_bps")
        if isinstance(service_split, dict) and service_split:
            shares = {k: _int(v) for k, v in service_split.items()}
            _check_bps_sum(shares, ("services", service_id, "split_bps"), problems)
            remainder_to = service.get("remainder_to")
            if isinstance(remainder_to, str) and remainder_to not in service_split:
                problems.add(
                    ("services", service_id, "remainder_to"),
                    f"{remainder_to!r} is not a recipient in split_bps",
                )
        _check_payees(service_id, service, problems)


_PAYEE_TYPES_REFUSED = frozenset({"world", "hold:vesting", "hold:stake", "member"})
"""Account types a purchase may not pay into directly: issuance, holds (they are not
spendable accounts) and a member account without an owner."""


def _check_payees(service_id: str, service: dict[str, Any], problems: _Problems) -> None:
    """Every split role has exactly one payee, and each payee is a real account type."""
    split, payees = service.get("split_bps"), service.get("payees")
    if not isinstance(payees, dict):
        return  # missing or not a table: pydantic reports it
    if isinstance(split, dict):
        for role in sorted(set(split) - set(payees)):
            problems.add(("services", service_id, "payees"), f"no payee for the role {role!r}")
        for role in sorted(set(payees) - set(split)):
            problems.add(
                ("services", service_id, "payees", role), f"{role!r} is not a role in split_bps"
            )
    known = {t.value for t in AccountType}
    for role, target in payees.items():
        if not isinstance(target, str):
            continue
        account_type = "member" if target.startswith("member:") else target
        if account_type not in known or target in _PAYEE_TYPES_REFUSED:
            problems.add(
                ("services", service_id, "payees", role),
                f"{target!r} cannot receive a purchase share; give a fund, escrow, fee, burn "
                "or member:<platform id>",
            )


def _check_emission(data: dict[str, Any], problems: _Problems) -> None:
    emission = _table(data, "emission")
    if emission is None:
        return
    genesis = emission.get("genesis_date")
    if isinstance(genesis, str):
        try:
            genesis = date.fromisoformat(genesis)
        except ValueError:
            genesis = None
    if (
        emission.get("kind") == "halving"
        and isinstance(genesis, date)
        and genesis.isoweekday() != 1
    ):
        problems.add(
            ("emission", "genesis_date"),
            f"weekly emission must start on a Monday so periods are ISO weeks "
            f"({genesis.isoformat()} is not)",
        )
    if emission.get("kind") == "quarterly_decay":
        if isinstance(genesis, date) and (genesis.day != 1 or genesis.month not in (1, 4, 7, 10)):
            problems.add(
                ("emission", "genesis_date"),
                f"quarterly emission must start on the first day of a calendar quarter "
                f"({genesis.isoformat()} is not)",
            )
        total = _number(emission.get("total_supply"))
        first = _number(emission.get("first_quarter_amount"))
        if total is not None and first is not None and first > total:
            problems.add(
                ("emission", "first_quarter_amount"),
                f"must not exceed total_supply {_decimal_text(total)} (got {_decimal_text(first)})",
            )


def _check_references(data: dict[str, Any], problems: _Problems) -> None:
    """Cross-references between sections and simple orderings."""
    assets = _table(data, "assets") or {}
    price = _table(data, "price")
    quote = price.get("quote_asset") if price is not None else None
    if isinstance(quote, str) and assets and quote not in assets:
        problems.add(("price", "quote_asset"), f"{quote!r} is not in assets")
    fee = _table(data, "transfer_fee")
    if fee is not None:
        low, high = _number(fee.get("min_fee")), _number(fee.get("max_fee"))
        if low is not None and high is not None and low > high:
            problems.add(("transfer_fee", "max_fee"), "must not be below min_fee")
    sale = _table(data, "initial_sale")
    if sale is not None:
        low_bps, high_bps = _int(sale.get("share_bps_min")), _int(sale.get("share_bps_max"))
        if low_bps is not None and high_bps is not None and low_bps > high_bps:
            problems.add(("initial_sale", "share_bps_max"), "must not be below share_bps_min")
    _check_schedule(data, problems)
    _check_stabilisation(data, problems)


def _check_schedule(data: dict[str, Any], problems: _Problems) -> None:
    """Stage deadlines are in order, and the grace window ends before aggregation does."""
    schedule = _table(data, "schedule")
    if schedule is not None:
        order = (
            "aggregate_by_hour",
            "score_by_hour",
            "report_by_hour",
            "payout_by_hour",
            "notify_at_hour",
        )
        hours = [(key, _int(schedule.get(key))) for key in order]
        known = [(key, hour) for key, hour in hours if hour is not None]
        for (before, early), (after, late) in itertools.pairwise(known):
            if late < early:
                problems.add(("schedule", after), f"must not be before {before} ({early})")
        grace = _int((_table(data, "ingestion") or {}).get("weekly_grace_hours"))
        aggregate = _int(schedule.get("aggregate_by_hour"))
        if grace is not None and aggregate is not None and grace > aggregate:
            problems.add(
                ("ingestion", "weekly_grace_hours"),
                f"must end by schedule.aggregate_by_hour ({aggregate})",
            )


def _check_stabilisation(data: dict[str, Any], problems: _Problems) -> None:
    """Each trigger has one threshold and watches a known metric."""
    health = _table(data, "health") or {}
    for name, rule in (_table(data, "stabilisation") or {}).items():
        if not isinstance(rule, dict):
            continue
        below, above = rule.get("trigger_below"), rule.get("trigger_above")
        if (below is None) == (above is None):
            problems.add(("stabilisation", name), "needs exactly one of trigger_below/above")
        metric = rule.get("metric")
        if isinstance(metric, str) and metric not in health and metric != "price_change":
            problems.add(
                ("stabilisation", name, "metric"),
                f"{metric!r} is neither a health metric nor 'price_change'",
            )


_SEMANTIC_CHECKS = (
    _check_amounts,
    _check_events,
    _check_scoring,
    _check_splits,
    _check_slashing,
    _check_emission,
    _check_health,
    _check_references,
)


# ====================================================================================
# Parsing
# ====================================================================================

_TOML_WHERE = re.compile(r"\s*\(at (line \d+, column \d+|end of document)\)\s*$")


def parse_policy(text: str, source: str) -> Policy:
    """Parse the text of a policy file into a frozen ``Policy``.

    Args:
        text: the TOML text.
        source: where it came from (a file path), used in every problem.

    Raises:
        PolicyInvalid: listing every problem found (a TOML syntax error is a single
            problem located by line and column, since nothing else can be read).
    """
    problems = _Problems(source)
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = _TOML_WHERE.search(message)
        location = where.group(1) if where else "(syntax)"
        reason = _TOML_WHERE.sub("", message) if where else message
        problems.add([location], f"TOML syntax error: {reason}")
        raise PolicyInvalid(problems.items) from None

    raw: RawPolicyFile | None = None
    try:
        raw = RawPolicyFile.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            problems.add(_clean_loc(item["loc"], data), _reason(item))
    for check in _SEMANTIC_CHECKS:
        check(data, problems)
    if problems.items or raw is None:
        raise PolicyInvalid(problems.items)
    return _build(raw, source)


def _build(raw: RawPolicyFile, source: str) -> Policy:
    """Convert a checked raw model into the domain ``Policy`` (cannot fail after checks)."""
    scale = raw.assets[STK].scale

    def units(amount: Decimal) -> int:
        return parse_amount(amount, scale)

    scoring: Scoring
    if isinstance(raw.scoring, RawWeightedDailyCaps):
        scoring = WeightedDailyCaps(
            model="weighted_daily_caps",
            levels=MappingProxyType(
                {
                    int(k): QualificationLevel(int(k), lv.name, lv.coefficient)
                    for k, lv in sorted(raw.scoring.levels.items(), key=lambda kv: int(kv[0]))
                }
            ),
            consistency=tuple(
                ConsistencyStep(int(k), c)
                for k, c in sorted(raw.scoring.consistency.items(), key=lambda kv: int(kv[0]))
            ),
            active_week_min_counted_events=raw.scoring.active_week.min_counted_events,
        )
    else:
        rank = raw.scoring
        scoring = RankLadder(
            model="rank_ladder",
            levels=MappingProxyType(
                {
                    int(k): RankLevel(int(k), lv.name, lv.base_cap_daily, lv.multiplier)
                    for k, lv in sorted(rank.levels.items(), key=lambda kv: int(kv[0]))
                }
            ),
            weeks_to_next_level=rank.weeks_to_next_level,
            rise_steps_per_full_week=rank.rise_steps_per_full_week,
            fall_steps_per_inactive_week=rank.fall_steps_per_inactive_week,
            full_week_active_days=rank.full_week_active_days,
            inactive_week_max_active_days=rank.inactive_week_max_active_days,
            active_day_min_counted_events=rank.active_day_min_counted_events,
            between_levels=rank.between_levels,
            floor_level=rank.floor_level,
        )

    emission: Emission
    if isinstance(raw.emission, RawHalving):
        halving = raw.emission
        emission = HalvingEmission(
            kind="halving",
            genesis_date=halving.genesis_date,
            period=halving.period,
            yearly_amount=units(halving.yearly_amount),
            halving_interval_years=halving.halving_interval_years,
            days_per_year=halving.days_per_year,
            amount_quantum=units(halving.amount_quantum),
            rounding=halving.rounding,
        )
    else:
        decay = raw.emission
        emission = QuarterlyDecayEmission(
            kind="quarterly_decay",
            genesis_date=decay.genesis_date,
            period=decay.period,
            total_supply=units(decay.total_supply),
            first_quarter_amount=units(decay.first_quarter_amount),
            amount_quantum=units(decay.amount_quantum),
            rounding=decay.rounding,
            tail=decay.tail,
        )

    sale = raw.initial_sale
    fee = raw.transfer_fee
    data = raw.model_dump(mode="python", exclude_none=True)
    canonical = canonical_json(data)
    return Policy(
        version=raw.policy.version,
        title=raw.policy.title,
        effective_from=IsoWeek.parse(raw.policy.effective_from),
        sources=tuple(raw.policy.sources),
        content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        assets=MappingProxyType({c: Asset(c, a.scale) for c, a in raw.assets.items()}),
        events=MappingProxyType(
            {
                name: EventRule(name, e.weight, e.limit_daily, e.reward_type)
                for name, e in raw.events.items()
            }
        ),
        conversion=Conversion(
            raw.conversion.stk_per_point, raw.conversion.rounding, raw.conversion.remainder_to
        ),
        scoring=scoring,
        eligibility=Eligibility(
            raw.eligibility.paid_members_only,
            raw.eligibility.membership_product,
            raw.eligibility.membership_period_months,
        ),
        vesting=Vesting(
            cancelled_to=raw.vesting.cancelled_to,
            reward_types=MappingProxyType(
                {k: VestingRule(k, v.vesting_days) for k, v in raw.vesting.reward_types.items()}
            ),
        ),
        slashing=Slashing(
            period=raw.slashing.period,
            to=raw.slashing.to,
            rounding=raw.slashing.rounding,
            tiers=tuple(
                SlashingTier(t.from_days, t.to_days, t.rate_bps, t.warn) for t in raw.slashing.tiers
            ),
        ),
        emission=emission,
        funds=Funds(
            remainder_to=raw.funds.remainder_to,
            split=MappingProxyType(
                {
                    name: Fund(name, f.account, f.share_bps, f.vesting_days)
                    for name, f in raw.funds.split.items()
                }
            ),
        ),
        backing=Backing(
            raw.backing.subscriptions_share_bps,
            raw.backing.donations_share_bps,
            tuple(raw.backing.reserve_assets),
        ),
        initial_sale=(
            InitialSale(sale.share_bps_min, sale.share_bps_max, sale.vesting_days, sale.buyers)
            if sale is not None
            else None
        ),
        services=MappingProxyType(
            {
                sid: Service(
                    service_id=sid,
                    name=s.name,
                    price=units(s.price),
                    period_days=s.period_days,
                    split_bps=MappingProxyType(dict(s.split_bps)),
                    remainder_to=s.remainder_to,
                    payees=MappingProxyType(dict(s.payees)),
                )
                for sid, s in raw.services.items()
            }
        ),
        transfer_fee=TransferFee(
            rate_bps=fee.rate_bps,
            rounding=fee.rounding,
            min_fee=units(fee.min_fee),
            max_fee=units(fee.max_fee) if fee.max_fee is not None else None,
            to=fee.to,
        ),
        transfers=Transfers(raw.transfers.recipients),
        stabilisation=MappingProxyType(
            {
                name: StabilisationRule(
                    name,
                    r.metric,
                    r.trigger_below,
                    r.trigger_above,
                    r.action,
                    r.step_bps,
                    r.automatic,
                )
                for name, r in raw.stabilisation.items()
            }
        ),
        health=MappingProxyType(
            {
                name: HealthMetric(
                    name, h.unit, h.target_min, h.target_max, h.critical_below, h.critical_above
                )
                for name, h in raw.health.items()
            }
        ),
        price=DirectivePrice(
            raw.price.model,
            raw.price.period,
            raw.price.quote_asset,
            raw.price.subscription_share_bps,
            raw.price.one_off_spread_quarters,
            raw.price.rounding,
        ),
        ingestion=Ingestion(
            raw.ingestion.max_future_skew_seconds,
            raw.ingestion.max_age_days,
            raw.ingestion.weekly_grace_hours,
        ),
        schedule=Schedule(
            raw.schedule.aggregate_by_hour,
            raw.schedule.score_by_hour,
            raw.schedule.report_by_hour,
            raw.schedule.payout_by_hour,
            raw.schedule.notify_at_hour,
        ),
        reports=Reports(
            raw.reports.top_holders_count,
            tuple(raw.reports.weekly_csv_columns),
            raw.reports.quarterly_published,
        ),
        canonical_json=canonical,
        source=source,
    )
