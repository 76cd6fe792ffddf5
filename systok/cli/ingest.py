"""``systok members import``, ``systok events import`` and ``systok events quarantine``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, print_json
from systok.db.engine import run_transaction
from systok.ingest import repository as repo
from systok.ingest.files import ImportReport, import_events, import_members
from systok.ingest.service import Ingestor
from systok.policy_files import default_policy

members_app = typer.Typer(help="Members: import profiles and aliases.", no_args_is_help=True)
events_app = typer.Typer(
    help="Events: import files, inspect and retry the quarantine.", no_args_is_help=True
)
quarantine_app = typer.Typer(
    help="Inputs that could not become events, with the reason.", no_args_is_help=True
)
events_app.add_typer(quarantine_app, name="quarantine")
console = Console()


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


@members_app.command("import")
def members_import(file: Path = typer.Argument(..., help="JSON lines, one member each.")) -> None:
    """Import members: aliases and effective-dated qualification and membership history."""
    engine = migrated_engine()
    _print_report(import_members(engine, file), f"members from {file}")


@events_app.command("import")
def events_import(file: Path = typer.Argument(..., help="JSON lines, one event each.")) -> None:
    """Import events (history is accepted: a file is a backfill, not a live source)."""
    engine = migrated_engine()
    policy = default_policy()
    total = sum(1 for line in file.open(encoding="utf-8") if line.strip()) if file.exists() else 0
    with Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("events", total=total)
        report = import_events(engine, file, policy, progress=lambda n: progress.advance(task, n))
    _print_report(report, f"events from {file}")


@quarantine_app.command("list")
def quarantine_list(
    source: str = typer.Option(None, help="Only this source."),
    limit: int = typer.Option(50, help="At most this many rows."),
    as_json: bool = JSON_OPTION,
    conflicts: bool = typer.Option(
        False,
        "--conflicts",
        help="List conflicts instead: records whose (source, id) names a stored event "
        "with other content (kept, never retried).",
    ),
) -> None:
    """List open quarantined inputs with their reasons (or, with --conflicts, conflicts)."""
    engine = migrated_engine()
    status = "conflict" if conflicts else "open"
    rows = run_transaction(engine, lambda s: repo.open_quarantine(s, limit, source, status))
    if as_json:
        print_json(
            [
                {
                    "id": row.id,
                    "source": row.source,
                    "source_event_id": row.source_event_id,
                    "field": row.field,
                    "reason": row.reason,
                    "attempts": row.attempts,
                    "status": status,
                }
                for row in rows
            ]
        )
        return
    table = Table(
        "id",
        "source",
        "source id",
        "field",
        "reason",
        "attempts",
        title=f"quarantine ({len(rows)} {status} shown)",
    )
    for row in rows:
        table.add_row(
            str(row.id),
            row.source,
            row.source_event_id or "",
            row.field or "",
            row.reason,
            str(row.attempts),
        )
    console.print(table)


@quarantine_app.command("retry")
def quarantine_retry(source: str = typer.Option(None, help="Only this source.")) -> None:
    """Validate open quarantined events again (e.g. after linking an alias or a policy fix).

    Refused member lines are not retried here: fix the file and import it again.
    """
    engine = migrated_engine()
    policy = default_policy()
    counts = run_transaction(
        engine,
        lambda s: Ingestor(s, policy=policy).retry_quarantine(source=source),
    )
    console.print(
        f"retried: accepted {counts['accepted']}, duplicate {counts['duplicate']}, "
        f"conflict {counts['conflict']}, "
        f"still quarantined {counts['still_quarantined']}"
    )
