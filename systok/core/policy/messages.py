"""Pydantic errors in policy-author terms: clean key paths and short reasons."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from systok.core.policy.canonical import decimal_text
from systok.core.policy.raw import UNION_TAGS

TOML_WHERE = re.compile(r"\s*\(at (line \d+, column \d+|end of document)\)\s*$")


def _shown(value: Any) -> str:
    """A value as a policy author wrote it (no Python types in messages)."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)


def clean_loc(loc: tuple[str | int, ...], data: Any) -> list[str | int]:
    """Drop the tag segments pydantic inserts for tagged unions (they are not file keys)."""
    parts: list[str | int] = []
    node = data
    for part in loc:
        if (
            isinstance(part, str)
            and part in UNION_TAGS
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


def pydantic_reason(error: Mapping[str, Any]) -> str:
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
