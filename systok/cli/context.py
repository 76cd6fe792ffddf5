"""What every command needs: settings, an engine, a migrated database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect

from systok.config import Settings, get_settings
from systok.db.engine import check_reachable, display_url, make_engine
from systok.db.migrate import current_revision, head_revision, missing_revisions
from systok.errors import DatabaseNotReady


def engine_from_settings(settings: Settings | None = None) -> Engine:
    """The engine named by ``SYSTOK_DATABASE_URL`` (default: the embedded SQLite file)."""
    return make_engine((settings or get_settings()).resolved_database_url())


def require_migrated(engine: Engine) -> None:
    """Refuse to work on a database that is unreachable or not at the newest migration.

    Raises:
        DatabaseUnavailable: it cannot be opened (names the database and the setting).
        DatabaseNotReady: no SysTok schema, or behind (names the missing revisions).
    """
    database = engine.url.database
    embedded_file = engine.dialect.name == "sqlite" and database and database != ":memory:"
    if embedded_file and not Path(str(database)).exists():  # connecting would create it
        raise DatabaseNotReady(
            f"database file {Path(str(database)).absolute()} does not exist: run `systok db "
            "upgrade` to create it, or name the settings of an existing setup with "
            "--config / SYSTOK_CONFIG (docs/configuration.md)"
        )
    check_reachable(engine)
    if not inspect(engine).has_table("alembic_version"):
        raise DatabaseNotReady(
            f"database {display_url(engine)} has no SysTok schema; run `systok db upgrade`"
        )
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        missing = ", ".join(missing_revisions(engine))
        raise DatabaseNotReady(
            f"database {display_url(engine)} is at migration {current}, this SysTok needs "
            f"{head} (missing: {missing}); run `systok db upgrade`"
        )


def migrated_engine(settings: Settings | None = None) -> Engine:
    """The configured engine, refusing a database that is not at the newest migration."""
    engine = engine_from_settings(settings)
    require_migrated(engine)
    return engine
