"""``systok events quarantine …``: list, count, retry and dismiss what could not become
an event (kept with the reason; nothing is ever deleted)."""

from __future__ import annotations

import typer
from rich.table import Table

from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.clock import now_us
from systok.core.times import us_to_iso
from systok.db.engine import run_transaction
from systok.ingest.quarantine import dismiss_entry, quarantine_counts, quarantine_entries
from systok.ingest.service import Ingestor
from systok.policy_files import default_policy

quarantine_app = typer.Typer(
    help="Inputs that could not become events, with the reason.", no_args_is_help=True
)
console = make_console()


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
    dismissed: bool = typer.Option(
        False, "--dismissed", help="List dismissed entries instead (kept, never retried)."
    ),
) -> None:
    """List open quarantined inputs with their reasons (or conflicts, or dismissed ones)."""
    engine = migrated_engine()
    status = "dismissed" if dismissed else "conflict" if conflicts else "open"
    rows = run_transaction(
        engine, lambda s: quarantine_entries(s, status=status, limit=limit, source=source)
    )
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
                    "received_at": us_to_iso(row.received_at_us),
                    "dismissed_at": (
                        us_to_iso(row.dismissed_at_us) if row.dismissed_at_us is not None else None
                    ),
                    "dismissed_reason": row.dismissed_reason,
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
        *(["dismissed because"] if dismissed else []),
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
            *([row.dismissed_reason or ""] if dismissed else []),
        )
    console.print(table)


@quarantine_app.command("dismiss")
def quarantine_dismiss(
    entry_id: int = typer.Argument(..., metavar="ID", help="The entry's id (quarantine list)."),
    reason: str = typer.Option(..., "--reason", help="Why it will never be fixed (kept)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Close an open (or conflict) entry for good: kept with status dismissed and the
    reason, counted, never retried."""
    engine = migrated_engine()
    row = run_transaction(engine, lambda s: dismiss_entry(s, entry_id, reason, now_us()))
    if as_json:
        print_json(
            {
                "id": row.id,
                "source": row.source,
                "status": row.status,
                "dismissed_at": us_to_iso(row.dismissed_at_us),
                "dismissed_reason": row.dismissed_reason,
            }
        )
        return
    console.print(f"quarantine entry {row.id} ({row.source}) dismissed: {row.dismissed_reason}")


@quarantine_app.command("counts")
def quarantine_counts_command(
    source: str = typer.Option(None, help="Only this source."),
    as_json: bool = JSON_OPTION,
) -> None:
    """How many quarantine entries each status has: open, conflict, dismissed, accepted
    (retried into events), duplicate."""
    engine = migrated_engine()
    counts = run_transaction(engine, lambda s: quarantine_counts(s, source))
    if as_json:
        print_json(counts)
        return
    table = Table("status", "entries", title="quarantine" + (f" of {source}" if source else ""))
    for status, count in counts.items():
        table.add_row(status, str(count))
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
