"""The architecture rules fail on the violations they exist for (and pass on the tree).

Each rule is shown failing on a tiny synthetic package laid out like ``systok/``, so a
rule that silently stopped checking (a renamed package, a contract that no longer
matches) turns this test red rather than letting the real tree drift.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_real_tree_keeps_the_sql_and_size_rules() -> None:
    assert _tool("check_architecture").problems_under(ROOT) == []


def test_sql_outside_a_repository_is_reported_with_its_line(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "systok/ledger/service.py": "from sqlalchemy import select\n\n"
            "def f(session):\n    return session.execute(select(1))\n",
            "systok/ledger/repository.py": "from sqlalchemy import select\n\n"
            "def g(session):\n    return session.execute(select(1))\n",
            "systok/db/kit.py": "def h(session):\n    return session.scalar(1)\n",
        },
    )
    problems = _tool("check_architecture").problems_under(tmp_path)
    assert problems == [
        "systok/ledger/service.py:1: sql-outside-repository: imports select from sqlalchemy",
        "systok/ledger/service.py:4: sql-outside-repository: calls .execute()",
    ]


def test_a_long_file_is_reported_but_tables_and_migrations_are_not(tmp_path: Path) -> None:
    long_text = "x = 1\n" * 401
    _write(
        tmp_path,
        {
            "systok/accrual/service.py": long_text,
            "systok/db/tables.py": long_text,
            "systok/db/migrations/versions/0001_x.py": long_text,
        },
    )
    assert _tool("check_architecture").problems_under(tmp_path) == [
        "systok/accrual/service.py:1: file-too-long: 401 lines (limit 400)"
    ]


def _lint_imports(tmp_path: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run import-linter with the project's own contracts over a synthetic ``systok``."""
    executable = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.fail("lint-imports is not installed: it is a dev dependency (pyproject [dev])")
    packages = ["accrual", "api", "cli", "core", "db", "economy", "ingest", "ledger"]
    packages += ["observability", "payout", "sim"]
    skeleton = {f"systok/{name}/__init__.py": "" for name in packages}
    skeleton |= {
        "systok/__init__.py": "",
        "systok/errors.py": "",
        "systok/clock.py": "",
        "systok/config.py": "",
        "systok/doctor.py": "",
        "systok/policy_files.py": "",
    }
    _write(tmp_path, skeleton | files)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]
    lines = ["[importlinter]", f"root_package = {contracts['root_package']}"]
    lines.append(f"include_external_packages = {contracts['include_external_packages']}")
    for number, contract in enumerate(contracts["contracts"]):
        lines.append(f"\n[importlinter:contract:{number}]")
        for key, value in contract.items():
            if isinstance(value, list):
                lines.append(f"{key} =\n" + "\n".join(f"    {item}" for item in value))
            else:
                lines.append(f"{key} = {value}")
    (tmp_path / ".importlinter").write_text("\n".join(lines) + "\n", encoding="utf-8")
    environment = os.environ | {"PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [executable, "--no-cache"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_import_rules_hold_for_a_well_layered_tree(tmp_path: Path) -> None:
    result = _lint_imports(
        tmp_path,
        {
            "systok/core/rules.py": "import systok.errors\n",
            "systok/ledger/repository.py": "import sqlalchemy\n",
            "systok/ledger/service.py": "import systok.ledger.repository\n",
            "systok/api/routes.py": "import systok.ledger.service\n",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("systok/core/rules.py", "import sqlalchemy\n", "core is pure"),
        ("systok/core/rules.py", "import systok.db\n", "core is pure"),
        ("systok/api/routes.py", "import systok.ledger.repository\n", "never import a repository"),
        ("systok/cli/commands.py", "from systok.ledger import repository\n", "never import"),
    ],
)
def test_import_rules_fail_on_each_forbidden_import(
    tmp_path: Path, module: str, source: str, broken: str
) -> None:
    files = {module: source, "systok/ledger/repository.py": "", "systok/db/__init__.py": ""}
    result = _lint_imports(tmp_path, files)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    assert broken in result.stdout.replace("\n", " ")
