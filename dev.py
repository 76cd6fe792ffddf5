#!/usr/bin/env python3
"""Set up and run SysTok with nothing but Python 3.11+.

    python3 dev.py demo     # the main job on the embedded default (SQLite, in-process)
    python3 dev.py test     # the whole test suite (extra arguments go to pytest)
    python3 dev.py lint     # ruff, mypy and the architecture rules (tools/)
    python3 dev.py systok … # any systok command inside the environment
    python3 dev.py bench NAME [args]  # bench/NAME.py, with the bench-only dependencies

The first run creates ``.venv`` next to this file and installs SysTok with its
development dependencies from PyPI; later runs reinstall only when ``pyproject.toml``
changed. Uses only the standard library, so it works before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".systok-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _python() -> Path:
    return BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_environment() -> None:
    """Create ``.venv`` and install SysTok into it, unless it is already current."""
    if sys.version_info < (3, 11):
        sys.exit(f"SysTok needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and _python().exists():
        return
    if not _python().exists():
        print(f"creating {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("installing SysTok and its dependencies (first run only) …", flush=True)
    pip = [str(_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True, cwd=ROOT)
    STAMP.write_text(wanted)


BENCH_STAMP = VENV / ".systok-bench-installed"


def ensure_bench_environment() -> None:
    """Install the ``bench`` extra (DuckDB, the settle bench's reference) on first use.

    Benchmarks are not tests: their reference engines stay out of the ``dev`` extra, so
    ``dev.py test`` on a fresh machine installs no more than the tests need.
    """
    ensure_environment()
    wanted = STAMP.read_text().strip()
    if BENCH_STAMP.exists() and BENCH_STAMP.read_text().strip() == wanted:
        return
    print("installing the bench dependencies (first bench run only) …", flush=True)
    pip = [str(_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-e", f"{ROOT}[dev,bench]"], check=True, cwd=ROOT)
    BENCH_STAMP.write_text(wanted)


def bench(rest: list[str]) -> int:
    """Run ``bench/NAME.py`` with the remaining arguments; list the benches without one."""
    names = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "scratch")
    if not rest or rest[0] not in names:
        usage = f"usage: dev.py bench NAME [args]; NAME is one of: {', '.join(names)}"
        print(usage, file=sys.stderr)
        return 2
    ensure_bench_environment()
    return run([str(_python()), str(ROOT / "bench" / f"{rest[0]}.py"), *rest[1:]])


def run(command: list[str]) -> int:
    """Run a command inside the environment from the repository root."""
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def lint() -> int:
    """Ruff, mypy and the architecture rules, stopping at the first that fails."""
    python = str(_python())
    sources = ["systok", "tests", "bench", "docs", "dev.py"]
    checks = [
        [python, "-m", "ruff", "check", *sources, "tools"],
        [python, "-m", "ruff", "format", "--check", "systok", "tests", "tools"],
        [python, "-m", "mypy", "systok"],
        [str(BIN / "lint-imports")],  # dependency rules: pyproject [tool.importlinter]
        [python, "-m", "vulture"],  # dead code: pyproject [tool.vulture]
        [python, "tools/check_architecture.py"],  # SQL only in repositories, file sizes
        [python, "tools/check_policy_fields.py"],  # every policy field consumed or declared
        [python, "tools/policy_reference.py", "--check"],  # docs/policy.md keys table
        [python, "tools/architecture_map.py", "--check"],  # docs/architecture.md map
        [python, "docs/gen_cli.py", "--check"],  # docs/cli.md from the commands' --help
    ]
    for check in checks:
        if code := run(check):
            return code
    return 0


TASKS: dict[str, Callable[[list[str]], int]] = {
    "demo": lambda rest: run([str(BIN / "systok"), "demo", *rest]),
    "test": lambda rest: run([str(_python()), "-m", "pytest", *rest]),
    "lint": lambda rest: lint(),
    "systok": lambda rest: run([str(BIN / "systok"), *rest]),
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    task, rest = argv[0], argv[1:]
    if task == "bench":
        return bench(rest)
    if task not in TASKS:
        print(f"unknown task {task!r}; try: {', '.join(TASKS)}, bench", file=sys.stderr)
        return 2
    ensure_environment()
    return TASKS[task](rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
