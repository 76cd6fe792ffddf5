"""``systok db``: create and migrate the database."""

from __future__ import annotations

import typer

from systok.cli.context import engine_from_settings
from systok.cli.output import make_console
from systok.db import migrate
from systok.db.engine import check_reachable

app = typer.Typer(
    help="Create and migrate the database (SQLite by default, PostgreSQL by URL).",
    no_args_is_help=True,
)
console = make_console()


@app.command()
def upgrade(
    revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
) -> None:
    """Migrate the database to the newest schema (creates it if needed)."""
    engine = engine_from_settings()
    check_reachable(engine)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, revision)
    after = migrate.current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    if before == after:
        console.print(f"database {url} is already at {after}")
    else:
        console.print(f"database {url} migrated {before or 'empty'} → {after}")


@app.command()
def current() -> None:
    """Print the database's migration revision and the newest one known."""
    engine = engine_from_settings()
    check_reachable(engine)
    current_rev = migrate.current_revision(engine) or "empty"
    console.print(f"current: {current_rev}  head: {migrate.head_revision(engine)}")
