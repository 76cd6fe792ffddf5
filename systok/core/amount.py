"""Amounts are integers of base units; Decimal appears only at the edges.

An asset has a fixed *scale*: the number of decimal digits of one whole unit (STK: 6,
so 1 STK = 1 000 000 base units). Every amount the system stores or moves is an ``int``
of base units. ``parse_amount`` and ``format_amount`` are the only doors between human
decimals and base units, and every division in the system goes through a function
here that names its rounding and where the remainder goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

BASIS_POINTS_WHOLE = 10_000
"""100 % in basis points."""

UNITS_MAX = 2**63 - 1
"""The largest amount a ledger column holds (signed 64-bit)."""


class AmountError(ValueError):
    """A human amount could not be turned into base units exactly."""


def parse_amount(text: str | int | Decimal, scale: int) -> int:
    """Parse a decimal amount into base units, refusing anything that would round.

    Args:
        text: ``"12.5"``, ``12`` or ``Decimal("12.5")``. Floats are refused: they are
            not exact.
        scale: the asset's decimal digits.

    Returns:
        The amount in base units (``parse_amount("12.5", 6) == 12_500_000``).

    Raises:
        AmountError: for floats, non-numbers, or more decimals than the scale allows.
    """
    if isinstance(text, float):
        raise AmountError(f"amount {text!r} is a float; give a string or an integer")
    try:
        number = Decimal(text) if not isinstance(text, Decimal) else text
    except InvalidOperation:
        raise AmountError(f"amount {text!r} is not a number") from None
    if not number.is_finite():
        raise AmountError(f"amount {text!r} is not finite")
    units = number.scaleb(scale)
    if units != units.to_integral_value():
        raise AmountError(f"amount {text!r} has more than {scale} decimal places")
    result = int(units)
    if abs(result) > UNITS_MAX:
        raise AmountError(f"amount {text!r} is out of range")
    return result


def format_amount(units: int, scale: int) -> str:
    """Format base units as a plain decimal string with exactly ``scale`` decimals.

    ``format_amount(1_584_000_000, 6) == "1584.000000"``. No thousands separators: the
    result is read back by machines (CSV, API).
    """
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), 10**scale)
    if scale == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:0{scale}d}"


def decimal_to_units_floor(value: Decimal, scale: int) -> int:
    """Convert an exact Decimal (e.g. points × coefficients) to base units, rounding down.

    Rounding: floor (toward negative infinity). The caller owns the remainder; for
    rewards it stays in the pool.
    """
    return int(value.scaleb(scale).to_integral_value(rounding=ROUND_FLOOR))


def split_amount(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` by integer ``weights`` so the parts always sum to ``total``.

    Rounding: each part is floored; the remainder (fewer units than there are parts)
    goes one unit at a time to the parts with the largest fractional remainders,
    ties to the earlier part. This is the largest-remainder (Hamilton) method: no part
    ever differs from its exact share by a whole unit or more.

    Args:
        total: non-negative base units to split.
        weights: non-negative integers, at least one positive (basis points,
            points, …).
    """
    if total < 0:
        raise ValueError("split_amount takes a non-negative total")
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("split_amount needs non-negative weights with a positive sum")
    weight_sum = sum(weights)
    floors = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    leftover = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for index in order[:leftover]:
        floors[index] += 1
    return floors
