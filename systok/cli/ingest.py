"""``systok members …`` (import, list, show, alias remove) and ``systok events …``
(import, unattributed, quarantine list/retry/dismiss/counts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.clock import now_us
from systok.core.amount import STK
from systok.core.times import date_of_day, day_of_us, us_to_iso
from systok.db.engine import run_transaction
from systok.errors import SystokError
from systok.ingest import repository as repo
from systok.ingest.files import ImportReport, import_events, import_members
from systok.ingest.schemas import (
    SOURCE_LENGTH_MAX,
    normalized_alias,
    normalized_identifier,
)
from systok.ingest.service import Ingestor
from systok.policy_files import default_policy

members_app = typer.Typer(
    help="Members: import profiles and aliases, list and show them, remove an alias.",
    no_args_is_help=True,
)
alias_app = typer.Typer(help="A member's names at other sources.", no_args_is_help=True)
members_app.add_typer(alias_app, name="alias")
events_app = typer.Typer(
    help="Events: import files, list events waiting for an alias, inspect, retry and "
    "dismiss the quarantine.",
    no_args_is_help=True,
)
quarantine_app = typer.Typer(
    help="Inputs that could not become events, with the reason.", no_args_is_help=True
)
events_app.add_typer(quarantine_app, name="quarantine")
console = make_console()

IMPORT_INCOMPLETE_EXIT_CODE = 3


class ImportIncomplete(SystokError):
    """An import stored what it could, and some lines were quarantined or conflicted:
    exit 3, so a cron job notices (the counts are printed; nothing was lost)."""

    exit_code = IMPORT_INCOMPLETE_EXIT_CODE


class QuarantineEntryNotFound(SystokError):
    """No quarantine entry has this id."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


class QuarantineEntryClosed(SystokError):
    """The entry was accepted, found a duplicate or dismissed already: nothing to dismiss."""

    status_code = 409


class AliasNotFound(SystokError):
    """No member has this alias."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


class UnknownMember(SystokError):
    """No member has this platform id."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


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


def _finish_import(report: ImportReport, what: str, as_json: bool) -> None:
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


@members_app.command("import")
def members_import(
    file: Path = typer.Argument(..., help="JSON lines, one member each."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Import members: aliases and effective-dated qualification and membership history.

    Exit 3 when some lines were quarantined (the others are stored).
    """
    engine = migrated_engine()
    _finish_import(import_members(engine, file), f"members from {file}", as_json)


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
    _finish_import(report, f"events from {file}", as_json)


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
    why = reason.strip()
    if not why:
        raise SystokError("--reason: say why the entry is dismissed (it is kept with it)")
    engine = migrated_engine()

    def dismiss(session: Session) -> Any:
        row = repo.quarantine_row(session, entry_id)
        if row is None:
            raise QuarantineEntryNotFound(f"no quarantine entry has id {entry_id}")
        if not repo.dismiss_quarantined(session, entry_id, why, now_us()):
            raise QuarantineEntryClosed(
                f"quarantine entry {entry_id} is {row.status}: only open or conflict "
                "entries can be dismissed"
            )
        return repo.quarantine_row(session, entry_id)

    row = run_transaction(engine, dismiss)
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
    console.print(f"quarantine entry {row.id} ({row.source}) dismissed: {why}")


@quarantine_app.command("counts")
def quarantine_counts(
    source: str = typer.Option(None, help="Only this source."),
    as_json: bool = JSON_OPTION,
) -> None:
    """How many quarantine entries each status has: open, conflict, dismissed, accepted
    (retried into events), duplicate."""
    engine = migrated_engine()
    counts = run_transaction(engine, lambda s: repo.quarantine_counts(s, source))
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


@events_app.command("unattributed")
def events_unattributed(
    source: str = typer.Option(None, help="Only this source."),
    limit: int = typer.Option(100, help="At most this many aliases, most events first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Aliases that events name and no member has: the events wait, unattributed, until
    the alias is linked (members import or profiles pull), then count for the member."""
    engine = migrated_engine()
    waiting = run_transaction(engine, lambda s: repo.unattributed_aliases(s, source))
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


def _member_json(
    session: Session, member_id: str, created_at_us: int, today: int
) -> dict[str, Any]:
    aliases = repo.aliases_of(session, [member_id]).get(member_id, [])
    level, paid = repo.profile_on(session, member_id, today)
    return {
        "id": member_id,
        "created_at": us_to_iso(created_at_us),
        "aliases": [f"{source}:{alias}" for source, alias in aliases],
        "level_today": level,
        "paid_member_today": paid,
    }


@members_app.command("list")
def members_list(
    limit: int = typer.Option(100, help="At most this many members, by id."),
    after: str = typer.Option(None, help="Start after this member id (paging)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Members by id: aliases, today's qualification level and paid membership."""
    engine = migrated_engine()
    today = day_of_us(now_us())

    def read(session: Session) -> list[dict[str, Any]]:
        return [
            _member_json(session, row.id, row.created_at_us, today)
            for row in repo.list_members(session, limit, after)
        ]

    members = run_transaction(engine, read, snapshot=True)
    if as_json:
        print_json(members)
        return
    table = Table("id", "aliases", "level today", "paid today", title=f"members ({len(members)})")
    for m in members:
        table.add_row(
            m["id"],
            " ".join(m["aliases"]),
            "" if m["level_today"] is None else str(m["level_today"]),
            "yes" if m["paid_member_today"] else "no",
        )
    console.print(table)


@members_app.command("show")
def members_show(
    member: str = typer.Argument(..., help="Platform member id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """One member: aliases, qualification and membership history, freeze."""
    from systok.economy.repository import member_state

    engine = migrated_engine()
    today = day_of_us(now_us())

    def read(session: Session) -> dict[str, Any]:
        row = repo.find_member(session, member)
        if row is None:
            raise UnknownMember(f"unknown member {member!r}: no member has this platform id")
        data = _member_json(session, row.id, row.created_at_us, today)
        qualifications, memberships = repo.member_history(session, row.id)
        state = member_state(session, row.id, STK)
        data["qualification"] = [
            {"from": date_of_day(day).isoformat(), "level": level} for day, level in qualifications
        ]
        data["membership"] = [
            {
                "from": date_of_day(starts).isoformat(),
                "to": None if ends is None else date_of_day(ends).isoformat(),
            }
            for starts, ends in memberships
        ]
        data["frozen_reason"] = state.frozen_reason if state is not None else None
        return data

    data = run_transaction(engine, read, snapshot=True)
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{data['id']}[/] (known since {data['created_at'][:10]})")
    console.print(f"aliases: {' '.join(data['aliases']) or '(none)'}")
    levels = ", ".join(f"{q['level']} from {q['from']}" for q in data["qualification"])
    console.print(f"qualification: {levels or '(none given)'}")
    periods = ", ".join(f"{m['from']} → {m['to'] or 'open'}" for m in data["membership"])
    console.print(f"paid membership: {periods or '(never)'}")
    if data["frozen_reason"]:
        console.print(f"[bold red]frozen:[/] {data['frozen_reason']}")


@alias_app.command("remove")
def alias_remove(
    source: str = typer.Argument(..., help="The source, e.g. discourse."),
    name: str = typer.Argument(..., help="The member's name there (any case for Discourse)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Unlink a dead alias. Events already attributed through it stay attributed (the
    ledger and settled runs are not touched); later events naming it wait unattributed
    (systok events unattributed) until it is linked again."""
    engine = migrated_engine()

    def remove(session: Session) -> tuple[str, str, str]:
        try:
            key = normalized_identifier(source, SOURCE_LENGTH_MAX)
            spelled = normalized_alias(key, name)
        except ValueError as error:
            raise SystokError(f"alias {ascii(source)[:40]}:{ascii(name)[:80]}: {error}") from None
        # The stored spelling first; then the name exactly as given, for a row stored
        # before aliases had one spelling (migration 0012 leaves a clashing one).
        for candidate in dict.fromkeys((spelled, name)):
            owner = repo.remove_alias(session, key, candidate)
            if owner is not None:
                return key, candidate, owner
        raise AliasNotFound(f"no member has the alias {key}:{spelled}")

    key, removed, owner = run_transaction(engine, remove)
    if as_json:
        print_json({"source": key, "alias": removed, "member": owner, "removed": True})
        return
    console.print(
        f"alias {key}:{removed} removed from {owner}; events already attributed stay "
        "attributed, later ones wait unattributed"
    )
