"""Which parts of a policy the code enforces, and which it only declares.

"Every policy section is either enforced or absent": a key the file states but no code
reads would promise the economy something it does not do. A few sections describe
mechanisms that land with the quarterly economy (a later issue); until then they stay
in the files, parsed, checked and hashed, but marked *declared* here, shown as such by
``systok policy show`` and ``docs/policy.md``, and exempt from the check that every
field has a consumer (``tools/check_policy_fields.py``).

The marks live in code, not in the TOML files, so declaring or enforcing a section
never changes a policy's content hash.

Key paths are domain-model paths: dots between fields, ``*`` for any entry of a table
keyed by name (``funds.split.*.vesting_days``), ``[]`` for any item of an array.
A declared path declares everything under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from systok.core.policy.model import Policy


class Status(StrEnum):
    """Whether code acts on a policy key."""

    ENFORCED = "enforced"
    DECLARED = "declared"
    DESCRIPTIVE = "descriptive"
    """Text for people (``title``, ``sources``, ``description``); no mechanism reads it."""


DESCRIPTIVE_KEYS = frozenset({"title", "sources", "description"})
"""Keys, wherever they appear, that describe the economy to people and do nothing."""


DECLARED: Mapping[str, str] = MappingProxyType(
    {
        "eligibility.membership_period_months": (
            "membership coverage comes from the periods the platform reports, each with "
            "its end or open-ended (to: null: still paid, renewing); no source leaves an "
            "end for the product's length to fill in (ADR 0036)"
        ),
    }
)
"""Declared key path → why it is not enforced yet (and what will enforce it)."""


def _matches(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    return len(pattern) == len(parts) and all(
        p in ("*", part) for p, part in zip(pattern, parts, strict=True)
    )


def declared_reason(key_path: str) -> str | None:
    """Why ``key_path`` is declared-not-enforced, or None when the code enforces it.

    ``key_path`` may name a concrete entry (``funds.split.startup.vesting_days``) or a
    pattern (``funds.split.*.vesting_days``); a declared ancestor declares it too.
    """
    parts = tuple(key_path.replace("[]", "").split("."))
    for declared, reason in DECLARED.items():
        pattern = tuple(declared.split("."))
        if _matches(pattern, parts[: len(pattern)]):
            return reason
    return None


def status_of(key_path: str) -> Status:
    """Declared when ``key_path`` (or an ancestor) is declared; descriptive for text kept
    for people; else enforced."""
    if key_path.replace("[]", "").rsplit(".", 1)[-1] in DESCRIPTIVE_KEYS:
        return Status.DESCRIPTIVE
    return Status.DECLARED if declared_reason(key_path) is not None else Status.ENFORCED


def declared_in(policy: Policy) -> dict[str, str]:
    """The declared key paths this policy states, with why each is not enforced yet.

    Entry patterns are expanded to the policy's own names (``funds.split.startup.…``)
    and listed only where the value asks for something (a non-zero, non-empty value):
    a fund with ``vesting_days = 0`` is credited at once, which is what the code does.
    An optional section the policy leaves out is not listed.
    """
    found: dict[str, str] = {}

    def walk(node: Any, pattern: list[str], done: list[str], reason: str) -> None:
        if not pattern:
            if node not in (None, 0, {}, []):
                found[".".join(done)] = reason
            return
        head, *rest = pattern
        if not isinstance(node, dict):
            return
        names = sorted(node) if head == "*" else [head]
        for name in names:
            if name in node:
                walk(node[name], rest, [*done, name], reason)

    data = policy.canonical_data()
    for declared, reason in DECLARED.items():
        walk(data, declared.split("."), [], reason)
    return found
