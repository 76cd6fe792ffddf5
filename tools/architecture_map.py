#!/usr/bin/env python3
"""Regenerate (or, with ``--check``, verify) the module map in docs/architecture.md.

The map lists every module of every package, in the order data flows through SysTok,
with the first line of the module's docstring. It is generated so that it cannot drift:
``python3 dev.py lint`` runs ``--check``, which fails when a module was added, moved,
removed or re-described without regenerating the page.

    python tools/architecture_map.py          # rewrite the block in place
    python tools/architecture_map.py --check  # exit 1 if the block is stale
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- BEGIN GENERATED: module map (tools/architecture_map.py) -->"
END = "<!-- END GENERATED: module map -->"

# Packages in the order data flows: rules and the kit first, then the way in (ingest),
# the weekly run, the ledger it writes, the economy and payouts built on the ledger,
# what operators see, and the doors (api, cli) last. Every package must be listed.
FLOW = [
    "systok.core",
    "systok.errors",
    "systok.db",
    "systok.ingest",
    "systok.accrual",
    "systok.ledger",
    "systok.notify",
    "systok.economy",
    "systok.quarter",
    "systok.backing",
    "systok.sale",
    "systok.health",
    "systok.reports",
    "systok.documents",
    "systok.stabilisation",
    "systok.access",
    "systok.payout",
    "systok.observability",
    "systok.sim",
    "systok.api",
    "systok.cli",
]


def _summary(path: Path) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    docstring = ast.get_docstring(tree) or ""
    first = docstring.strip().split("\n\n")[0].replace("\n", " ").strip()
    return first.replace("|", "\\|") or "(no docstring)"


def _modules(package: str) -> list[Path]:
    folder = ROOT / Path(*package.split("."))
    return sorted(
        path
        for path in folder.rglob("*.py")
        if "migrations" not in path.parts and path.name != "__main__.py"
    )


def render() -> str:
    top_level = sorted(
        path for path in (ROOT / "systok").glob("*.py") if path.name != "__init__.py"
    )
    packages = sorted(
        f"systok.{path.name}"
        for path in (ROOT / "systok").iterdir()
        if path.is_dir() and (path / "__init__.py").exists()
    )
    missing = set(packages) - set(FLOW)
    if missing:
        raise SystemExit(f"architecture_map: add {sorted(missing)} to FLOW in the flow order")
    lines = [BEGIN, ""]
    for package in [p for p in FLOW if p in packages]:
        lines += [f"**`{package}`**", "", "| module | what it is |", "|---|---|"]
        base = ROOT / Path(*package.split("."))
        for path in _modules(package):
            name = path.relative_to(base).with_suffix("").as_posix()
            lines.append(f"| `{name}` | {_summary(path)} |")
        lines.append("")
    lines += ["**top level (`systok/`)**", "", "| module | what it is |", "|---|---|"]
    for path in top_level:
        lines.append(f"| `{path.stem}` | {_summary(path)} |")
    lines += ["", END]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"{DOC}: the markers {BEGIN!r} … {END!r} are missing", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    fresh = head + render() + tail
    if "--check" in argv:
        if fresh != text:
            print(
                f"{DOC.relative_to(ROOT)} is stale: run python tools/architecture_map.py",
                file=sys.stderr,
            )
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
