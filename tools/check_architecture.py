#!/usr/bin/env python3
"""Architecture rules import-linter cannot express, checked by ``python3 dev.py lint``.

* **Only repositories execute SQL.** Outside ``systok/db/`` (the engine, the kit and the
  migrations) and modules named ``repository`` (or inside a ``repository`` package), no
  code calls ``execute``/``scalar``/``scalars``/``exec_driver_sql`` or builds statements
  with SQLAlchemy's ``select``/``insert``/``update``/``delete``/``text``.
* **No file over the size limit** in ``systok/`` except declarative tables and migrations.

Prints one line per violation (``path:line: rule: detail``) and exits 1 if any.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINES_MAX = 400
SIZE_EXEMPT = {"systok/db/tables.py"}
SQL_CALLS = {"execute", "exec_driver_sql", "scalar", "scalars", "execute_many"}
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "union_all", "exists"}


def _may_run_sql(relative: str) -> bool:
    parts = Path(relative).parts
    return (
        relative.startswith("systok/db/")
        or Path(relative).stem == "repository"
        or "repository" in parts[:-1]
    )


def sql_violations(relative: str, tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            names = sorted(alias.name for alias in node.names if alias.name in SQL_BUILDERS)
            if names:
                found.append(
                    f"{relative}:{node.lineno}: sql-outside-repository: imports "
                    f"{', '.join(names)} from {node.module}"
                )
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
        ):
            found.append(
                f"{relative}:{node.lineno}: sql-outside-repository: calls .{node.func.attr}()"
            )
    return found


def problems_under(root: Path) -> list[str]:
    """Every violation in ``root/systok``, one line each."""
    problems: list[str] = []
    for path in sorted((root / "systok").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        if not _may_run_sql(relative):
            problems += sql_violations(relative, ast.parse(text, relative))
        lines = text.count("\n")
        exempt = relative in SIZE_EXEMPT or "/migrations/" in relative
        if lines > LINES_MAX and not exempt:
            problems.append(f"{relative}:1: file-too-long: {lines} lines (limit {LINES_MAX})")
    return problems


def main() -> int:
    problems = problems_under(ROOT)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
