"""``systok report quarterly QUARTER [--json] [--pdf FILE [--lang ru|en]]``: a closed
quarter's report (ADR 0031), as text, JSON or the public PDF (ADR 0039).

The operator's copy: printed whether or not the policy publishes it (the public API
serves it only when ``reports.quarterly_published`` is true).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer

from systok.cli.context import migrated_engine
from systok.cli.files import write_file
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.core.language import DEFAULT_LANGUAGE, Language

console = make_console()


def report_quarterly(
    quarter: str = typer.Argument(..., help="A closed quarter, e.g. 2026-Q3."),
    as_json: bool = JSON_OPTION,
    pdf: Path | None = typer.Option(
        None,
        "--pdf",
        help="Write the public PDF (A4, charts) to this file; with --json the JSON is printed too.",
    ),
    lang: Language | None = typer.Option(
        None, "--lang", help="The PDF's language (default ru); only with --pdf."
    ),
) -> None:
    """The quarter's emission, supply, holders (anonymised), volume, rewards, health,
    redistribution and price, read from what is stored; missing sections are null and
    named in ``missing``."""
    from systok.clock import now
    from systok.db.engine import run_transaction
    from systok.reports.service import parse_quarter, quarterly_report, report_policy

    if lang is not None and pdf is None:
        raise typer.BadParameter("applies to the PDF only: add --pdf FILE", param_hint="--lang")
    wanted = parse_quarter(quarter)
    policy = report_policy(wanted)
    engine = migrated_engine()
    report = run_transaction(
        engine, lambda s: quarterly_report(s, policy, wanted, now=now()), snapshot=True
    )
    document = asdict(report)
    if pdf is not None:
        from systok.documents.quarterly import quarterly_pdf

        data = quarterly_pdf(report, lang or DEFAULT_LANGUAGE)
        write_file(pdf, data, "--pdf")
        if not as_json:
            console.print(f"wrote {pdf} ({len(data)} bytes, {(lang or DEFAULT_LANGUAGE).value})")
            return
    if as_json:
        print_json(document)
        return
    console.print(f"quarterly report {report.quarter} (policy {report.policy_version})")
    for key, value in document.items():
        if key in ("top_holders", "quarter", "policy_version"):
            continue
        console.print(f"  {key}: {value}")
    console.print(f"  top holders: {len(report.top_holders)} (ranks and balances only)")
