"""Amounts are integers of base units; Decimal appears only at the edges.

An asset has a fixed *scale*: the number of decimal digits of one whole unit (STK: 6,
so 1 STK = 1 000 000 base units). Every amount the system stores or moves is an ``int``
of base units. ``parse_amount`` and ``format_amount`` are the only doors between human
decimals and base units, and every division in the system goes through a function
here that names its rounding and where the remainder goes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

STK = "STK"
"""The asset code of the community token, as the ledger's ``assets`` table knows it."""

BASIS_POINTS_WHOLE = 10_000
"""100 % in basis points."""

UNITS_MAX = 2**63 - 1
"""The largest amount a ledger column holds (signed 64-bit)."""


AMOUNT_TEXT_LENGTH_MAX = 64
"""Longer amount text is refused before any arithmetic (19 digits, a point, 18 decimals)."""

AMOUNT_DIGITS_MAX = 40
"""A Decimal whose digits or exponent reach past this is refused before ``scaleb``/``int``:
``Decimal("1e999990")`` would otherwise become a million-digit integer (seconds of CPU)
and ``Decimal("1e999999999")`` would raise ``decimal.Overflow``."""

_AMOUNT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class AmountError(ValueError):
    """A human amount could not be turned into base units exactly."""


def _bounded_decimal(text: str | int | Decimal) -> Decimal:
    """``text`` as a Decimal whose size is bounded, refused before any arithmetic.

    Text must be a plain decimal (no exponent, no spaces inside, at most
    ``AMOUNT_TEXT_LENGTH_MAX`` characters); a Decimal must have at most
    ``AMOUNT_DIGITS_MAX`` digits on either side of the point.
    """
    if isinstance(text, bool):
        raise AmountError(f"amount {text!r} is a boolean; give a string or an integer")
    if isinstance(text, int):
        if abs(text) > UNITS_MAX:
            raise AmountError(f"amount {text!r} is out of range")
        return Decimal(text)
    if isinstance(text, str):
        stripped = text.strip()
        if len(stripped) > AMOUNT_TEXT_LENGTH_MAX:
            raise AmountError(
                f"amount {text[:20]!r}… is {len(stripped)} characters long; "
                f"at most {AMOUNT_TEXT_LENGTH_MAX}"
            )
        if not _AMOUNT_TEXT.fullmatch(stripped):
            raise AmountError(f"amount {text!r} is not a plain decimal number (like 12.5)")
        return Decimal(stripped)
    if not isinstance(text, Decimal):
        raise AmountError(f"amount {text!r} is not a number")
    if not text.is_finite():
        raise AmountError(f"amount {text!r} is not finite")
    digits = text.as_tuple()
    exponent = int(digits.exponent)
    if abs(exponent) > AMOUNT_DIGITS_MAX or len(digits.digits) + exponent > AMOUNT_DIGITS_MAX:
        raise AmountError(f"amount {text!r} is out of range")
    return text


def parse_amount(text: str | int | Decimal, scale: int) -> int:
    """Parse a decimal amount into base units, refusing anything that would round.

    Args:
        text: ``"12.5"``, ``12`` or ``Decimal("12.5")``. Floats are refused: they are
            not exact.
        scale: the asset's decimal digits.

    Returns:
        The amount in base units (``parse_amount("12.5", 6) == 12_500_000``).

    Raises:
        AmountError: for floats, non-numbers, text with an exponent or longer than
            ``AMOUNT_TEXT_LENGTH_MAX``, more decimals than the scale allows, or an
            amount out of range. Size is checked before any arithmetic, so no input
            costs more than microseconds.
    """
    if isinstance(text, float):
        raise AmountError(f"amount {text!r} is a float; give a string or an integer")
    try:
        number = _bounded_decimal(text)
    except InvalidOperation:
        raise AmountError(f"amount {text!r} is not a number") from None
    units = number.scaleb(scale)
    if units != units.to_integral_value():
        raise AmountError(f"amount {text!r} has more than {scale} decimal places")
    result = int(units)
    if abs(result) > UNITS_MAX:
        raise AmountError(f"amount {text!r} is out of range")
    return result


def positive_units(
    text: str,
    scale: int,
    *,
    field: str,
    unit: str,
    refuse: Callable[[str], Exception],
    why: str = "",
) -> int:
    """A typed amount that must be positive (a purchase, a budget, an inflow, a price), in
    base units; one reading for every such field so they refuse alike.

    ``refuse`` makes the domain's error from a message naming ``field`` and ``unit``:
    ``"budget: amount '1.2345' has more than 2 decimal places (EUR)"`` or
    ``"budget: '0' EUR is not positive"`` followed by ``why``.
    """
    try:
        units = parse_amount(text.strip(), scale)
    except AmountError as error:
        raise refuse(f"{field}: {error} ({unit})") from None
    if units <= 0:
        raise refuse(f"{field}: {text!r} {unit} is not positive{why}")
    return units


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
    # Largest remainder first, ties to the earlier part: a stable sort on the negated
    # remainders alone keeps equal ones in index order (no key tuple per part, which
    # was most of a 100 000-member pro rata).
    negated = [-remainder for remainder in remainders]
    order = sorted(range(len(weights)), key=negated.__getitem__)
    for index in order[:leftover]:
        floors[index] += 1
    return floors
