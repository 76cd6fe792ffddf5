"""Regenerate docs/cli.md from the commands' own --help (run: .venv/bin/python docs/gen_cli.py).

With ``--check`` nothing is written: the exit status is 1 when docs/cli.md differs from
what the commands print now (``python3 dev.py lint`` runs it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

COMMANDS = [
    [],
    ["db"],
    ["db", "upgrade"],
    ["db", "current"],
    ["policy"],
    ["policy", "check"],
    ["policy", "show"],
    ["policy", "diff"],
    ["ledger"],
    ["ledger", "balances"],
    ["ledger", "expire-holds"],
    ["ledger", "demo"],
    ["audit"],
    ["demo"],
    ["run"],
    ["run", "week"],
    ["run", "quarter"],
    ["run", "status"],
    ["run", "resume"],
    ["report", "csv"],
    ["report", "quarterly"],
    ["explain"],
    ["statement"],
    ["proof"],
    ["verify", "week"],
    ["verify", "quarter"],
    ["vesting", "list"],
    ["vesting", "flag"],
    ["vesting", "release"],
    ["members", "import"],
    ["members", "list"],
    ["members", "show"],
    ["members", "alias", "remove"],
    ["members", "freeze"],
    ["members", "unfreeze"],
    ["events", "import"],
    ["events", "unattributed"],
    ["events", "quarantine", "list"],
    ["events", "quarantine", "retry"],
    ["events", "quarantine", "dismiss"],
    ["events", "quarantine", "counts"],
    ["ingest", "posthog"],
    ["ingest", "discourse"],
    ["ingest", "profiles"],
    ["apikey"],
    ["apikey", "create"],
    ["apikey", "list"],
    ["apikey", "revoke"],
    ["serve"],
    ["payout"],
    ["payout", "challenge"],
    ["payout", "sign"],
    ["payout", "link"],
    ["payout", "wallets"],
    ["payout", "withdraw"],
    ["payout", "status"],
    ["payout", "confirm"],
    ["payout", "reconcile"],
    ["payout", "info"],
    ["config"],
    ["config", "show"],
    ["doctor"],
    ["backing"],
    ["backing", "record"],
    ["backing", "list"],
    ["price", "show"],
    ["price", "quote"],
    ["health"],
    ["sale"],
    ["sale", "open"],
    ["sale", "buy"],
    ["sale", "close"],
    ["sale", "status"],
    ["stabilise"],
    ["stabilise", "list"],
    ["stabilise", "approve"],
    ["stabilise", "reject"],
    ["notify"],
    ["notify", "dispatch"],
    ["notify", "list"],
    ["notify", "retry"],
    ["notify", "profile"],
    ["stabilise", "sell"],
]


def main(argv: list[str]) -> int:
    env = {"COLUMNS": "96", "NO_COLOR": "1", "TERM": "dumb"}
    os.environ.update(env)  # before the CLI is imported: its consoles read these once
    parts = [
        "# Command reference\n",
        "Generated from each command's `--help` by `docs/gen_cli.py`; do not edit by hand.\n",
        "Exit codes (every `exit_code` in `systok/`; `systok/errors/` is the tree):",
        "0 success; 1 a user error (a refused value, `explain` of an unknown member or of",
        "one who earned nothing, a quarantine entry closed already);",
        "2 a usage error, a failed audit, a `verify` difference or a reconcile difference;",
        "3 an import stored what it could and quarantined (or conflicted) some lines —",
        "the counts are printed; 64 a bad `--since`/`--until`; 65 invalid data (a policy,",
        "an API key's name or scope, a backing inflow's kind, amount or quarter);",
        "66 something named is missing (a file, a policy, a member, an API key, an alias,",
        "a quarantine entry, a run of the week or quarter to verify, a price with no STK",
        "issued);",
        "69 a source is unavailable (the database cannot be opened, or PostHog, Discourse",
        "or the platform failed after retries); 70 an internal error; 73 an output file",
        "cannot be written (`report quarterly --pdf`); 75 try again later",
        "(the database needs `systok db upgrade`, the chain is unreachable, payouts",
        "pending); 78 a bad setting (a payout adapter not chosen, an unreadable key)",
        "(`systok doctor` exits 1 when a check fails).\n",
        "Listing commands take `--json`: one JSON document on stdout, with the shapes in",
        "[cli-json.md](cli-json.md). Scripts read that, never the tables.\n",
    ]
    # In one process (typer's runner prints exactly what `systok … --help` prints): one
    # import instead of one interpreter per command keeps the lint check to seconds.
    from typer.testing import CliRunner

    from systok.cli.main import app

    runner = CliRunner()
    for command in COMMANDS:
        result = runner.invoke(app, [*command, "--help"], env=env, prog_name="systok")
        if result.exit_code != 0:
            raise SystemExit(f"systok {' '.join(command)} --help failed: {result.output}")
        text = result.stdout.rstrip()
        parts += [f"## systok {' '.join(command)}".rstrip() + "\n", "```", text, "```\n"]
    target = Path(__file__).with_name("cli.md")
    fresh = "\n".join(parts)
    if "--check" in argv:
        if target.read_text(encoding="utf-8") != fresh:
            print("docs/cli.md is stale: run .venv/bin/python docs/gen_cli.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
