"""Migrations build exactly the tables the models describe, and go down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from systok.db import migrate
from systok.db.tables import Base


def test_migrated_schema_matches_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_downgrade_then_upgrade(tmp_path):
    from systok.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    migrate.downgrade(engine, "base")
    assert not inspect(engine).has_table("accounts")
    migrate.upgrade(engine)
    assert inspect(engine).has_table("accounts")
