"""``systok config show`` and ``systok doctor``: what is configured, and does it work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from pydantic_settings import EnvSettingsSource
from rich.console import Console
from rich.table import Table

from systok.cli.output import JSON_OPTION, print_json
from systok.config import (
    PATH_FIELDS,
    Settings,
    config_file_path,
    env_name,
    is_secret,
    load_settings,
    mask_value,
    safe_url,
)
from systok.errors import SettingsInvalid

app = typer.Typer(help="Show the settings SysTok runs with.", no_args_is_help=True)
console = Console()

DOCTOR_FAILED_EXIT = 1


def settings_view(settings: Settings, config_file: Path | None) -> list[dict[str, Any]]:
    """Every setting with its value (secrets masked) and where the value came from.

    The source is ``environment``, ``config file`` or ``default``: pydantic-settings
    reads each source separately, so each is asked which settings it holds.
    """
    from_env = set(EnvSettingsSource(Settings)().keys())
    from_file: set[str] = set()
    if config_file is not None:
        from systok.config import _ConfigFileSource

        from_file = set(_ConfigFileSource(Settings, env_file=config_file)().keys())
    rows = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if name in PATH_FIELDS and value is not None:
            value = Path(value).expanduser().absolute()
        if name in from_env:
            source = "environment"
        elif name in from_file:
            source = "config file"
        else:
            source = "default"
        rows.append(
            {
                "name": name,
                "env": env_name(name),
                "value": mask_value(name, value),
                "secret": is_secret(name),
                "source": source,
            }
        )
    return rows


@app.command("show")
def show(as_json: bool = JSON_OPTION) -> None:
    """Print every setting, where it came from, and the database in use (secrets masked)."""
    config_file = config_file_path()
    settings = load_settings(config_file)
    rows = settings_view(settings, config_file)
    database = safe_url(settings.resolved_database_url())
    if as_json:
        print_json(
            {
                "config_file": None if config_file is None else str(config_file),
                "database": database,
                "settings": rows,
            }
        )
        return
    console.print(f"config file: {config_file or 'none (environment only)'}", markup=False)
    console.print(f"database: {database}", markup=False)
    table = Table("setting", "value", "source")
    for row in rows:
        value = "" if row["value"] is None else str(row["value"])
        table.add_row(row["env"], value, row["source"])
    console.print(table)


def doctor(as_json: bool = JSON_OPTION) -> None:
    """Check the database, migrations, keys, payout adapter and chain, webhook secret and
    clock; exit 1 naming each problem when any check fails."""
    from systok.doctor import Check, run_checks

    config_file = config_file_path()
    try:
        settings = load_settings(config_file)
    except SettingsInvalid as error:
        checks = [Check("settings", "fail", str(problem)) for problem in error.problems]
    else:
        checks = run_checks(settings, config_file)
    failed = [check for check in checks if check.status == "fail"]
    if as_json:
        print_json({"ok": not failed, "checks": [check.as_json() for check in checks]})
    else:
        style = {"ok": "green", "warn": "yellow", "fail": "bold red"}
        for check in checks:
            console.print(f"[{style[check.status]}]{check.status:>4}[/] {check.name}: ", end="")
            console.print(check.reason, markup=False, highlight=False)
    if failed:
        raise typer.Exit(DOCTOR_FAILED_EXIT)
