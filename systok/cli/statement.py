"""``systok statement`` and ``systok proof``: a member's weekly statement and the Merkle
proof of their reward, the same documents the API serves (docs/statement.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from systok.cli.context import migrated_engine
from systok.cli.files import write_file
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.cli.run import parse_week
from systok.core.language import Language
from systok.db.engine import run_transaction
from systok.documents.statement import render_statement
from systok.documents.statement_service import member_language, member_proof, member_statement

console = make_console()


def statement(
    member: str = typer.Argument(..., help="Platform member id."),
    week: str = typer.Argument(..., help="ISO week, e.g. 2026-W05."),
    language: Language | None = typer.Option(
        None, "--lang", help="Language of the PDF (default: the member's profile, else ru)."
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Write the PDF here.", dir_okay=False
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """A member's weekly statement: the reward and how it was computed, the previous
    week, the last 12 weeks, recommendations, the policy and the Merkle proof. Writes
    the A4 PDF with -o FILE; --json prints the same content (amounts as decimal text
    with the policy's scale, as the API writes them)."""
    if output is None and not as_json:
        raise typer.BadParameter(
            "give -o FILE for the PDF, or --json for its content", param_hint="-o/--json"
        )
    iso_week = str(parse_week(week))
    found, own_language = run_transaction(
        migrated_engine(),
        lambda s: (member_statement(s, member, iso_week), member_language(s, member)),
        snapshot=True,
    )
    if as_json:
        print_json(found.model_dump(mode="json"))
    if output is not None:
        data = render_statement(found, language or own_language)
        write_file(output, data, "-o/--output")
        if not as_json:
            console.print(f"{member}, {iso_week}: {found.paid} STK → {output} ({len(data)} bytes)")


def proof(
    member: str = typer.Argument(..., help="Platform member id."),
    week: str = typer.Argument(..., help="ISO week, e.g. 2026-W05."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The Merkle proof of a member's paid reward in a week: the leaf, the path of
    sibling hashes and the root, to recompute as docs/statement.md describes."""
    iso_week = str(parse_week(week))
    found = run_transaction(
        migrated_engine(), lambda s: member_proof(s, member, iso_week), snapshot=True
    )
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    console.print(f"leaf  {found.leaf}  ({found.leaf_text})")
    for step in found.path:
        console.print(f"{step.side}     {step.sibling}")
    console.print(f"root  {found.root}  ({'verified' if found.verified else 'NOT verified'})")


def register(app: typer.Typer) -> None:
    """Add ``statement`` and ``proof`` to the root command."""
    app.command("statement")(statement)
    app.command("proof")(proof)
