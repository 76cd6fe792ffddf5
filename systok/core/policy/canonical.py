"""Canonical form, content hash input and key-by-key diff of parsed policy data.

The canonical JSON sorts keys, writes Decimals as normalised strings and dates as ISO
text, so comments, whitespace, key order and ``1.10`` vs ``1.1`` never change the hash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from systok.core.amount import AMOUNT_DIGITS_MAX

if TYPE_CHECKING:
    from systok.core.policy.model import Policy


def decimal_text(number: Decimal) -> str:
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
        return decimal_text(value)
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
        out[key_path(prefix)] = value


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


def key_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """``("slashing", "tiers", 2, "rate_bps")`` → ``"slashing.tiers[2].rate_bps"``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"
