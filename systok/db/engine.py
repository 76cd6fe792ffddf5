"""Engines and the unit of work.

One request, command or job is one database transaction: ``unit_of_work`` opens it,
commits when the block ends normally and rolls back on any exception. Services take
the session and never commit on their own.

SQLite (the embedded default) runs in WAL mode with ``BEGIN IMMEDIATE``: a writer takes
the write lock when its transaction starts, so two writers queue instead of failing
with "database is locked" halfway through. PostgreSQL runs at READ COMMITTED with
explicit row locks taken in one order (see ``systok.ledger``); a deadlock or
serialization failure that still happens is retried by ``run_transaction`` and never
reaches the caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from systok.config import safe_url
from systok.errors import ConfigurationError, DatabaseUnavailable

T = TypeVar("T")

RETRYABLE_PG_CODES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
RETRY_ATTEMPTS_MAX = 8
POSTGRES_SCHEMES = ("postgresql", "postgres")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for a SQLite or PostgreSQL URL with SysTok's connection setup.

    ``postgres://`` and ``postgresql://`` (what hosting providers hand out) mean the
    psycopg 3 driver. Errors show the URL with its password masked (``safe_url``).
    """
    try:
        parsed = make_url(url)
    except Exception:
        raise ConfigurationError(
            f"SYSTOK_DATABASE_URL {safe_url(url)!r} is not a database URL; "
            "expected sqlite:///path or postgresql://user@host:5432/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _make_sqlite_engine(url, parsed.database, **kwargs)
    if backend in POSTGRES_SCHEMES:
        if parsed.drivername not in ("postgresql+psycopg", "postgresql+psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Twenty connections kept open, none opened beyond them: the same ceiling as
        # 10 + 10 overflow, without closing and reopening the overflow under a burst
        # (32 wrk clients opened ~100 PostgreSQL sessions per 10 s that way, each a
        # fork on the server; bench/api.py prints the count).
        # A caller that sizes the pool itself keeps the old overflow.
        kwargs.setdefault("max_overflow", 0 if "pool_size" not in kwargs else 10)
        kwargs.setdefault("pool_size", 20)
        # No pre-ping (it costs a round trip per checkout): a connection found dead is
        # invalidated by SQLAlchemy and the unit of work retried by run_transaction,
        # which is safe because every ledger write is idempotent by its key.
        return create_engine(parsed, **kwargs)
    raise ConfigurationError(
        f"SYSTOK_DATABASE_URL {safe_url(url)!r}: only sqlite:/// and postgresql:// "
        "(or postgres://, postgresql+psycopg://) are supported"
    )


def display_url(engine: Engine) -> str:
    """The engine's URL as it may be printed: the password masked."""
    return engine.url.render_as_string(hide_password=True)


def check_reachable(engine: Engine) -> None:
    """Open one connection, or say which database failed and why, naming the setting.

    Raises:
        DatabaseUnavailable: the server is unreachable, refuses us, or the database does
            not exist (the driver's first line of reason, never the password).
    """
    try:
        with engine.connect():
            pass
    except (DBAPIError, OSError) as error:
        raise DatabaseUnavailable(
            f"cannot open database {display_url(engine)} (SYSTOK_DATABASE_URL): "
            f"{connection_failure_reason(error)}"
        ) from None


def connection_failure_reason(error: BaseException) -> str:
    """The driver's own words for a failed connection, one line, passwords masked."""
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return safe_url(" ".join(lines) or type(original).__name__)


def _make_sqlite_engine(url: str, database: str | None, **kwargs: Any) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {})
    kwargs["connect_args"].setdefault("check_same_thread", False)
    kwargs["connect_args"].setdefault("timeout", 60)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE instead of pysqlite's
        # deferred BEGIN (the documented recipe for serializable SQLite writers).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def unit_of_work(engine: Engine, *, snapshot: bool = False) -> Iterator[Session]:
    """One database transaction: commit on success, roll back on any exception.

    ``snapshot=True`` makes it a read-only transaction that sees one consistent
    snapshot throughout (REPEATABLE READ on PostgreSQL; SQLite's transactions always
    do), for readers such as the audit that run many statements while others write.
    """
    session = Session(engine, expire_on_commit=False, autoflush=False)
    try:
        with session.begin():
            if snapshot and engine.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                session.execute(text("SET TRANSACTION READ ONLY"))
            yield session
    finally:
        session.close()


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """A transaction that is always rolled back: what a dry run writes never commits.

    The dry runs of the weekly and the quarterly run execute their real stages inside it,
    so a preview is computed by exactly the code that would commit.
    """
    session = Session(engine, expire_on_commit=False, autoflush=False)
    try:
        session.begin()
        yield session
    finally:
        session.rollback()
        session.close()


def ping(session: Session) -> None:
    """One round trip to the database: the health check's probe."""
    session.execute(text("SELECT 1"))


def is_retryable(error: DBAPIError) -> bool:
    """A deadlock, a serialization failure or a locked SQLite file: worth a retry."""
    if error.connection_invalidated:
        return True
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if code in RETRYABLE_PG_CODES:
        return True
    return isinstance(error, OperationalError) and "database is locked" in str(error.orig)


def run_transaction(engine: Engine, work: Callable[[Session], T], *, snapshot: bool = False) -> T:
    """Run ``work`` in a unit of work, retrying deadlocks and serialization failures.

    The whole unit is retried from the start, so ``work`` must derive everything it
    writes from what it reads in the same attempt (ledger operations do).
    """
    for attempt in range(1, RETRY_ATTEMPTS_MAX + 1):
        try:
            with unit_of_work(engine, snapshot=snapshot) as session:
                return work(session)
        except DBAPIError as error:
            if attempt == RETRY_ATTEMPTS_MAX or not is_retryable(error):
                raise
            time.sleep(0.001 * 2**attempt)
    raise AssertionError("unreachable")
