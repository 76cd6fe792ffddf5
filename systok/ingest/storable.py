"""What SysTok stores the same on SQLite and PostgreSQL: ids, aliases, text, payloads.

Every path that stores an id, an alias, a free text or a payload (events, members files,
profiles, webhooks, the quarantine) checks and spells it here, so one rule holds on
both backends (ADR 0011, ADR 0017).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from typing import Any

SOURCE_LENGTH_MAX = 32
SOURCE_ID_LENGTH_MAX = 200
ALIAS_LENGTH_MAX = 200
MEMBER_REFERENCE_LENGTH_MAX = 230
TYPE_LENGTH_MAX = 64

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Unicode's ``Bidi_Control`` characters (ALM, LRM, RLM, LRE…RLO, LRI…PDI): invisible,
they make one id display as another (CVE-2021-42574), so ids and aliases refuse them."""

PAYLOAD_DEPTH_MAX = 32
"""Nesting levels a payload may have (objects and arrays); deeper ones are refused."""

PAYLOAD_INTEGER_BITS_MAX = 63
"""Payload integers are 64-bit signed (what PostgreSQL ``bigint`` and most JSON readers
hold); larger ones are refused rather than stored as text no reader agrees on."""


def unstorable_text(value: str) -> str | None:
    """Why ``value`` cannot be stored the same on SQLite and PostgreSQL (None when it can).

    PostgreSQL ``text`` (and ``jsonb``) refuse NUL; a lone surrogate (``"\\ud800"`` in
    JSON) is not Unicode and has no UTF-8 form, so neither driver can send it.
    """
    if "\x00" in value:
        return "contains NUL (U+0000), which PostgreSQL text cannot store"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        return (
            f"contains a lone surrogate U+{ord(value[error.start]):04X} "
            "(not Unicode text: it has no UTF-8 form)"
        )
    return None


def identifier_problem(value: str) -> str | None:
    """Why ``value`` may not be an id, source or member alias (None when it may)."""
    problem = unstorable_text(value)
    if problem:
        return problem
    for char in value:
        if char in BIDI_CONTROLS:
            return (
                f"contains the bidirectional control character U+{ord(char):04X} "
                "(invisible; it makes an id display as another)"
            )
        if unicodedata.category(char) == "Cc":
            return f"contains the control character U+{ord(char):04X}"
    return None


def normalized_identifier(value: str, length_max: int) -> str:
    """``value`` in NFC form, checked as an id or alias (ADR 0011).

    Raises:
        ValueError: what ids may not contain, or longer than ``length_max`` in NFC.
    """
    problem = identifier_problem(value)
    if problem:
        raise ValueError(problem)
    normal = unicodedata.normalize("NFC", value)
    if len(normal) > length_max:
        raise ValueError(f"longer than {length_max} characters in NFC form")
    return normal


CASE_INSENSITIVE_ALIAS_SOURCES = frozenset({"discourse"})
"""Sources whose member names are case-insensitive (Discourse usernames): their aliases
are stored and looked up lowercased, so ``Ivan`` and ``ivan`` are one member."""


def normalized_alias(source: str, name: str) -> str:
    """The one spelling of a member's name at ``source``, used on every path.

    Members files, the platform profiles pull, ``link_alias``, event references like
    ``discourse:Ivan`` in batches and files, webhooks and backfills all store and look
    up aliases through this function, so a name written two ways is one alias: the name
    is stripped, checked and put in NFC like ids (ADR 0011), and lowercased for the
    case-insensitive sources (Discourse compares ``username_lower``, the NFC form
    lowercased: ``User.normalize_username`` in discourse/discourse
    app/models/user.rb is ``unicode_normalize.downcase`` — ADR 0017).

    Raises:
        ValueError: an empty name, what ids may not contain, or too long in NFC form.
    """
    text = name.strip()
    if not text:
        raise ValueError("an empty name")
    normal = normalized_identifier(text, ALIAS_LENGTH_MAX)
    if source in CASE_INSENSITIVE_ALIAS_SOURCES:
        normal = normalized_identifier(normal.lower(), ALIAS_LENGTH_MAX)
    return normal


def payload_problem(  # noqa: PLR0911 - one return per JSON kind reads best
    value: Any, path: str = "payload", depth: int = 0
) -> str | None:
    """Why a payload cannot be stored as the same JSON on both backends (None when it can).

    NUL is refused in strings and keys like in ids (PostgreSQL ``jsonb`` refuses
    ``\\u0000`` even escaped, so a payload never depends on it being ``text``).
    """
    if depth > PAYLOAD_DEPTH_MAX:
        return f"{path}: nested deeper than {PAYLOAD_DEPTH_MAX} levels"
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path}: key {key!r} is not a string"
            problem = unstorable_text(key)
            if problem:
                return f"{path}: a key {problem}"
            problem = payload_problem(item, f"{path}.{key}", depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        problems = (
            payload_problem(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)
        )
        return next((p for p in problems if p), None)
    return _scalar_problem(value, path)


def _scalar_problem(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        problem = unstorable_text(value)
        return f"{path}: {problem}" if problem else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        too_big = value.bit_length() > PAYLOAD_INTEGER_BITS_MAX
        return f"{path}: integer outside the 64-bit range" if too_big else None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path}: {value} is not a finite number"
    return f"{path}: {type(value).__name__} is not a JSON value"


def storable_raw(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced by their ``\\uXXXX`` escapes."""
    if unstorable_text(text) is None:
        return text
    return "".join(
        f"\\u{ord(char):04x}" if char == "\x00" or "\ud800" <= char <= "\udfff" else char
        for char in text
    )
