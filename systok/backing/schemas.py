"""Data shapes of the backing book and the directive price."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from systok.core.bonding_curve import CurveQuote
from systok.core.price import InflowKind
from systok.core.quarters import Quarter


@dataclass(frozen=True, slots=True)
class InflowDraft:
    """An inflow as the operator states it, checked: amount in quote minor units.

    ``held_as`` is the reserve asset the money is held in (one of the policy's
    ``backing.reserve_assets``, ADR 0036); None: still in ``asset``, not converted.
    """

    kind: InflowKind
    asset: str
    amount_units: int
    quarter: Quarter
    reference: str
    note: str | None
    held_as: str | None = None

    @property
    def held_in(self) -> str:
        """The asset the money is held in: ``held_as``, else the quote asset itself."""
        return self.held_as if self.held_as is not None else self.asset


@dataclass(frozen=True, slots=True)
class Inflow:
    """A recorded inflow (a row of ``backing_inflows``); ``held_as`` is the asset its
    money is held in (the quote asset while not converted)."""

    id: int
    kind: InflowKind
    asset: str
    held_as: str
    amount_units: int
    quarter: Quarter
    reference: str
    note: str | None
    recorded_at_us: int


@dataclass(frozen=True, slots=True)
class Recorded:
    """The answer to recording an inflow: the stored row, and whether it was a replay."""

    inflow: Inflow
    replayed: bool


@dataclass(frozen=True, slots=True)
class BookLine:
    """One inflow in a quarter's book.

    Attributes:
        inflow: the inflow.
        backing_units: the backing fund's part of it (``core.price.backing_units``).
        counted_units: what of it backs the price in the book's quarter.
        counted_to_date_units: what of it backs the price up to and including the quarter.
    """

    inflow: Inflow
    backing_units: int
    counted_units: int
    counted_to_date_units: int


@dataclass(frozen=True, slots=True)
class BackingBook:
    """The backing book as of a quarter: every inflow that counts in it or before.

    ``counted_units`` sums what counts in the quarter itself; ``cumulative_units`` what
    counts up to and including it, less ``outflows_to_date_units`` (what buybacks paid
    out in it or before, ADR 0034): the price's numerator. Quote minor units.
    """

    quarter: Quarter
    quote_asset: str
    quote_scale: int
    lines: tuple[BookLine, ...]
    counted_units: int
    cumulative_units: int
    outflows_to_date_units: int = 0

    def fund_by_asset(self) -> dict[str, int]:
        """The backing fund's part of the book's inflows by the asset it is held in,
        valued in quote minor units as recorded (what a conversion fetched is kept off the
        ledger, ADR 0036); assets in name order."""
        held: dict[str, int] = {}
        for line in self.lines:
            held[line.inflow.held_as] = held.get(line.inflow.held_as, 0) + line.backing_units
        return dict(sorted(held.items()))


@dataclass(frozen=True, slots=True)
class StoredPrice:
    """A row of ``quarter_prices``: a set directive price with its policy and inputs."""

    quarter: Quarter
    policy_version: str
    policy_hash: str
    quote_asset: str
    price_units: int
    backing_units: int
    issued_units: int
    inputs: dict[str, Any]
    set_at_us: int


@dataclass(frozen=True, slots=True)
class PriceView:
    """A quarter's directive price as shown: set (stored) or computed from the book now.

    ``price_units`` is quote minor units per whole STK (floored), None when no STK had
    been issued by the quarter's close.
    """

    quarter: Quarter
    quote_asset: str
    quote_scale: int
    price_units: int | None
    backing_units: int
    issued_units: int
    policy_version: str
    is_set: bool


@dataclass(frozen=True, slots=True)
class PriceQuote:
    """The algorithmic quote beside the directive price it starts from (ADR 0035).

    ``price`` is the quarter's directive price (its backing and issued supply are the
    curve's B₀ and S); ``curve`` the cost of the purchase on the curve; ``treasury_units``
    what the treasury holds to sell (STK base units, available: held tokens are not for
    sale).
    """

    price: PriceView
    curve: CurveQuote
    treasury_units: int


@dataclass(frozen=True)
class Outflow:
    """A row of ``backing_outflows``: what a buyback sale paid, and for what (ADR 0034)."""

    id: int
    kind: str
    asset: str
    amount_units: int
    quarter: Quarter
    reference: str
    member_id: str
    stk_units: int
    price_units: int
    proposal_id: int
    transaction_id: int
    recorded_at_us: int
