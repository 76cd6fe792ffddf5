"""Generate the keys table of docs/policy.md from the policy package; --check for staleness.

Each row is one key a policy file may contain: its key path as written in the file
(``<name>`` for entries of a table keyed by name, ``[]`` for array items), its type and
bounds, whether the code enforces it or only declares it
(``systok.core.policy.status``) and its default (blank: required). Key paths, types
and defaults come from the raw model, which mirrors the file; the status comes from the
domain registry. The table sits between the two marker lines in docs/policy.md.

Usage (from the repository root):
    python tools/policy_reference.py           # rewrite the block in docs/policy.md
    python tools/policy_reference.py --check   # exit 1 when the block is stale
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from annotated_types import Ge, Gt, Le, MinLen  # noqa: E402
from pydantic import BaseModel  # noqa: E402
from pydantic.fields import FieldInfo  # noqa: E402

from systok.core.policy.raw import RawPolicyFile  # noqa: E402
from systok.core.policy.status import Status, status_of  # noqa: E402

DOC = ROOT / "docs" / "policy.md"
BEGIN = "<!-- BEGIN GENERATED: policy keys (tools/policy_reference.py) -->"
END = "<!-- END GENERATED: policy keys -->"

ENTRY_NAMES = {
    "assets": "<CODE>",
    "events": "<EventType>",
    "levels": "<N>",
    "consistency": "<weeks>",
    "reward_types": "<type>",
    "split": "<name>",
    "services": "<id>",
    "split_bps": "<recipient>",
    "payees": "<role>",
    "stabilisation": "<name>",
    "health": "<metric>",
}
"""How the reference names the entries of each table keyed by name."""


def _bounds(metadata: list[Any]) -> str:
    parts: list[str] = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            parts.append(_bounds(item.metadata))
        elif isinstance(item, Ge):
            parts.append(f"≥ {item.ge}")
        elif isinstance(item, Gt):
            parts.append(f"> {item.gt}")
        elif isinstance(item, Le):
            parts.append(f"≤ {item.le}")
        elif isinstance(item, MinLen) and item.min_length > 0:
            parts.append("not empty")
        elif getattr(item, "pattern", None):
            parts.append(f"`{item.pattern}`")
    return ", ".join(p for p in parts if p)


def _scalar(tp: Any) -> str:
    """A plain type in policy-author words."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        inner, *metadata = args
        return " ".join(p for p in (_scalar(inner), _bounds(metadata)) if p)
    if origin is typing.Literal:
        return " or ".join(f'`"{a}"`' for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_scalar(a) for a in args if a is not type(None))
    if origin is list:
        return f"array of {_scalar(args[0])}"
    names = {bool: "boolean", int: "integer", str: "string", Decimal: "decimal", date: "date"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return ""
    value = info.get_default()
    if value is None:
        return "absent"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _models(tp: Any) -> list[type[BaseModel]]:
    """The raw models a (possibly tagged-union, optional or Annotated) type stands for."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _models(args[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in args for m in _models(a)]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return []


def _variant(model: type[BaseModel]) -> str:
    """``model = "rank_ladder"`` for a tagged-union member, else empty."""
    for tag in ("model", "kind"):
        info = model.model_fields.get(tag)
        if info is not None and typing.get_origin(info.annotation) is typing.Literal:
            (value,) = typing.get_args(info.annotation)
            return f'{tag} = "{value}"'
    return ""


def _status(path: str) -> Status:
    return status_of(".".join("*" if p.startswith("<") else p for p in path.split(".")))


def rows(
    model: type[BaseModel] = RawPolicyFile, prefix: str = "", only: str = ""
) -> Iterator[tuple[str, str, str, str]]:
    """``(key path, type, status, default)`` for every key under ``model``."""
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        tp = info.annotation
        metadata = list(info.metadata)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        section = bool(_models(tp)) or (origin is dict and bool(_models(args[1])))
        if section and not info.is_required():
            yield f"`{path}`", "table (optional)", _status(path).value, _default(info)
        if origin is dict:
            metadata = []
            path = f"{path}.{ENTRY_NAMES.get(name, '<key>')}"
            tp = args[1]
        elif origin is list and _models(args[0]):
            path = f"{path}[]"
            tp = args[0]
            metadata = []
        models = _models(tp)
        if not models:
            kind = " ".join(p for p in (_scalar(tp), _bounds(metadata)) if p)
            if only:
                kind = f"{kind} ({only})"
            yield f"`{path}`", kind, _status(path).value, _default(info)
            continue
        for sub in models:
            variant = _variant(sub) if len(models) > 1 else ""
            yield from rows(sub, path, variant or only)


def table() -> str:
    lines = [
        BEGIN,
        "",
        "| key path | type | status | default |",
        "|---|---|---|---|",
    ]
    seen: set[tuple[str, str]] = set()
    for row in rows():
        if row[:2] not in seen:
            seen.add(row[:2])
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    lines += ["", END]
    return "\n".join(lines)


def rendered(doc: str) -> str:
    """The document with its generated block replaced by the current table."""
    head, begin, rest = doc.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"{DOC}: the markers {BEGIN!r} and {END!r} are missing")
    return head + table() + tail


def main(argv: list[str]) -> int:
    doc = DOC.read_text(encoding="utf-8")
    fresh = rendered(doc)
    if "--check" in argv:
        if fresh != doc:
            print(
                f"{DOC.relative_to(ROOT)}: the keys table is stale; run tools/policy_reference.py"
            )
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
