"""``systok serve`` (the HTTP API under uvicorn) and ``systok apikey …``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.table import Table

from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.clock import now_us
from systok.config import Settings, get_settings
from systok.core.times import us_to_iso
from systok.db.engine import run_transaction

if TYPE_CHECKING:
    from fastapi import FastAPI

apikey_app = typer.Typer(
    help="API keys for the HTTP API (only their hash is stored).", no_args_is_help=True
)
console = make_console()


def served_app(settings: Settings) -> FastAPI:
    """The app exactly as ``systok serve`` runs it (tests serve this same build)."""
    from systok.api.app import create_app

    return create_app(migrated_engine(settings), settings)


def worker_app() -> FastAPI:
    """The app factory each ``systok serve --workers N`` process calls (settings from env).

    A worker is a fresh process: it sets up the same log handlers as the parent.
    """
    from systok.observability.logs import configure_logging

    settings = get_settings()
    configure_logging(settings)
    return served_app(settings)


def serve_command(
    host: str | None = typer.Option(None, help="Address to bind (default: SYSTOK_API_HOST)."),
    port: int | None = typer.Option(None, help="Port to listen on (default: SYSTOK_API_PORT)."),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        envvar="SYSTOK_API_WORKERS",
        help="Worker processes sharing the port (env SYSTOK_API_WORKERS). Above 1, set "
        "SYSTOK_CURSOR_SECRET or one key is drawn at start and shared by the workers.",
    ),
    proxy_headers: bool = typer.Option(
        True,
        "--proxy-headers/--no-proxy-headers",
        help="Take the client address and scheme from X-Forwarded-For/-Proto, but only "
        "from the addresses in --forwarded-allow-ips.",
    ),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1",
        "--forwarded-allow-ips",
        envvar="SYSTOK_FORWARDED_ALLOW_IPS",
        help="Comma-separated proxy addresses (or networks) whose forwarded headers are "
        "trusted (env SYSTOK_FORWARDED_ALLOW_IPS); '*' trusts any peer: only behind a "
        "firewall that lets nothing but the proxy reach the port.",
    ),
) -> None:
    """Run the HTTP API (member and admin API, event batches, webhooks, health, metrics).

    Put it behind a reverse proxy (docs/operations.md): bind to 127.0.0.1 or a private
    address, let the proxy terminate TLS, and name the proxy in --forwarded-allow-ips.
    """
    import os
    import secrets

    import uvicorn

    from systok.observability.logs import configure_logging

    settings = get_settings()
    configure_logging(settings)  # uvicorn's loggers too: log_config=None keeps ours
    app: FastAPI | str = served_app(settings) if workers == 1 else "systok.cli.api:worker_app"
    if workers > 1:
        # Refuse an unmigrated database once, here, not in N workers at the same time.
        migrated_engine(settings).dispose()
        if not settings.cursor_secret:
            # A cursor signed by one worker must verify in the next: one key for all of
            # them (the workers inherit the environment). It still dies with the process.
            os.environ["SYSTOK_CURSOR_SECRET"] = secrets.token_hex(32)
    uvicorn.run(
        app,
        host=host or settings.api_host,
        port=port if port is not None else settings.api_port,
        workers=workers if workers > 1 else None,
        factory=workers > 1,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        log_config=None,
    )


@apikey_app.command("create")
def create(
    name: str = typer.Argument(..., help="A name for the key, e.g. posthog-relay."),
    scope: list[str] = typer.Option(
        ["events:write"],
        "--scope",
        help="A scope to grant (repeatable): events:write, admin:read, stats:read, "
        "transfers:write, purchases:write.",
    ),
) -> None:
    """Create a key and print it once: it cannot be shown again."""
    from systok.access.service import create_api_key

    engine = migrated_engine()
    info, key = run_transaction(engine, lambda s: create_api_key(s, name, scope, now_us()))
    console.print(f"created API key {info.name!r} with scopes {' '.join(sorted(info.scopes))}")
    console.print("store it now, it is not shown again:", style="bold")
    typer.echo(key)


@apikey_app.command("list")
def list_keys(as_json: bool = JSON_OPTION) -> None:
    """List keys: name, prefix, scopes, created, revoked (never the key)."""
    from systok.access.service import list_api_keys

    engine = migrated_engine()
    keys = run_transaction(engine, list_api_keys)
    if as_json:
        print_json(
            [
                {
                    "name": info.name,
                    "prefix": info.display_prefix.removesuffix("…"),
                    "scopes": sorted(info.scopes),
                    "created_at": us_to_iso(info.created_at_us),
                    "revoked_at": (
                        us_to_iso(info.revoked_at_us) if info.revoked_at_us is not None else None
                    ),
                }
                for info in keys
            ]
        )
        return
    table = Table("name", "prefix", "scopes", "created", "revoked", title="API keys")
    for info in keys:
        table.add_row(
            info.name,
            info.display_prefix,
            " ".join(sorted(info.scopes)),
            us_to_iso(info.created_at_us),
            us_to_iso(info.revoked_at_us) if info.revoked_at_us is not None else "",
        )
    console.print(table)


@apikey_app.command("revoke")
def revoke(name: str = typer.Argument(..., help="The key's name.")) -> None:
    """Revoke a key at once; requests with it get 401 from now on."""
    from systok.access.service import revoke_api_key

    engine = migrated_engine()
    info = run_transaction(engine, lambda s: revoke_api_key(s, name, now_us()))
    assert info.revoked_at_us is not None
    console.print(f"API key {info.name!r} revoked at {us_to_iso(info.revoked_at_us)}")


def freeze_command(
    member: str = typer.Argument(..., help="Platform member id."),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the freeze)."),
) -> None:
    """Freeze a member's account: no transfers in or out, no purchases, until unfrozen."""
    from systok.economy.members import freeze_member

    engine = migrated_engine()
    changed = run_transaction(engine, lambda s: freeze_member(s, member, reason, now_us()))
    console.print(f"{member} frozen" if changed else f"{member} was frozen already")


def unfreeze_command(member: str = typer.Argument(..., help="Platform member id.")) -> None:
    """Lift a member's freeze."""
    from systok.economy.members import unfreeze_member

    engine = migrated_engine()
    changed = run_transaction(engine, lambda s: unfreeze_member(s, member))
    console.print(f"{member} unfrozen" if changed else f"{member} was not frozen")
