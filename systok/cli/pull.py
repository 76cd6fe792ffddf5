"""``systok ingest …``: pull events and profiles from PostHog, Discourse and the platform.

Each command shows a progress bar while it pulls and ends with one summary line of
accepted / duplicate / quarantined (and retracted likes for Discourse), so a cron log
says what a run did. Failures are ``SystokError``s (a missing setting, a source that
kept failing) and end with one clear line and the error's exit code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from systok.cli.context import migrated_engine
from systok.clock import now_us
from systok.config import get_settings
from systok.core.times import MICROS_PER_DAY, TimeError, day_of_date, parse_utc_us
from systok.db.engine import run_transaction
from systok.errors import BadTime
from systok.ingest.pulls import PullSummary
from systok.ingest.sources.discourse_rest import linked_usernames, pull_discourse
from systok.ingest.sources.platform import pull_profiles
from systok.ingest.sources.posthog import pull_posthog
from systok.policy_files import default_policy

app = typer.Typer(
    help="Pull events and member profiles from PostHog, Discourse and the platform.",
    no_args_is_help=True,
)

console = Console(highlight=False)

WINDOW_UNITS_US = {
    "m": 60_000_000,
    "h": 3_600_000_000,
    "d": MICROS_PER_DAY,
    "w": 7 * MICROS_PER_DAY,
}
"""``--since 2d``: a window back from now, in minutes, hours, days or weeks."""


def parse_moment_us(text: str, option: str, *, now: int | None = None) -> int:
    """``2025-05-12`` (midnight UTC), an ISO 8601 timestamp with a zone, or a window back
    from ``now`` (``90m``, ``36h``, ``2d``, ``1w``: what a cron line needs), as UTC micros.
    """
    value = text.strip()
    unit = WINDOW_UNITS_US.get(value[-1:].lower())
    if unit is not None and value[:-1].isdigit():
        return (now if now is not None else now_us()) - int(value[:-1]) * unit
    if len(value) == len("2025-05-12"):
        try:
            return day_of_date(date.fromisoformat(value)) * MICROS_PER_DAY
        except ValueError:
            pass
    try:
        return parse_utc_us(value)
    except TimeError as error:
        raise BadTime(
            f"{option}: {error} (give YYYY-MM-DD, e.g. 2025-05-12T00:00:00Z, or a window "
            "back from now such as 36h or 2d)"
        ) from None


@contextmanager
def _progress(description: str) -> Iterator[Progress]:
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        progress.add_task(description, total=None, counts="")
        yield progress


def _report(source: str, summary: PullSummary) -> None:
    for note in summary.notes:
        console.print(f"  {note}")
    for key in summary.retracted:
        console.print(f"  retracted {key}")
    console.print(f"{source}: {summary.line()}")


@app.command("posthog")
def posthog(
    since: str | None = typer.Option(
        None, help="Start (YYYY-MM-DD or ISO timestamp). Default: resume after the cursor."
    ),
    until: str | None = typer.Option(None, help="End, exclusive. Default: now."),
    backfill: bool = typer.Option(
        False, "--backfill", help="Import history: the live age limit does not apply."
    ),
) -> None:
    """Pull PostHog events (HogQL query API), committing each page with the cursor."""
    settings = get_settings()
    engine = migrated_engine(settings)
    policy = default_policy(settings)
    since_us = parse_moment_us(since, "--since") if since else None
    until_us = parse_moment_us(until, "--until") if until else None
    with _progress("posthog") as progress:
        task = progress.task_ids[0]

        def on_page(summary: PullSummary) -> None:
            progress.update(task, counts=f"page {summary.pages}: {summary.line()}")

        result = pull_posthog(
            engine,
            settings,
            policy,
            since_us=since_us,
            until_us=until_us,
            live=not backfill,
            on_page=on_page,
        )
    _report("posthog", result)


@app.command("discourse")
def discourse(
    since: str = typer.Option(
        ...,
        help=(
            "Start: YYYY-MM-DD, an ISO timestamp, or a window back from now (2d, 36h). "
            "The safety net for missed webhooks: run it every 6 hours with --since 2d."
        ),
    ),
    until: str | None = typer.Option(None, help="End, exclusive. Default: now."),
    username: list[str] | None = typer.Option(
        None, "--username", help="Only this user (repeatable). Default: every linked alias."
    ),
) -> None:
    """Backfill and reconcile Discourse activity; mark removed likes retracted.

    Discourse does not retry a failed webhook unless told to, so this is what stores
    the topics, replies and likes a webhook missed (docs/ingestion-pull.md).
    """
    settings = get_settings()
    engine = migrated_engine(settings)
    policy = default_policy(settings)
    now = now_us()
    since_us = parse_moment_us(since, "--since", now=now)
    until_us = parse_moment_us(until, "--until", now=now) if until else now
    names = list(username) if username else run_transaction(engine, linked_usernames)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("discourse", total=len(names))

        def on_user(name: str, summary: PullSummary) -> None:
            progress.update(task, advance=1, description=f"discourse {name}")

        result = pull_discourse(
            engine,
            settings,
            policy,
            since_us=since_us,
            until_us=until_us,
            usernames=names,
            on_user=on_user,
        )
    _report("discourse", result)


@app.command("profiles")
def profiles(
    full: bool = typer.Option(
        False, "--full", help="Read every member, not only those changed since the last pull."
    ),
) -> None:
    """Pull member profiles (qualification, membership, aliases) from the platform."""
    settings = get_settings()
    engine = migrated_engine(settings)
    policy = default_policy(settings)
    with _progress("profiles") as progress:
        task = progress.task_ids[0]

        def on_page(summary: PullSummary) -> None:
            progress.update(task, counts=f"page {summary.pages}: {summary.received} members")

        result = pull_profiles(engine, settings, policy, full=full, on_page=on_page)
    console.print(
        f"  {result.accepted} member(s) stored, {result.quarantined} refused, "
        f"{result.pages} page(s)"
    )
    _report("profiles", result)
