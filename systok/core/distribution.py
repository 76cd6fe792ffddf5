"""How tokens are spread: the supply identity and the statistics of member balances.

Pure arithmetic over integers of base units, so the admin statistics, a report and a
simulation compute them the same way. Every division names its rounding: the Gini
coefficient and the top holders' shares are floored.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from systok.core.amount import BASIS_POINTS_WHOLE
from systok.core.ledger import AccountType

GINI_DECIMALS = 6
BUCKET_DECADES = 7
"""Balance buckets by decade of whole tokens: below 1, 1–10, …, 1 000 000 and above."""


@dataclass(frozen=True)
class TypeTotals:
    """Σ posted and Σ held over the accounts of one type."""

    accounts: int
    posted_units: int
    held_units: int


@dataclass(frozen=True)
class Supply:
    """Where every issued token is: ``supply = issued − burned``."""

    issued_units: int
    burned_units: int
    circulating_units: int
    frozen_units: int

    @property
    def supply_units(self) -> int:
        return self.issued_units - self.burned_units


def supply_of(by_type: Mapping[str, TypeTotals]) -> Supply:
    """The supply identity from per-type totals.

    Issued is minus the balance of ``world`` (all tokens ever minted), burned is the
    ``burn`` account, circulating is the members' spendable balance (posted − held),
    frozen is what any account holds (vesting, stakes, escrow).
    """
    members = by_type.get(AccountType.MEMBER.value)
    world = by_type.get(AccountType.WORLD.value)
    burn = by_type.get(AccountType.BURN.value)
    return Supply(
        issued_units=-world.posted_units if world else 0,
        burned_units=burn.posted_units if burn else 0,
        circulating_units=members.posted_units - members.held_units if members else 0,
        frozen_units=sum(totals.held_units for totals in by_type.values()),
    )


def gini(balances: Sequence[int]) -> Fraction:
    """The exact Gini coefficient of ascending non-negative balances (0 when none or all 0).

    ``G = (2 Σ i·xᵢ − (n + 1) Σ xᵢ) / (n Σ xᵢ)`` with ``i`` from 1. For ``n`` holders it
    lies in ``[0, (n − 1) / n]``, so below 1.
    """
    n, total = len(balances), sum(balances)
    if n == 0 or total == 0:
        return Fraction(0)
    weighted = sum(i * x for i, x in enumerate(balances, start=1))
    return Fraction(2 * weighted - (n + 1) * total, n * total)


def gini_text(balances: Sequence[int]) -> str:
    """The Gini coefficient of ascending positive balances (``gini``), floored to 6
    decimals; rounding: floor, named here because it is a division."""
    exact = gini(balances)
    whole = 10**GINI_DECIMALS
    micro = exact.numerator * whole // exact.denominator
    return f"{micro // whole}.{micro % whole:0{GINI_DECIMALS}d}"


LORENZ_SEGMENTS = 100
"""The report's Lorenz curve has at most this many segments (one per percentile)."""


@dataclass(frozen=True)
class LorenzPoint:
    """A point of the Lorenz curve as exact integers: the ``holders`` poorest hold
    ``units`` together; the curve is ``(holders / n, units / total)``."""

    holders: int
    units: int


def lorenz_points(balances: Sequence[int], segments: int = LORENZ_SEGMENTS) -> list[LorenzPoint]:
    """The Lorenz curve of ascending non-negative balances, from ``(0, 0)`` to ``(n, Σ)``.

    Integers, not shares, so the report states it exactly and a reader divides. A
    thousand holders would make a thousand points, so the cuts are the holder counts
    ``floor(k·n / segments)`` for ``k = 0 … segments`` (rounding: floor; duplicates
    dropped, so ``n <= segments`` keeps every holder). These are points of the full
    curve, so the curve stays convex and the Gini coefficient read from every point
    (``1 − Σ (Lᵢ₋₁ + Lᵢ) / n``) equals ``gini`` of the same balances. None: ``[(0, 0)]``.
    """
    if segments < 1:
        raise ValueError(f"segments must be at least 1, got {segments}")
    count = len(balances)
    cuts = sorted({k * count // segments for k in range(segments + 1)})
    points, held, previous = [], 0, 0
    for cut in cuts:
        held += sum(balances[previous:cut])
        previous = cut
        points.append(LorenzPoint(cut, held))
    return points


def nearest_rank(balances: Sequence[int], percent: int) -> int:
    """The nearest-rank percentile of ascending balances (0 when there are none)."""
    if not balances:
        return 0
    rank = -(-percent * len(balances) // 100)  # ceil without floats
    return balances[max(rank, 1) - 1]


@dataclass(frozen=True)
class Holder:
    """An anonymised holder: a rank, never an id."""

    rank: int
    units: int
    share_bps: int


def top_holders(balances: Sequence[int], count: int) -> list[Holder]:
    """The ``count`` largest of ascending balances, largest first, with their share of
    the total in basis points (floored)."""
    total = sum(balances)
    top = list(reversed(balances[-count:])) if count > 0 else []
    return [
        Holder(rank, units, units * BASIS_POINTS_WHOLE // total if total else 0)
        for rank, units in enumerate(top, start=1)
    ]


@dataclass(frozen=True)
class Bucket:
    """Holders whose balance is in ``[low, high)`` (``high`` None: no upper bound)."""

    low_units: int
    high_units: int | None
    holders: int
    units: int


def decade_buckets(balances: Sequence[int], scale: int) -> list[Bucket]:
    """Ascending balances counted by decade of whole tokens (0, 1, 10, … 10⁶ tokens)."""
    lows = [0, *(10 ** (scale + k) for k in range(BUCKET_DECADES))]
    buckets = []
    for index, low in enumerate(lows):
        high = lows[index + 1] if index + 1 < len(lows) else None
        first = bisect.bisect_left(balances, low)
        last = bisect.bisect_left(balances, high) if high is not None else len(balances)
        buckets.append(Bucket(low, high, last - first, sum(balances[first:last])))
    return buckets


@dataclass(frozen=True)
class Distribution:
    """How ascending positive member balances are spread (anonymised)."""

    holders: int
    total_units: int
    median_units: int
    p90_units: int
    p99_units: int
    gini: str
    top: list[Holder]
    buckets: list[Bucket]


def distribution_of(balances: Sequence[int], *, top_count: int, scale: int) -> Distribution:
    """Every statistic of the admin distribution from ascending positive balances."""
    return Distribution(
        holders=len(balances),
        total_units=sum(balances),
        median_units=nearest_rank(balances, 50),
        p90_units=nearest_rank(balances, 90),
        p99_units=nearest_rank(balances, 99),
        gini=gini_text(balances),
        top=top_holders(balances, top_count),
        buckets=decade_buckets(balances, scale),
    )
