"""Every ``systok …`` command docs/operations.md shows in its code blocks exists.

The guide is read by someone who types what it says; a renamed command must break this
test, not the administrator's Monday. ``--help`` is eager, so arguments after the command
path (weeks, files) do not matter; an unknown command exits 2.
"""

from __future__ import annotations

import re
from pathlib import Path

from systok.cli.main import main

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def guide_commands() -> set[tuple[str, ...]]:
    blocks = re.findall(r"```[a-z]*\n(.*?)```", GUIDE.read_text(), re.S)
    found = set()
    for block in blocks:
        for match in re.finditer(r"(?:^(?:\$ )?|/bin/)systok((?: [a-z][a-z-]*){1,3})", block, re.M):
            found.add(tuple(match.group(1).split()))
    return found


def test_the_guide_shows_the_operations_commands():
    commands = guide_commands()
    for expected in [
        ("db", "upgrade"),
        ("serve",),
        ("run", "week"),
        ("audit",),
        ("verify", "week"),
        ("payout", "reconcile"),
    ]:
        assert any(c[: len(expected)] == expected for c in commands), expected


def test_every_command_in_the_guide_exists(capsys):
    for words in sorted(guide_commands()):
        code = main([*words, "--help"])
        assert code == 0, f"docs/operations.md: systok {' '.join(words)}: {capsys.readouterr()}"
    capsys.readouterr()
