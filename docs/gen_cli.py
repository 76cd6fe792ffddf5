"""Regenerate docs/cli.md from the commands' own --help (run: .venv/bin/python docs/gen_cli.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COMMANDS = [
    [], ["db"], ["db", "upgrade"], ["db", "current"],
    ["policy"], ["policy", "check"], ["policy", "show"], ["policy", "diff"],
    ["ledger"], ["ledger", "balances"], ["ledger", "expire-holds"], ["ledger", "demo"],
    ["audit"], ["demo"],
    ["run"], ["run", "week"], ["run", "status"], ["run", "resume"],
    ["report", "csv"], ["explain"], ["verify", "week"],
    ["vesting", "list"], ["vesting", "flag"], ["vesting", "release"],
    ["members", "import"], ["members", "freeze"], ["members", "unfreeze"], ["events", "import"],
    ["events", "quarantine", "list"], ["events", "quarantine", "retry"],
    ["ingest", "posthog"], ["ingest", "discourse"], ["ingest", "profiles"],
    ["apikey"], ["apikey", "create"], ["apikey", "list"], ["apikey", "revoke"], ["serve"],
    ["payout"], ["payout", "challenge"], ["payout", "sign"], ["payout", "link"],
    ["payout", "wallets"], ["payout", "withdraw"], ["payout", "status"], ["payout", "confirm"],
    ["payout", "reconcile"], ["payout", "info"],
]


def main() -> None:
    env = {**os.environ, "COLUMNS": "96", "NO_COLOR": "1", "TERM": "dumb"}
    parts = [
        "# Command reference\n",
        "Generated from each command's `--help` by `docs/gen_cli.py`; do not edit by hand.\n",
        "Exit codes: 0 success; 1 a user error; 2 a usage error or a failed audit;",
        "65 an invalid policy; 66 a missing policy; 70 an internal error;",
        "75 the database needs `systok db upgrade`; 78 a bad setting.\n",
        "Listing commands take `--json`: one JSON document on stdout, with the shapes in",
        "[cli-json.md](cli-json.md). Scripts read that, never the tables.\n",
    ]
    for command in COMMANDS:
        text = subprocess.run(
            [sys.executable, "-m", "systok.cli", *command, "--help"],
            capture_output=True, text=True, env=env, check=True,
        ).stdout.rstrip()
        parts += [f"## systok {' '.join(command)}".rstrip() + "\n", "```", text, "```\n"]
    Path(__file__).with_name("cli.md").write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
