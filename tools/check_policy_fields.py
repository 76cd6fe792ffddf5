"""Every policy field is consumed or declared: exit 1 listing each field that is neither.

"Every policy section is either enforced or absent" (issue 12). A field of ``Policy``
(recursively through the domain model) counts as *consumed* when code outside
``systok/cli/`` and ``systok/core/policy/`` reads an attribute of that name, directly or
through a method of the domain model that such code calls (``daily_amount`` reads
``yearly_amount``). Showing or checking a key is not acting on it, so the CLI and the
policy package itself do not count. A field that is neither consumed nor declared in
``systok.core.policy.status.DECLARED`` (nor text for people, such as ``title``) is a
promise the code does not keep. A one-value ``Literal`` (``rounding = "floor"``) is
fixed by the parser and implemented by the code without reading it.

The scan is by attribute name, so a generic name (``name``, ``period``) used for
something else hides an unconsumed field; the check catches the usual case, a new
section nobody wired.

Usage: python tools/check_policy_fields.py   (from the repository root; exit 0 or 1)
"""

from __future__ import annotations

import ast
import dataclasses
import sys
import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from systok.core.policy import Policy  # noqa: E402
from systok.core.policy.status import Status, status_of  # noqa: E402

PACKAGE = ROOT / "systok"
NOT_CONSUMERS = ("cli", "core/policy")
"""Folders under systok/ whose reads do not count: they show and check the policy."""


def _is_domain(tp: object) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _children(tp: object, path: str) -> Iterator[tuple[str, type]]:
    """The domain classes reachable from a field type, with the key path to reach them."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            yield from _children(arg, path)
    elif origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        yield from _children(args[1], f"{path}.*")
    elif origin is tuple and args:
        yield from _children(args[0], f"{path}[]")
    elif _is_domain(tp):
        yield path, typing.cast(type, tp)


def _fixed_by_parser(tp: object) -> bool:
    """A one-value ``Literal`` (``rounding: Literal["floor"]``): the parser refuses any
    other value, so the code implementing that one value need not read it."""
    return typing.get_origin(tp) is typing.Literal and len(typing.get_args(tp)) == 1


def policy_fields(root: type = Policy) -> dict[str, str]:
    """Key path → field name of every field of the domain model under ``root`` that code
    must act on (one-value literals are fixed by the parser and left out)."""
    found: dict[str, str] = {}
    pending: list[tuple[str, type]] = [("", root)]
    while pending:
        prefix, cls = pending.pop()
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            if not field.compare:
                continue  # bookkeeping (where it was read from, its canonical text), not a key
            path = f"{prefix}.{field.name}" if prefix else field.name
            if not _fixed_by_parser(hints[field.name]):
                found[path] = field.name
            pending.extend(_children(hints[field.name], path))
    return dict(sorted(found.items()))


def _attributes(node: ast.AST) -> set[str]:
    """Attribute names read under ``node``, including ``getattr(x, "name")``."""
    names: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute):
            names.add(child.attr)
        elif (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Name)
            and child.func.id == "getattr"
            and len(child.args) >= 2
            and isinstance(child.args[1], ast.Constant)
            and isinstance(child.args[1].value, str)
        ):
            names.add(child.args[1].value)
    return names


def _is_consumer(file: Path, package: Path) -> bool:
    relative = file.relative_to(package).as_posix()
    return not any(relative.startswith(f"{folder}/") for folder in NOT_CONSUMERS)


def consumed_names(package: Path = PACKAGE) -> set[str]:
    """Attribute names consumers read, widened by the domain methods they call."""
    names: set[str] = set()
    methods: dict[str, set[str]] = {}
    for file in sorted(package.rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        if _is_consumer(file, package):
            names |= _attributes(tree)
        elif file.relative_to(package).as_posix().startswith("core/policy/"):
            for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
                for method in cls.body:
                    if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                        methods.setdefault(method.name, set()).update(_attributes(method))
    # A called method reads what its body reads, including other methods: to a fixpoint.
    while True:
        widened = names.union(*(methods[m] for m in names & methods.keys()))
        if widened == names:
            return names
        names = widened


def unconsumed(
    root: type = Policy,
    package: Path = PACKAGE,
) -> list[str]:
    """Key paths of fields that are neither consumed nor declared, sorted."""
    names = consumed_names(package)
    return [
        path
        for path, name in policy_fields(root).items()
        if name not in names and status_of(path) is Status.ENFORCED
    ]


def main() -> int:
    missing = unconsumed()
    for path in missing:
        print(
            f"policy field {path}: nothing outside systok/cli/ and systok/core/policy/ reads it; "
            "wire it, remove it, or declare it in systok/core/policy/status.py"
        )
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
