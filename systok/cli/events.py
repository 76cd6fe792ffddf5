"""``systok events …``: import files, list events waiting for an alias; the quarantine
is ``cli.quarantine``. ``finish_import`` reports a file import (events or members)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.cli.quarantine import quarantine_app
from systok.core.times import us_to_iso
from systok.db.engine import run_transaction
from systok.errors import ImportIncomplete
from systok.ingest.files import ImportReport, import_events
from systok.ingest.members import waiting_aliases
from systok.policy_files import default_policy

events_app = typer.Typer(
    help="Events: import files, list events waiting for an alias, inspect, retry and "
    "dismiss the quarantine.",
    no_args_is_help=True,
)
events_app.add_typer(quarantine_app, name="quarantine")
console = make_console()


def _report_json(report: ImportReport) -> dict[str, object]:
    return {
        "received": report.received,
        "accepted": report.accepted,
        "duplicate": report.duplicate,
        "conflict": report.conflict,
        "quarantined": report.quarantined,
        "attributed": report.attributed,
        "problems": [
            {"line": number, "field": field, "reason": reason}
            for number, field, reason in report.problems
        ],
    }


def finish_import(report: ImportReport, what: str, as_json: bool) -> None:
    """Print the report (a table or JSON), then exit 3 if any line was not stored."""
    if as_json:
        print_json(_report_json(report))
    else:
        _print_report(report, what)
    if report.quarantined or report.conflict:
        raise ImportIncomplete(
            f"{what}: {report.quarantined} line(s) quarantined"
            + (f", {report.conflict} conflict(s)" if report.conflict else "")
            + f" of {report.received} (the rest is stored; see systok events quarantine list)"
        )


def _print_report(report: ImportReport, what: str) -> None:
    console.print(
        f"{what}: {report.received} lines — accepted {report.accepted}, "
        f"duplicate {report.duplicate}, "
        + (f"conflict {report.conflict}, " if report.conflict else "")
        + f"quarantined {report.quarantined}"
        + (f"; {report.attributed} waiting events attributed" if report.attributed else "")
    )
    for number, field, reason in report.problems:
        where = f"{field}: " if field else ""
        console.print(f"  line {number}: {where}{reason}")
    if report.quarantined > len(report.problems):
        console.print(
            f"  … and {report.quarantined - len(report.problems)} more "
            "(systok events quarantine list)"
        )


@events_app.command("import")
def events_import(
    file: Path = typer.Argument(..., help="JSON lines, one event each."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Import events (history is accepted: a file is a backfill, not a live source).

    Exit 3 when some lines were quarantined or conflicted (the others are stored).
    """
    engine = migrated_engine()
    policy = default_policy()
    total = sum(1 for line in file.open(encoding="utf-8") if line.strip()) if file.exists() else 0
    with Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=make_console(stderr=True),  # stdout stays one JSON document with --json
        transient=True,
    ) as progress:
        task = progress.add_task("events", total=total)
        report = import_events(engine, file, policy, progress=lambda n: progress.advance(task, n))
    finish_import(report, f"events from {file}", as_json)


@events_app.command("unattributed")
def events_unattributed(
    source: str = typer.Option(None, help="Only this source."),
    limit: int = typer.Option(100, help="At most this many aliases, most events first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Aliases that events name and no member has: the events wait, unattributed, until
    the alias is linked (members import or profiles pull), then count for the member."""
    engine = migrated_engine()
    waiting = run_transaction(engine, lambda s: waiting_aliases(s, source))
    shown = waiting[:limit]
    if as_json:
        print_json(
            [
                {
                    "source": w.source,
                    "alias": w.alias,
                    "events": w.events,
                    "as_actor": w.as_actor,
                    "as_counterpart": w.as_counterpart,
                    "first_seen_at": us_to_iso(w.first_seen_at_us),
                    "last_seen_at": us_to_iso(w.last_seen_at_us),
                }
                for w in shown
            ]
        )
        return
    table = Table(
        "source",
        "alias",
        "events",
        "first seen",
        "last seen",
        title=f"aliases with events waiting ({len(shown)} of {len(waiting)} shown)",
    )
    for w in shown:
        table.add_row(
            w.source,
            w.alias,
            str(w.events),
            us_to_iso(w.first_seen_at_us)[:19],
            us_to_iso(w.last_seen_at_us)[:19],
        )
    console.print(table)
