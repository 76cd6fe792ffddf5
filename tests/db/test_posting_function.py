"""The PL/pgSQL PostgreSQL runs is the file in systok/ledger/sql, whole and as rendered.

``pg_get_functiondef`` prints a function from the catalog, so the comparison accepts
exactly what PostgreSQL itself changes and nothing else (see
:func:`as_postgres_prints_it`); the body between the dollar quotes is stored byte for
byte and compared as it is.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from systok.db import migrate
from systok.db.engine import make_engine
from systok.ledger.sql import SQL_DIR, render
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.postgres

POST_FUNCTION = "systok_post_transaction"
REVISION_OF_V1 = "0001"
REVISION_BEFORE_V2 = "0009"


def post_function_files() -> list[Path]:
    """``post_transaction_v<N>.sql``, oldest version first."""
    files = SQL_DIR.glob("post_transaction_v*.sql")
    return sorted(files, key=lambda path: int(path.stem.rpartition("_v")[2]))


def as_postgres_prints_it(sql: str, schema: str) -> str:
    """A rendered ``CREATE FUNCTION`` file as ``pg_get_functiondef`` prints it back.

    What PostgreSQL normalises, and only that:

    * comments outside the body are not stored: the file's leading ``--`` lines go;
    * the signature is reprinted from the catalog, schema-qualified and on one line, so
      the argument list's line breaks and indentation go (one space between tokens, none
      inside the parentheses);
    * the body is always quoted ``$function$`` and the statement's ``;`` is not stored.

    The lines after the signature (`` RETURNS``, `` LANGUAGE``, `` SET``) are written in
    the file the way PostgreSQL prints them, so they are compared verbatim.
    """
    statement = sql[sql.index("CREATE ") :].rstrip()
    head, quote, rest = statement.partition("\nAS $fn$")
    assert quote and rest.endswith("$fn$;"), "one function, its body quoted $fn$"
    signature, closing, options = head.partition("\n)")
    one_line = " ".join(signature.split()).replace("( ", "(") + closing.strip()
    qualified = one_line.replace("FUNCTION ", f"FUNCTION {schema}.", 1)
    body = rest.removesuffix("$fn$;")
    return f"{qualified}{options}\nAS $function${body}$function$\n"


def functiondef(engine: Engine, name: str) -> tuple[str, str]:
    """(``pg_get_functiondef``, schema) of the function ``name``."""
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT pg_get_functiondef(p.oid), n.nspname FROM pg_proc p "
                "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = :name"
            ),
            {"name": name},
        ).one()
    return row[0], row[1]


def assert_installed(engine: Engine, file: Path) -> None:
    installed, schema = functiondef(engine, POST_FUNCTION)
    assert installed == as_postgres_prints_it(render(file.name), schema), file.name


@pytest.fixture
def scratch_engine() -> Iterator[Engine]:
    """An empty database of its own: the test walks the migrations one by one."""
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", pool_size=1)
    name = f"systok_fn_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(POSTGRES_URL).set(database=name))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_after_db_upgrade_the_function_is_the_latest_file(postgres_server_url):
    engine = make_engine(postgres_server_url)
    try:
        assert_installed(engine, post_function_files()[-1])
    finally:
        engine.dispose()


def test_each_revision_installs_its_version_and_downgrade_restores_the_one_before(
    scratch_engine,
):
    first, second = post_function_files()[:2]
    migrate.upgrade(scratch_engine, REVISION_OF_V1)
    assert_installed(scratch_engine, first)
    migrate.upgrade(scratch_engine)
    assert_installed(scratch_engine, second)
    migrate.downgrade(scratch_engine, REVISION_BEFORE_V2)
    assert_installed(scratch_engine, first)


def test_the_append_only_trigger_function_is_its_file(postgres_server_url):
    engine = make_engine(postgres_server_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT prosrc FROM pg_proc WHERE proname = 'systok_refuse_change'")
            ).scalar_one()
    finally:
        engine.dispose()
    quoted = re.search(r"AS \$fn\$(.*?)\$fn\$", render("append_only.sql"), re.DOTALL)
    assert quoted is not None and stored == quoted.group(1)


def test_every_placeholder_has_a_constant_and_typos_are_refused(tmp_path, monkeypatch):
    for file in SQL_DIR.glob("*.sql"):
        assert "{{" not in render(file.name), file.name
    monkeypatch.setattr("systok.ledger.sql.SQL_DIR", tmp_path)
    (tmp_path / "typo.sql").write_text("SELECT {{CHAIN_LANE}}")
    with pytest.raises(KeyError, match="CHAIN_LANE"):
        render("typo.sql")
    (tmp_path / "malformed.sql").write_text("SELECT {{ CHAIN_LANES }}")
    with pytest.raises(ValueError, match="Invalid placeholder"):
        render("malformed.sql")


DEPLOYED_SHA256 = {
    "post_transaction_v1.sql": "b045aedf06e6efc78c0dbf349c2b06d3c80d9b7e5174548b2f43b10be98453b2",
    "post_transaction_v2.sql": "279ae9c029718a92f3db3fb3967734d4a856e7e0c3e58c2c72de1bc6925d72d0",
    "append_only.sql": "c2f226f3c06df6a6a94956ea35674208f90cc239d7249896ff1a63b62b7d819e",
    "member_transfer_v1.sql": "90a1b9db77c6cbd2685a697f49df6f8e56f55369e68a52df7d7e9243d33b0b59",
}
"""sha256 of each file as rendered, from its CREATE on (the leading comments may change)."""


def test_a_deployed_version_never_changes():
    """Migrations are history: a database migrated last year ran exactly this text.

    A new behaviour is a new file and a new migration; changing a shared constant
    (``CHAIN_LANES``, say) shows up here, because the old versions render it too.
    """
    for name, expected in DEPLOYED_SHA256.items():
        rendered = render(name)
        statement = rendered[rendered.index("CREATE ") :]
        assert hashlib.sha256(statement.encode()).hexdigest() == expected, name
    assert {path.name for path in SQL_DIR.glob("*.sql")} == set(DEPLOYED_SHA256)
