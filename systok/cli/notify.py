"""``systok notify dispatch|list|retry|profile``: the notification outbox and members'
notification profiles (ADR 0037, docs/notifications.md)."""

from __future__ import annotations

import time
from typing import Any

import typer
from rich.table import Table

from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.core.language import Language

console = make_console()

notify_app = typer.Typer(
    help="Notifications: send the outbox, list and retry messages, set profiles.",
    no_args_is_help=True,
)


def message_document(message: Any) -> dict[str, Any]:
    """An outbox message as ``--json`` prints it (docs/cli-json.md)."""
    from systok.core.times import us_to_iso

    return {
        "id": message.id,
        "kind": message.kind,
        "member": message.member_id,
        "channel": message.channel.value,
        "address": message.address,
        "language": message.language,
        "subject": message.subject,
        "message_id": message.message_id,
        "status": message.status.value,
        "attempts": message.attempts,
        "next_attempt_at": us_to_iso(message.next_attempt_at_us),
        "last_error": message.last_error,
        "created_at": us_to_iso(message.created_at_us),
        "sent_at": None if message.sent_at_us is None else us_to_iso(message.sent_at_us),
    }


@notify_app.command("dispatch")
def notify_dispatch(
    once: bool = typer.Option(False, "--once", help="One pass, then exit (cron)."),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Messages claimed per pass (default SYSTOK_NOTIFY_BATCH_MAX)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Send due messages: claim, send, mark; retried with backoff, parked when refused.

    Without --once it keeps going, pausing SYSTOK_NOTIFY_POLL_SECONDS when nothing is
    due, until interrupted. Several dispatchers may run at once.
    """
    from dataclasses import asdict

    from systok.config import get_settings
    from systok.notify.dispatcher import channels_from, dispatch_once, retry_rule_from

    settings = get_settings()
    engine = migrated_engine(settings)
    channels, rule = channels_from(settings), retry_rule_from(settings)
    batch = limit or settings.notify_batch_max
    while True:
        summary = dispatch_once(engine, channels, rule, limit=batch)
        if as_json:
            print_json(asdict(summary))
        elif summary.claimed or once:
            console.print(
                f"claimed {summary.claimed}: sent {summary.sent}, "
                f"deferred {summary.deferred}, parked {summary.parked}, lost {summary.lost}"
            )
        if once:
            return
        if not summary.claimed:
            time.sleep(settings.notify_poll_seconds)


@notify_app.command("list")
def notify_list(
    failed: bool = typer.Option(False, "--failed", help="Only parked messages."),
    limit: int = typer.Option(100, "--limit", min=1, max=1000, help="At most this many."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Outbox messages, newest first, with their status and last error."""
    from systok.db.engine import run_transaction
    from systok.notify.schemas import OutboxStatus
    from systok.notify.service import list_messages

    status = OutboxStatus.PARKED if failed else None
    rows = run_transaction(
        migrated_engine(), lambda s: list_messages(s, status=status, limit=limit)
    )
    if as_json:
        print_json([message_document(m) for m in rows])
        return
    table = Table("id", "kind", "member", "channel", "status", "attempts", "last error")
    for m in rows:
        table.add_row(
            str(m.id),
            m.kind,
            m.member_id or "",
            m.channel.value,
            m.status.value,
            str(m.attempts),
            m.last_error or "",
        )
    console.print(table)


@notify_app.command("retry")
def notify_retry(
    message_id: int = typer.Argument(..., help="The message's id (systok notify list)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Make a parked or waiting message due now (its attempts counted afresh)."""
    from systok.clock import now_us
    from systok.db.engine import run_transaction
    from systok.notify.service import retry_message

    done = run_transaction(
        migrated_engine(), lambda s: retry_message(s, message_id, now_us=now_us())
    )
    if as_json:
        print_json(message_document(done))
        return
    console.print(f"message {done.id} ({done.kind} to {done.address}): due now")


@notify_app.command("profile")
def notify_profile(  # noqa: PLR0917 - Typer passes options by name
    member: str = typer.Argument(..., help="The member's id."),
    email: str | None = typer.Option(None, "--email", help="Email address ('' clears)."),
    telegram: str | None = typer.Option(
        None, "--telegram", help="Telegram chat id or @channel ('' clears)."
    ),
    language: Language | None = typer.Option(None, "--lang", help="ru or en."),
    admin: bool | None = typer.Option(
        None, "--admin/--no-admin", help="Receives administrators' messages."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a member's notification profile, or change the fields given."""
    from systok.clock import now_us
    from systok.db.engine import run_transaction
    from systok.notify.schemas import ProfileChange
    from systok.notify.service import profile, update_profile

    given = {"email": email, "telegram_chat_id": telegram, "language": language, "admin": admin}
    changed = frozenset(name for name, value in given.items() if value is not None)
    change = ProfileChange(
        changed=changed, email=email, telegram_chat_id=telegram, language=language, admin=admin
    )
    options = {"email": "--email", "telegram_chat_id": "--telegram", "language": "--lang"}

    def option(name: str) -> str:
        return options.get(name, f"--{name}")

    engine = migrated_engine()
    if changed:
        found = run_transaction(
            engine,
            lambda s: update_profile(s, member, change, now_us=now_us(), field_name=option),
        )
    else:
        found = run_transaction(engine, lambda s: profile(s, member))
    document = {
        "member": found.member_id,
        "email": found.email,
        "telegram_chat_id": found.telegram_chat_id,
        "language": found.language.value,
        "opt_outs": sorted(k.value for k in found.opt_outs),
        "admin": found.admin,
    }
    if as_json:
        print_json(document)
        return
    for name, value in document.items():
        console.print(f"{name}: {value}")
