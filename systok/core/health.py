"""The health of the economy: six metrics, each with one exact definition, rated against
the policy's bounds [002 §Метрики здоровья экономики, SPEC §9].

Every metric is computed exactly (``Fraction``) from plain integers of base units and
plain counts (``HealthInputs``), so an auditor recomputes it with pen and paper; the
definitions, with a worked example, are in ``docs/quarter.md``. The caller (the quarterly
run, the weekly history) reads the numbers from the ledger; this module only divides.

Natural values (``measure``) are ratios; ``assess`` expresses each in the unit the
policy gives it (``percent`` = the ratio × 100, ``ratio`` as is) and rates it:

- **critical** when the value is strictly below ``critical_below`` or strictly above
  ``critical_above``;
- else **ok** when ``target_min <= value <= target_max`` (a missing bound is no bound);
- else **warning**.

A value equal to a bound belongs to the better side: velocity exactly 0.2 against
``critical_below = 0.2`` is a warning, not critical; inflation exactly 5 % against
``target_max = 5`` is ok. This matches the seed's wording ("< 0.2 or > 5" critical,
"< 5 %/yr" target read as "at most").

A metric whose denominator is zero has no value (``None``; status ``no_value``); a
metric the policy sets no bounds for (the Gini coefficient in the shipped policies) is
``unrated``; a metric the policy names but this module does not define has no value.

Pure: standard library and ``systok.core`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from systok.core.distribution import gini
from systok.core.policy.model import HealthMetric, Policy
from systok.core.quarters import QUARTERS_PER_YEAR

__all__ = [
    "METRICS",
    "PERCENT",
    "WEEKS_PER_YEAR",
    "HealthInputs",
    "HealthStatus",
    "Metric",
    "Reading",
    "assess",
    "classify",
    "fraction_text",
    "health_of",
    "in_unit",
    "measure",
]

WEEKS_PER_YEAR = 52
"""``periods_per_year`` of a week (an ISO year of 53 weeks still annualises by 52)."""
PERCENT = 100
"""A ratio × 100 is its value in ``percent``."""


class Metric(StrEnum):
    """The metrics this module defines; the names are the policy's ``[health.<name>]``."""

    INFLATION_YEARLY = "inflation_yearly"
    VELOCITY = "velocity"
    ACTIVE_WALLETS = "active_wallets"
    FROZEN_TOKENS = "frozen_tokens"
    TREASURY = "treasury"
    GINI = "gini"


METRICS: tuple[str, ...] = tuple(m.value for m in Metric)
"""Every defined metric, in the order reports list them."""


class HealthStatus(StrEnum):
    """How one metric stands against the policy's bounds."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    NO_VALUE = "no_value"
    """The metric is undefined for this period (its denominator is zero) or unknown."""
    UNRATED = "unrated"
    """The metric has a value, but the policy sets no bounds for it."""


@dataclass(frozen=True, slots=True)
class HealthInputs:
    """What the metrics of one period are computed from (base units and counts).

    Attributes:
        periods_per_year: how many such periods make a year: 4 for a calendar quarter
            (``QUARTERS_PER_YEAR``), 52 for a week (``WEEKS_PER_YEAR``).
        supply_start_units: supply (issued − burned, ``distribution.Supply``) at the
            period's first instant.
        issued_units: minted during the period (``emission`` transactions).
        burned_units: moved to ``burn`` during the period.
        circulating_start_units: members' spendable balance (posted − held, over all
            ``member`` accounts) at the period's first instant.
        circulating_end_units: the same at the period's close.
        transaction_volume_units: what members spent during the period: Σ of the amount
            sent by every ``transfer`` transaction (the recipient's credit; the fee is not
            volume) plus Σ of the price of every ``purchase``. Emission, rewards, vesting,
            redistribution, fees, fund and hold movements are not volume.
        holders: members whose custodial balance (posted, held included) is positive at
            the close.
        active_holders: those of ``holders`` whose last activity (the date redistribution
            reads) falls in the period.
        frozen_units: Σ held over every account at the close (vesting, stakes, escrow).
        treasury_units: the posted balance of ``fund:treasury`` at the close.
        member_balances: every positive member balance (posted) at the close, any order.
    """

    periods_per_year: int
    supply_start_units: int
    issued_units: int
    burned_units: int
    circulating_start_units: int
    circulating_end_units: int
    transaction_volume_units: int
    holders: int
    active_holders: int
    frozen_units: int
    treasury_units: int
    member_balances: tuple[int, ...]

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "member_balances":
                if any(not isinstance(b, int) or b <= 0 for b in value):
                    raise ValueError("member_balances must be positive integers of base units")
            elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{item.name} must be a non-negative integer, got {value!r}")
        if self.periods_per_year < 1:
            raise ValueError("periods_per_year must be at least 1")
        if self.supply_end_units < 0:
            raise ValueError(
                f"burned_units {self.burned_units} exceeds supply_start_units + issued_units "
                f"({self.supply_start_units + self.issued_units}): supply cannot go negative"
            )
        if self.active_holders > self.holders:
            raise ValueError(
                f"active_holders {self.active_holders} exceeds holders {self.holders}: "
                "only holders are counted as active wallets"
            )
        if self.circulating_start_units > self.supply_start_units:
            raise ValueError(
                f"circulating_start_units {self.circulating_start_units} exceeds "
                f"supply_start_units ({self.supply_start_units})"
            )
        for name in ("frozen_units", "treasury_units", "circulating_end_units"):
            if getattr(self, name) > self.supply_end_units:
                raise ValueError(
                    f"{name} {getattr(self, name)} exceeds the supply at the close "
                    f"({self.supply_end_units})"
                )
        if sum(self.member_balances) > self.supply_end_units:
            raise ValueError("member_balances add up to more than the supply at the close")

    @property
    def supply_end_units(self) -> int:
        """Supply at the close: ``supply_start + issued − burned``."""
        return self.supply_start_units + self.issued_units - self.burned_units


def measure(inputs: HealthInputs) -> Mapping[str, Fraction | None]:
    """Every metric as an exact ratio (None when its denominator is zero).

    - ``inflation_yearly = (issued − burned) / supply_start × periods_per_year``: net
      growth of supply over the period, annualised by simple multiplication (not
      compounded); negative when more was burned than issued.
    - ``velocity = volume / ((circulating_start + circulating_end) / 2)
      × periods_per_year / 4``: how many times the average circulating supply was spent,
      per quarter (a week's velocity is scaled ×13 so it reads on the same bounds).
    - ``active_wallets = active_holders / holders``.
    - ``frozen_tokens = frozen / supply_end``.
    - ``treasury = treasury / supply_end``.
    - ``gini``: of ``member_balances`` (``distribution.gini``); 0 when nobody holds.
    """
    i = inputs
    supply_end = i.supply_end_units
    circulating_twice = i.circulating_start_units + i.circulating_end_units
    values: dict[str, Fraction | None] = {
        Metric.INFLATION_YEARLY: (
            Fraction((i.issued_units - i.burned_units) * i.periods_per_year, i.supply_start_units)
            if i.supply_start_units
            else None
        ),
        Metric.VELOCITY: (
            Fraction(
                2 * i.transaction_volume_units * i.periods_per_year,
                circulating_twice * QUARTERS_PER_YEAR,
            )
            if circulating_twice
            else None
        ),
        Metric.ACTIVE_WALLETS: Fraction(i.active_holders, i.holders) if i.holders else None,
        Metric.FROZEN_TOKENS: Fraction(i.frozen_units, supply_end) if supply_end else None,
        Metric.TREASURY: Fraction(i.treasury_units, supply_end) if supply_end else None,
        Metric.GINI: gini(sorted(i.member_balances)),
    }
    return MappingProxyType({str(name): value for name, value in values.items()})


def in_unit(ratio: Fraction, unit: str) -> Fraction:
    """A ratio in a policy unit: ``percent`` multiplies by 100, ``ratio`` keeps it."""
    if unit == "percent":
        return ratio * PERCENT
    if unit == "ratio":
        return ratio
    raise ValueError(f"unit must be 'percent' or 'ratio', got {unit!r}")


def _exact(bound: Decimal | None) -> Fraction | None:
    return None if bound is None else Fraction(bound)


def classify(value: Fraction, bounds: HealthMetric) -> HealthStatus:
    """Rate a value (in ``bounds.unit``): critical strictly beyond a critical bound, ok
    within the target range (bounds included), warning in between."""
    below, above = _exact(bounds.critical_below), _exact(bounds.critical_above)
    if (below is not None and value < below) or (above is not None and value > above):
        return HealthStatus.CRITICAL
    low, high = _exact(bounds.target_min), _exact(bounds.target_max)
    if (low is None or value >= low) and (high is None or value <= high):
        return HealthStatus.OK
    return HealthStatus.WARNING


@dataclass(frozen=True, slots=True)
class Reading:
    """One metric of one period: its value in ``unit`` and how it stands.

    ``value`` is None when the metric is undefined for the period (status ``no_value``).
    """

    metric: str
    unit: str
    value: Fraction | None
    status: HealthStatus


def assess(
    values: Mapping[str, Fraction | None], health: Mapping[str, HealthMetric]
) -> tuple[Reading, ...]:
    """Each defined metric, then each metric only the policy names, with its status.

    A metric the policy rates takes the policy's unit; one it does not is a ``ratio``
    and ``unrated``. Order: ``METRICS`` first, then the policy's other names sorted.
    """
    names = [*METRICS, *sorted(set(health) - set(METRICS))]
    readings = []
    for name in names:
        bounds = health.get(name)
        unit = bounds.unit if bounds is not None else "ratio"
        ratio = values.get(name)
        value = None if ratio is None else in_unit(ratio, unit)
        if value is None:
            status = HealthStatus.NO_VALUE
        elif bounds is None:
            status = HealthStatus.UNRATED
        else:
            status = classify(value, bounds)
        readings.append(Reading(name, unit, value, status))
    return tuple(readings)


def health_of(policy: Policy, inputs: HealthInputs) -> tuple[Reading, ...]:
    """One period's readings rated by the policy's ``[health]``: ``assess(measure(…))``."""
    return assess(measure(inputs), policy.health)


def fraction_text(value: Fraction, decimals: int = 6) -> str:
    """An exact value as decimal text, floored (toward −∞) to ``decimals`` places."""
    scaled = value.numerator * 10**decimals // value.denominator
    sign = "-" if scaled < 0 else ""
    whole, part = divmod(abs(scaled), 10**decimals)
    return f"{sign}{whole}.{part:0{decimals}d}" if decimals else f"{sign}{whole}"
