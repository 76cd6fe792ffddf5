"""Run Alembic migrations programmatically (``systok db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that reuses ``engine`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # configparser treats "%" as interpolation: an URL-encoded password ("p%40ss") would
    # make Alembic refuse the config, so it is doubled here.
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to ``revision`` (``base`` drops everything)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    """The newest revision this version of SysTok knows."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def missing_revisions(engine: Engine) -> list[str]:
    """Revisions between the database's and the newest, oldest first (all, if empty)."""
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    current = current_revision(engine)
    head = scripts.get_current_head()
    if head is None or current == head:
        return []
    lower = current if current is not None else "base"
    revisions = scripts.iterate_revisions(head, lower)
    return [revision.revision for revision in reversed(list(revisions))]
