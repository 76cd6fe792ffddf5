"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is found at ``SYSTOK_TEST_POSTGRES_URL`` (default: the local server's
``test`` database). Each test session creates its own scratch database there and drops
it at the end. Without a reachable server the PostgreSQL cases are skipped, unless
``SYSTOK_REQUIRE_POSTGRES=1`` (set by CI), which turns the skip into a failure.

The clock: a test whose outcome depends on the date is marked ``@pytest.mark.clock``.
With ``SYSTOK_TEST_TODAY=YYYY-MM-DD`` every such test runs with the clock moved to noon
UTC of that day (time-machine; the clock keeps ticking from there); without it they run
today. CI runs them on a day of ISO week 2026-W53, on 2028-02-29 and today (.ci/run).
``SYSTOK_TEST_TODAY_ALL=1`` moves the clock for every test: the audit that finds a test
depending on the date without its mark.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from systok.db import migrate
from systok.db.engine import make_engine, run_transaction
from systok.db.tables import Base
from systok.ledger.service import Ledger

POSTGRES_URL = os.environ.get(
    "SYSTOK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("SYSTOK_REQUIRE_POSTGRES", "") not in ("", "0", "false")
REQUIRE_PDF_TOOLS = os.environ.get("SYSTOK_REQUIRE_PDF_TOOLS", "") not in ("", "0", "false")
PDF_TOOLS = ("pdftotext", "pdffonts", "pdftoppm")
KEPT_TABLES = ("alembic_version", "chain_head")
TEST_ASSETS = {"STK": 6, "RUB": 2}


def frozen_today() -> date | None:
    """The day ``SYSTOK_TEST_TODAY`` names, or None to run on the real date."""
    text = os.environ.get("SYSTOK_TEST_TODAY", "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise pytest.UsageError(f"SYSTOK_TEST_TODAY={text!r} is not a YYYY-MM-DD date") from None


@pytest.fixture(autouse=True)
def _clock_at_test_today(request: pytest.FixtureRequest) -> Iterator[None]:
    """Move the clock to ``SYSTOK_TEST_TODAY`` (noon UTC) for ``clock``-marked tests."""
    day = frozen_today()
    every_test = os.environ.get("SYSTOK_TEST_TODAY_ALL", "") not in ("", "0")
    if day is None or (request.node.get_closest_marker("clock") is None and not every_test):
        yield
        return
    with time_machine.travel(datetime.combine(day, time(12), UTC), tick=True):
        yield


@pytest.fixture(scope="session")
def poppler() -> None:
    """Poppler's command-line tools, which tests use to read PDFs back as a reader would.

    Skipped where they are missing (``apt-get install poppler-utils``), unless
    ``SYSTOK_REQUIRE_PDF_TOOLS=1`` (set by CI), which turns the skip into a failure.
    """
    missing = [tool for tool in PDF_TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"poppler-utils missing: {', '.join(missing)}"
        if REQUIRE_PDF_TOOLS:
            pytest.fail(message + " (SYSTOK_REQUIRE_PDF_TOOLS is set)")
        pytest.skip(message)


def _postgres_admin_url() -> str:
    return make_url(POSTGRES_URL).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of a scratch PostgreSQL database for this test session (migrated)."""
    admin = make_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT", pool_size=1)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        admin.dispose()
        message = f"PostgreSQL not reachable at {POSTGRES_URL}: {type(error).__name__}"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (SYSTOK_REQUIRE_POSTGRES is set)")
        pytest.skip(message)
    name = f"systok_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


def reset_ledger(engine: Engine) -> None:
    """Empty every table (the chain head back to genesis), then register the test assets."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("UPDATE chain_head SET seq = 0, hash = :zero"), {"zero": bytes(32)})
    run_transaction(engine, lambda session: Ledger(session).ensure_assets(TEST_ASSETS))


def empty_database_url(request: pytest.FixtureRequest, folder: Path) -> str:
    """A migrated, emptied database on the backend ``request.param`` names (``sqlite``: a
    copy of the template in ``folder``; ``postgres``: the session's scratch database), for
    tests that hand a URL to a server process."""
    if request.param == "sqlite":
        path = folder / "systok.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_server_url")
    engine = make_engine(url)
    reset_ledger(engine)
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty ledger database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "systok.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        db = make_engine(f"sqlite:///{path}")
    else:
        db = make_engine(request.getfixturevalue("postgres_server_url"))
    reset_ledger(db)
    yield db
    db.dispose()


@pytest.fixture
def pg_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated, empty ledger database on PostgreSQL only."""
    db = make_engine(request.getfixturevalue("postgres_server_url"), pool_size=20)
    reset_ledger(db)
    yield db
    db.dispose()


@pytest.fixture
def cli_on(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The CLI pointed at the test's database (SQLite file or PostgreSQL)."""
    from systok.config import get_settings

    monkeypatch.setenv("SYSTOK_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("SYSTOK_POLICY", raising=False)
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()
