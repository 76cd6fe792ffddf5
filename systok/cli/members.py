"""``systok members …``: import profiles and aliases, list and show members, remove an
alias (freeze and unfreeze are the economy's, registered here by ``cli.main``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from systok.cli.context import migrated_engine
from systok.cli.events import finish_import
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.clock import now_us
from systok.core.times import date_of_day, day_of_us, us_to_iso
from systok.db.engine import run_transaction
from systok.ingest.files import import_members
from systok.ingest.members import member_details, member_summaries, remove_alias
from systok.ingest.schemas import MemberSummary

members_app = typer.Typer(
    help="Members: import profiles and aliases, list and show them, remove an alias.",
    no_args_is_help=True,
)
alias_app = typer.Typer(help="A member's names at other sources.", no_args_is_help=True)
members_app.add_typer(alias_app, name="alias")
console = make_console()


def _summary_json(member: MemberSummary) -> dict[str, Any]:
    return {
        "id": member.id,
        "created_at": us_to_iso(member.created_at_us),
        "aliases": [f"{source}:{alias}" for source, alias in member.aliases],
        "level_today": member.level_today,
        "paid_member_today": member.paid_member_today,
    }


@members_app.command("import")
def members_import(
    file: Path = typer.Argument(..., help="JSON lines, one member each."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Import members: aliases and effective-dated qualification and membership history.

    Exit 3 when some lines were quarantined (the others are stored).
    """
    engine = migrated_engine()
    finish_import(import_members(engine, file), f"members from {file}", as_json)


@members_app.command("list")
def members_list(
    limit: int = typer.Option(100, help="At most this many members, by id."),
    after: str = typer.Option(None, help="Start after this member id (paging)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Members by id: aliases, today's qualification level and paid membership."""
    engine = migrated_engine()
    today = day_of_us(now_us())
    summaries = run_transaction(
        engine,
        lambda s: member_summaries(s, limit=limit, after=after, today=today),
        snapshot=True,
    )
    members = [_summary_json(member) for member in summaries]
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
    engine = migrated_engine()
    today = day_of_us(now_us())
    details = run_transaction(engine, lambda s: member_details(s, member, today), snapshot=True)
    data = _summary_json(details.summary)
    data["qualification"] = [
        {"from": date_of_day(day).isoformat(), "level": level}
        for day, level in details.qualifications
    ]
    data["membership"] = [
        {
            "from": date_of_day(starts).isoformat(),
            "to": None if ends is None else date_of_day(ends).isoformat(),
        }
        for starts, ends in details.memberships
    ]
    data["frozen_reason"] = details.frozen_reason
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
    key, removed, owner = run_transaction(engine, lambda s: remove_alias(s, source, name))
    if as_json:
        print_json({"source": key, "alias": removed, "member": owner, "removed": True})
        return
    console.print(
        f"alias {key}:{removed} removed from {owner}; events already attributed stay "
        "attributed, later ones wait unattributed"
    )
