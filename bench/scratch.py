"""Scratch PostgreSQL databases for the benchmarks: a fresh name each run, dropped after.

Every benchmark that measures PostgreSQL works in a database of its own, so a run never
sees (or leaves) another run's rows; ``DROP … WITH (FORCE)`` ends connections a crashed
worker left open.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from systok.db.engine import make_engine


def _admin_sql(server_url: str, statement: str) -> None:
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT", pool_size=1)
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def create_database(server_url: str, prefix: str) -> str:
    """A new empty database on the server of ``server_url``; returns its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    _admin_sql(server_url, f'CREATE DATABASE "{name}"')
    return name


def drop_database(server_url: str, name: str) -> None:
    _admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(server_url: str, name: str) -> str:
    """``server_url`` pointing at database ``name``, password kept (the engine needs it)."""
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new empty database, dropped when the block ends (also on failure)."""
    name = create_database(server_url, prefix)
    try:
        yield database_url(server_url, name)
    finally:
        drop_database(server_url, name)


def add_paid_members(connection: Connection, member_ids: list[str], starts_day: int) -> None:
    """Members with an open-ended paid membership from ``starts_day`` (untimed setup)."""
    connection.execute(
        text("INSERT INTO members (id, created_at_us) VALUES (:id, 0)"),
        [{"id": m} for m in member_ids],
    )
    connection.execute(
        text(
            "INSERT INTO member_memberships (member_id, starts_day, ends_day) VALUES (:m, :s, NULL)"
        ),
        [{"m": m, "s": starts_day} for m in member_ids],
    )
