from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from systok.ledger.service import PostingPath

TABLES = ("assets", "accounts", "transactions", "postings", "holds", "journal_chain", "chain_head")


@pytest.fixture(
    params=[
        ("sqlite", PostingPath.PORTABLE),
        pytest.param(("postgres", PostingPath.PORTABLE), marks=pytest.mark.postgres),
        pytest.param(("postgres", PostingPath.FUNCTION), marks=pytest.mark.postgres),
    ],
    ids=["sqlite", "postgres-portable", "postgres-function"],
)
def backend(request: pytest.FixtureRequest, tmp_path) -> tuple[Engine, PostingPath]:
    """(engine, posting path) for each backend and each PostgreSQL posting path."""
    name, path = request.param
    request.node.backend_name = name
    engine = request.getfixturevalue("pg_engine" if name == "postgres" else "sqlite_engine")
    return engine, path


@pytest.fixture
def sqlite_engine(sqlite_template, tmp_path):
    import shutil

    from systok.db.engine import make_engine
    from tests.conftest import reset_ledger

    path = tmp_path / "ledger.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    reset_ledger(engine)
    yield engine
    engine.dispose()


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every ledger table, in primary-key order."""
    with engine.connect() as connection:
        return {
            table: [
                tuple(row)
                for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))
            ]
            for table in TABLES
        }
