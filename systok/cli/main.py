"""Entry point of the ``systok`` command.

Sub-apps are registered here. Every ``SystokError`` is rendered as one clear line on
stderr with the error's own exit code; a user mistake never shows a traceback. Every
message passes through ``safe_url`` first, so a database password never reaches the
terminal. Set ``SYSTOK_DEBUG=1`` to see tracebacks of unexpected errors
(docs/monitoring.md). Logs go to stderr through ``systok.observability.logs``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError

from systok.config import CONFIG_ENV_VAR, get_settings, safe_url
from systok.db.engine import connection_failure_reason
from systok.errors import SystokError

app = typer.Typer(
    name="systok",
    help="SysTok: the STK token economy — policies, ledger, weekly runs, audit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


@app.callback()
def _root(
    config: Path | None = typer.Option(
        None,
        "--config",
        help=f"Settings file (dotenv syntax) to read; the same as {CONFIG_ENV_VAR}=FILE. "
        "Without it no file is read (docs/configuration.md).",
        dir_okay=False,
    ),
) -> None:
    """SysTok: the STK token economy — policies, ledger, weekly runs, audit."""
    if config is not None:
        os.environ[CONFIG_ENV_VAR] = str(config.expanduser().absolute())
        get_settings.cache_clear()
    _configure_logging()  # after --config, so the file's SYSTOK_LOG_* settings count


def _register_subcommands() -> None:
    from systok.cli import api as api_cli
    from systok.cli import config as config_cli
    from systok.cli import db as db_cli
    from systok.cli import demo as demo_cli
    from systok.cli import events as events_cli
    from systok.cli import explain as explain_cli
    from systok.cli import ledger as ledger_cli
    from systok.cli import members as members_cli
    from systok.cli import payout as payout_cli
    from systok.cli import policy as policy_cli
    from systok.cli import pull as pull_cli
    from systok.cli import run as run_cli
    from systok.cli import statement as statement_cli
    from systok.cli import vesting as vesting_cli

    app.add_typer(policy_cli.app, name="policy")
    app.add_typer(db_cli.app, name="db")
    app.add_typer(ledger_cli.app, name="ledger")
    app.add_typer(members_cli.members_app, name="members")
    app.add_typer(events_cli.events_app, name="events")
    app.add_typer(pull_cli.app, name="ingest")
    app.add_typer(run_cli.run_app, name="run")
    app.add_typer(run_cli.report_app, name="report")
    app.command("explain")(explain_cli.explain)
    statement_cli.register(app)
    app.add_typer(run_cli.verify_app, name="verify")
    _register_quarter_economy(run_cli)
    app.add_typer(vesting_cli.vesting_app, name="vesting")
    app.command("serve")(api_cli.serve_command)
    app.add_typer(api_cli.apikey_app, name="apikey")
    members_cli.members_app.command("freeze")(api_cli.freeze_command)
    members_cli.members_app.command("unfreeze")(api_cli.unfreeze_command)
    app.command("audit")(ledger_cli.audit)
    app.command("demo")(demo_cli.demo)
    app.add_typer(payout_cli.app, name="payout")
    ledger_cli.app.command("demo")(ledger_cli.demo)
    app.add_typer(config_cli.app, name="config")
    app.command("doctor")(config_cli.doctor)


def _register_quarter_economy(run_cli: ModuleType) -> None:
    """The quarter's commands (run/verify/report quarter, backing, price, sale,
    stabilise, health) and the notifications they cause."""
    from systok.cli import backing as backing_cli
    from systok.cli import health as health_cli
    from systok.cli import notify as notify_cli
    from systok.cli import quarter as quarter_cli
    from systok.cli import report_quarterly as report_quarterly_cli
    from systok.cli import sale as sale_cli
    from systok.cli import stabilise as stabilise_cli

    run_cli.run_app.command("quarter")(quarter_cli.run_quarter)
    run_cli.verify_app.command("quarter")(quarter_cli.verify_quarter_command)
    run_cli.report_app.command("quarterly")(report_quarterly_cli.report_quarterly)
    app.add_typer(backing_cli.backing_app, name="backing")
    app.add_typer(backing_cli.price_app, name="price")
    app.add_typer(sale_cli.sale_app, name="sale")
    app.add_typer(stabilise_cli.stabilise_app, name="stabilise")
    app.add_typer(notify_cli.notify_app, name="notify")
    app.command("health")(health_cli.health_command)


_register_subcommands()


def render_error(error: SystokError) -> None:
    """Print a SysTok error for a person: ``error: <message>`` (multi-line when it lists)."""
    err_console.print("[bold red]error:[/] ", markup=True, highlight=False, end="")
    err_console.print(safe_url(error.message), markup=False, highlight=False)


def _configure_logging() -> None:
    """Logs of the ``systok`` namespace to stderr (``SYSTOK_LOG_FORMAT``, ``SYSTOK_LOG_LEVEL``).

    Invalid settings are left for the command to report with its own error.
    """
    from pydantic import ValidationError

    from systok.observability.logs import configure_logging

    with contextlib.suppress(ValidationError, SystokError):
        configure_logging(get_settings())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (used by the console script and by tests).

    Typer's standalone mode renders usage errors (exit 2) and ends every run with
    ``SystemExit``; our own errors pass through it and are rendered here. ``--config``
    holds for this call only (the process environment is restored afterwards).
    """
    config_before = os.environ.get(CONFIG_ENV_VAR)
    try:
        app(args=list(argv) if argv is not None else None, prog_name="systok")
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except SystokError as error:
        render_error(error)
        return error.exit_code
    except OperationalError as error:
        # A database that went away mid-command (connections are checked up front).
        err_console.print("[bold red]error:[/] ", markup=True, end="")
        err_console.print(
            f"database failed (SYSTOK_DATABASE_URL): {connection_failure_reason(error)}",
            markup=False,
            highlight=False,
        )
        return 69  # EX_UNAVAILABLE
    except Exception as error:
        if os.environ.get("SYSTOK_DEBUG"):
            raise
        err_console.print("[bold red]internal error:[/] ", markup=True, end="")
        err_console.print(
            safe_url(f"{type(error).__name__}: {error} (set SYSTOK_DEBUG=1 for the traceback)"),
            markup=False,
            highlight=False,
        )
        return 70  # EX_SOFTWARE
    finally:
        if os.environ.get(CONFIG_ENV_VAR) != config_before:
            if config_before is None:
                os.environ.pop(CONFIG_ENV_VAR, None)
            else:
                os.environ[CONFIG_ENV_VAR] = config_before
            get_settings.cache_clear()
    return 0


def entrypoint() -> None:
    """Console-script wrapper: exit with ``main``'s code."""
    sys.exit(main())
