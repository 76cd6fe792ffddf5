"""What every command needs: settings, an engine, a migrated database."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from systok.config import Settings, get_settings
from systok.db.engine import make_engine
from systok.db.migrate import current_revision, head_revision
from systok.errors import DatabaseNotReady


def engine_from_settings(settings: Settings | None = None) -> Engine:
    """The engine named by ``SYSTOK_DATABASE_URL`` (default: the embedded SQLite file)."""
    return make_engine((settings or get_settings()).resolved_database_url())


def require_migrated(engine: Engine) -> None:
    """Refuse to work on a database that is not at the newest migration."""
    if not inspect(engine).has_table("alembic_version"):
        raise DatabaseNotReady(
            f"database {engine.url.render_as_string(hide_password=True)} has no SysTok schema; "
            "run `systok db upgrade`"
        )
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise DatabaseNotReady(
            f"database is at migration {current}, this SysTok needs {head}; run `systok db upgrade`"
        )


def migrated_engine(settings: Settings | None = None) -> Engine:
    """The configured engine, refusing a database that is not at the newest migration."""
    engine = engine_from_settings(settings)
    require_migrated(engine)
    return engine
