"""Dividing amounts by policy shares: every part floored, the remainder named.

The policy states each split in integer basis points that sum to 10 000 and names
the part that receives the remainder (a few base units at most), so the parts always
add up to the whole and nothing is lost or created by rounding.
"""

from __future__ import annotations

from collections.abc import Mapping

from systok.core.amount import BASIS_POINTS_WHOLE


def split_by_bps(
    total_units: int, shares_bps: Mapping[str, int], remainder_to: str
) -> dict[str, int]:
    """Split ``total_units`` by basis points; floors each part, remainder to ``remainder_to``.

    Raises:
        ValueError: the shares do not sum to 10 000, a share is negative, or
            ``remainder_to`` is not one of the parts.
    """
    if total_units < 0:
        raise ValueError("split_by_bps takes a non-negative total")
    if sum(shares_bps.values()) != BASIS_POINTS_WHOLE or any(s < 0 for s in shares_bps.values()):
        raise ValueError(f"shares must be non-negative and sum to {BASIS_POINTS_WHOLE} bps")
    if remainder_to not in shares_bps:
        raise ValueError(f"remainder_to {remainder_to!r} is not one of the parts")
    parts = {name: total_units * bps // BASIS_POINTS_WHOLE for name, bps in shares_bps.items()}
    parts[remainder_to] += total_units - sum(parts.values())
    return parts


def fee_units(
    amount_units: int, rate_bps: int, min_fee_units: int, max_fee_units: int | None
) -> int:
    """The circulation fee on an amount: ``floor(amount × rate / 10 000)`` within [min, max].

    Rounding: floor, in the payer's favour; the minimum then applies, so a tiny transfer
    still pays ``min_fee_units``.
    """
    if amount_units <= 0:
        raise ValueError("fee_units takes a positive amount")
    fee = max(min_fee_units, amount_units * rate_bps // BASIS_POINTS_WHOLE)
    return fee if max_fee_units is None else min(fee, max_fee_units)
