"""Data shapes of the initial sale."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SaleDraft:
    """A sale as the admin states it, checked: price in quote minor units per whole STK."""

    share_bps: int
    quote_asset: str
    price_units: int
    reference: str


@dataclass(frozen=True, slots=True)
class Sale:
    """A row of ``sales`` with what it has sold so far.

    ``cap_units`` = ``floor(issued_units × share_bps / 10 000)`` (STK base units);
    ``closed_at_us`` is None while the sale is open.
    """

    id: int
    reference: str
    share_bps: int
    quote_asset: str
    price_units: int
    issued_units: int
    cap_units: int
    vesting_days: int
    policy_version: str
    opened_at_us: int
    closed_at_us: int | None
    sold_units: int

    @property
    def remaining_units(self) -> int:
        """What the sale can still sell."""
        return self.cap_units - self.sold_units

    @property
    def is_open(self) -> bool:
        return self.closed_at_us is None


@dataclass(frozen=True, slots=True)
class PurchaseDraft:
    """A purchase as typed, checked: ``units`` STK base units, the payment's reference."""

    member_id: str
    units: int
    reference: str


@dataclass(frozen=True, slots=True)
class Purchase:
    """A row of ``sale_purchases``: minted into the member's vesting account."""

    id: int
    sale_id: int
    member_id: str
    units: int
    paid_units: int
    reference: str
    purchased_at_us: int
    unlock_at_us: int
    transaction_id: int


@dataclass(frozen=True, slots=True)
class Opened:
    """The answer to opening a sale: the sale, and whether it was a replay."""

    sale: Sale
    replayed: bool


@dataclass(frozen=True, slots=True)
class Bought:
    """The answer to a purchase: the stored row, the sale after it, and whether it was a
    replay (the same reference and content again)."""

    purchase: Purchase
    sale: Sale
    replayed: bool


@dataclass(frozen=True, slots=True)
class SaleStatus:
    """The latest sale (None if there never was one) and its purchases, oldest first."""

    sale: Sale | None
    purchases: tuple[Purchase, ...]
