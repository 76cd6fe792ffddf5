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
    ["members", "import"], ["members", "list"], ["members", "show"],
    ["members", "alias", "remove"], ["members", "freeze"], ["members", "unfreeze"],
    ["events", "import"], ["events", "unattributed"],
    ["events", "quarantine", "list"], ["events", "quarantine", "retry"],
    ["events", "quarantine", "dismiss"], ["events", "quarantine", "counts"],
    ["ingest", "posthog"], ["ingest", "discourse"], ["ingest", "profiles"],
    ["apikey"], ["apikey", "create"], ["apikey", "list"], ["apikey", "revoke"], ["serve"],
    ["payout"], ["payout", "challenge"], ["payout", "sign"], ["payout", "link"],
    ["payout", "wallets"], ["payout", "withdraw"], ["payout", "status"], ["payout", "confirm"],
    ["payout", "reconcile"], ["payout", "info"],
    ["config"], ["config", "show"], ["doctor"],
]


def main() -> None:
    env = {**os.environ, "COLUMNS": "96", "NO_COLOR": "1", "TERM": "dumb"}
    parts = [
        "# Command reference\n",
        "Generated from each command's `--help` by `docs/gen_cli.py`; do not edit by hand.\n",
        "Exit codes (every `exit_code` in `systok/`; `systok/errors.py` is the tree):",
        "0 success; 1 a user error (a refused value, `explain` of an unknown member or of",
        "one who earned nothing, a quarantine entry closed already);",
        "2 a usage error, a failed audit, a `verify` difference or a reconcile difference;",
        "3 an import stored what it could and quarantined (or conflicted) some lines —",
        "the counts are printed; 64 a bad `--since`/`--until`; 65 invalid data (a policy,",
        "an API key's name or scope); 66 something named is missing (a file, a policy, a",
        "member, an API key, an alias, a quarantine entry, a run of the week to verify);",
        "69 a source is unavailable (the database cannot be opened, or PostHog, Discourse",
        "or the platform failed after retries); 70 an internal error; 75 try again later",
        "(the database needs `systok db upgrade`, the chain is unreachable, payouts",
        "pending); 78 a bad setting (a payout adapter not chosen, an unreadable key)",
        "(`systok doctor` exits 1 when a check fails).\n",
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
