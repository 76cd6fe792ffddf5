"""Configuration an operator can get wrong: where settings come from, `systok config show`,
`systok doctor`, and clear (password-free) errors for bad database settings (ADR 0013).

The CLI runs as a subprocess with a clean environment and its working directory in the
test's tmp folder, as a cron job would; tests read ``--json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine
from alembic.script import ScriptDirectory
from solders.keypair import Keypair
from sqlalchemy import text
from sqlalchemy.engine import make_url

from systok import clock
from systok.config import Settings, config_file_path, load_settings, safe_url
from systok.db import migrate
from systok.db.engine import make_engine
from systok.doctor import run_checks
from systok.errors import ConfigurationError, DatabaseUnavailable, SettingsInvalid
from systok.payout.adapters import make_adapter
from systok.payout.chain import load_keypair
from systok.payout.embedded import EmbeddedChain
from tests.conftest import POSTGRES_URL
from tests.payout.rpc_server import LoopbackRpc

PASSWORD = "hunter2-Sekr3t"
ROOT = Path(__file__).resolve().parents[2]


def systok(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI like a cron job: only the given SYSTOK_* settings, cwd elsewhere."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SYSTOK_")}
    clean |= {"COLUMNS": "200", "PYTHONPATH": str(ROOT)} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "systok.cli", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def checks_of(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, str]]:
    document = json.loads(result.stdout)
    return {check["name"]: check for check in document["checks"]}


@pytest.fixture
def empty_pg_database(postgres_server_url: str) -> Iterator[str]:
    """A PostgreSQL database that exists but was never migrated."""
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", pool_size=1)
    name = f"systok_doctor_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- where settings come from -------------------------------------------------------


def test_config_file_named_by_option_resolves_relative_paths_against_its_folder(tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    config = etc / "systok.env"
    config.write_text("SYSTOK_DATA_DIR=data\nSYSTOK_API_PORT=9123\n")
    elsewhere = tmp_path / "cron-home"
    elsewhere.mkdir()

    result = systok("--config", str(config), "config", "show", "--json", cwd=elsewhere)

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    rows = {row["name"]: row for row in shown["settings"]}
    assert shown["config_file"] == str(config)
    assert rows["data_dir"]["value"] == str(etc / "data")
    assert rows["data_dir"]["source"] == "config file"
    assert rows["api_port"]["value"] == 9123
    assert rows["api_host"]["source"] == "default"
    assert str(etc / "data") in shown["database"]


def test_systok_config_variable_names_the_file_and_the_environment_wins(tmp_path):
    config = tmp_path / "systok.env"
    config.write_text("SYSTOK_DATA_DIR=/srv/systok\nSYSTOK_API_PORT=9123\n")

    result = systok(
        "config",
        "show",
        "--json",
        cwd=tmp_path,
        env={"SYSTOK_CONFIG": str(config), "SYSTOK_API_PORT": "9555"},
    )

    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["settings"]}
    assert rows["api_port"] == rows["api_port"] | {"value": 9555, "source": "environment"}
    assert rows["data_dir"] == rows["data_dir"] | {"value": "/srv/systok", "source": "config file"}


def test_a_dotenv_in_the_current_directory_is_never_read_silently(tmp_path):
    (tmp_path / ".env").write_text(f"SYSTOK_DATABASE_URL=postgresql://u:{PASSWORD}@db/x\n")

    result = systok("config", "show", "--json", cwd=tmp_path)

    assert result.returncode == 78
    assert str(tmp_path / ".env") in result.stderr
    assert "--config" in result.stderr
    assert "SYSTOK_CONFIG" in result.stderr
    assert PASSWORD not in result.stderr + result.stdout


def test_a_dotenv_of_another_tool_is_left_alone(tmp_path):
    (tmp_path / ".env").write_text("COMPOSE_PROJECT_NAME=school\n")

    result = systok("config", "show", "--json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["config_file"] is None


def test_an_unreadable_config_file_is_named(tmp_path):
    result = systok("--config", str(tmp_path / "missing.env"), "config", "show", cwd=tmp_path)

    assert result.returncode == 78
    assert "missing.env" in result.stderr
    assert "cannot be read" in result.stderr


def test_a_config_file_must_say_where_data_goes(tmp_path):
    config = tmp_path / "systok.env"
    config.write_text("SYSTOK_API_PORT=9000\n")

    result = systok("--config", str(config), "config", "show", cwd=tmp_path)

    assert result.returncode == 78
    assert "SYSTOK_DATA_DIR" in result.stderr


def test_invalid_settings_are_listed_all_at_once(tmp_path):
    result = systok(
        "db",
        "current",
        cwd=tmp_path,
        env={
            "SYSTOK_API_PORT": "eighty",
            "SYSTOK_HTTP_RETRIES_MAX": "many",
            "SYSTOK_REQUEST_BODY_MAX_BYTES": "0",
            "SYSTOK_DISCOURSE_WEBHOOK_SECRET": PASSWORD,
        },
    )

    assert result.returncode == 78, result.stderr
    assert "internal error" not in result.stderr
    for setting in ("SYSTOK_API_PORT", "SYSTOK_HTTP_RETRIES_MAX", "SYSTOK_REQUEST_BODY_MAX_BYTES"):
        assert setting in result.stderr
    assert "3 problems" in result.stderr


def test_load_settings_names_each_invalid_setting(monkeypatch):
    monkeypatch.setenv("SYSTOK_API_PORT", "x")
    monkeypatch.setenv("SYSTOK_JWT_MAX_LIFETIME_SECONDS", "-1")
    with pytest.raises(SettingsInvalid) as refused:
        load_settings(None)
    assert {str(p).split(":")[0] for p in refused.value.problems} == {
        "SYSTOK_API_PORT",
        "SYSTOK_JWT_MAX_LIFETIME_SECONDS",
    }


def test_config_file_path_is_none_without_a_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYSTOK_CONFIG", raising=False)
    assert config_file_path() is None


# --- secrets never printed ----------------------------------------------------------


def test_config_show_masks_every_secret(tmp_path):
    secrets = {
        "SYSTOK_DATABASE_URL": f"postgresql://systok:{PASSWORD}@db.example:5432/systok",
        "SYSTOK_DISCOURSE_API_KEY": PASSWORD + "-dk",
        "SYSTOK_DISCOURSE_WEBHOOK_SECRET": PASSWORD + "-wh",
        "SYSTOK_POSTHOG_API_KEY": PASSWORD + "-ph",
        "SYSTOK_PLATFORM_TOKEN": PASSWORD + "-pt",
        "SYSTOK_CURSOR_SECRET": PASSWORD + "-cs",
        "SYSTOK_SOLANA_RPC_URL": f"https://rpc.example/?api-key={PASSWORD}",
        "SYSTOK_SOLANA_KEYPAIR_PATH": "/etc/systok/payer.json",
    }

    result = systok("config", "show", "--json", cwd=tmp_path, env=secrets)
    table = systok("config", "show", cwd=tmp_path, env=secrets)

    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + table.stdout
    rows = {row["name"]: row for row in json.loads(result.stdout)["settings"]}
    assert rows["database_url"]["value"] == "postgresql://systok:***@db.example:5432/systok"
    assert rows["discourse_webhook_secret"] == rows["discourse_webhook_secret"] | {
        "value": "***",
        "secret": True,
        "source": "environment",
    }
    assert rows["solana_keypair_path"]["value"] == "/etc/systok/payer.json"
    assert rows["posthog_api_key"]["value"] == "***"


def test_safe_url_masks_passwords_and_key_parameters_in_free_text():
    message = f"refused postgres://bob:{PASSWORD}@db/x and https://h/?api-key={PASSWORD}&a=1"
    masked = safe_url(message)
    assert PASSWORD not in masked
    assert "postgres://bob:***@db/x" in masked
    assert "api-key=***&a=1" in masked


# --- database URLs and missing databases ------------------------------------------


def test_a_refused_url_never_prints_its_password(tmp_path):
    result = systok(
        "db",
        "current",
        cwd=tmp_path,
        env={"SYSTOK_DATABASE_URL": f"mysql://systok:{PASSWORD}@db.example/systok"},
    )

    assert result.returncode == 78
    assert PASSWORD not in result.stderr + result.stdout
    assert "SYSTOK_DATABASE_URL" in result.stderr
    assert "mysql://systok:***@db.example/systok" in result.stderr


def test_postgres_scheme_means_psycopg():
    for scheme in ("postgres", "postgresql"):
        engine = make_engine(f"{scheme}://systok:{PASSWORD}@127.0.0.1:5432/systok")
        assert engine.url.drivername == "postgresql+psycopg"
        engine.dispose()


@pytest.mark.postgres
def test_postgres_url_works_from_the_cli(postgres_server_url, tmp_path):
    url = postgres_server_url.replace("postgresql+psycopg://", "postgres://", 1)

    result = systok("db", "current", cwd=tmp_path, env={"SYSTOK_DATABASE_URL": url})

    assert result.returncode == 0, result.stderr
    assert "current: 0" in result.stdout


@pytest.mark.postgres
def test_a_missing_postgres_database_is_named_not_an_internal_error(postgres_server_url, tmp_path):
    url = make_url(postgres_server_url).set(database="systok_nobody_made_me", password=PASSWORD)
    for command in (["db", "current"], ["db", "upgrade"], ["audit"]):
        result = systok(
            *command,
            cwd=tmp_path,
            env={"SYSTOK_DATABASE_URL": url.render_as_string(hide_password=False)},
        )
        assert result.returncode == 69, (command, result.stderr)
        assert "internal error" not in result.stderr
        assert "systok_nobody_made_me" in result.stderr
        assert "SYSTOK_DATABASE_URL" in result.stderr
        assert "does not exist" in result.stderr
        assert PASSWORD not in result.stderr


def test_an_unreachable_host_is_named(tmp_path):
    url = f"postgresql://systok:{PASSWORD}@127.0.0.1:1/systok"
    with pytest.raises(DatabaseUnavailable) as refused:
        from systok.db.engine import check_reachable

        check_reachable(make_engine(url))
    assert "127.0.0.1:1/systok" in refused.value.message
    assert PASSWORD not in refused.value.message

    result = systok("db", "current", cwd=tmp_path, env={"SYSTOK_DATABASE_URL": url})
    assert result.returncode == 69
    assert PASSWORD not in result.stderr


def test_an_unreadable_key_file_is_a_setting_error(tmp_path):
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_keypair(tmp_path)  # a folder: unreadable as a file even for root


def test_rpc_adapter_names_every_missing_setting_at_once():
    settings = Settings(_env_file=None, payout_adapter="rpc")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError) as refused:
        make_adapter(settings)
    assert "SYSTOK_SOLANA_RPC_URL" in refused.value.message
    assert "SYSTOK_SOLANA_KEYPAIR_PATH" in refused.value.message


# --- systok doctor ------------------------------------------------------------------


@pytest.mark.postgres
def test_doctor_names_each_problem_on_a_misconfigured_postgres_setup(empty_pg_database, tmp_path):
    """Unmigrated database, adapter unset with PostgreSQL, unreadable key file."""
    head = migrate.head_revision(make_engine(empty_pg_database))
    result = systok(
        "doctor",
        "--json",
        cwd=tmp_path,
        env={
            "SYSTOK_DATABASE_URL": empty_pg_database,
            "SYSTOK_DATA_DIR": str(tmp_path / "data"),
            "SYSTOK_JWT_PUBLIC_KEY_FILE": str(tmp_path / "no-such-key.pem"),
            "SYSTOK_JWT_ISSUER": "https://school.example",
            "SYSTOK_JWT_AUDIENCE": "systok",
        },
    )

    assert result.returncode == 1, result.stderr
    checks = checks_of(result)
    assert json.loads(result.stdout)["ok"] is False
    assert checks["database"]["status"] == "ok"
    assert checks["migrations"]["status"] == "fail"
    assert head in checks["migrations"]["reason"]
    assert "systok db upgrade" in checks["migrations"]["reason"]
    assert checks["payout_adapter"]["status"] == "fail"
    assert "SYSTOK_PAYOUT_ADAPTER" in checks["payout_adapter"]["reason"]
    assert "custodial, litesvm, rpc" in checks["payout_adapter"]["reason"]
    assert checks["member_tokens"]["status"] == "fail"
    assert "no-such-key.pem" in checks["member_tokens"]["reason"]
    assert checks["clock"]["status"] == "ok"


@pytest.mark.postgres
def test_doctor_names_a_migration_the_database_lacks(empty_pg_database, tmp_path):
    engine = make_engine(empty_pg_database)
    migrate.upgrade(engine)
    head = migrate.head_revision(engine)
    scripts = ScriptDirectory.from_config(migrate.alembic_config(engine))
    below_head = scripts.get_revision(head).down_revision
    with engine.begin() as connection:  # one migration behind
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": below_head})
    engine.dispose()

    result = systok(
        "doctor",
        "--json",
        cwd=tmp_path,
        env={"SYSTOK_DATABASE_URL": empty_pg_database, "SYSTOK_PAYOUT_ADAPTER": "custodial"},
    )

    migrations = checks_of(result)["migrations"]
    assert result.returncode == 1
    assert migrations["status"] == "fail"
    assert f"missing {head}" in migrations["reason"]


@pytest.mark.postgres
def test_doctor_passes_a_well_configured_postgres_setup_with_an_rpc_chain(
    postgres_server_url, tmp_path
):
    chain = EmbeddedChain()
    server = LoopbackRpc(chain).start()
    payer = Keypair()
    key_file = tmp_path / "payer.json"
    key_file.write_text(json.dumps(list(bytes(payer))))
    try:
        result = systok(
            "doctor",
            "--json",
            cwd=tmp_path,
            env={
                "SYSTOK_DATABASE_URL": postgres_server_url,
                "SYSTOK_DATA_DIR": str(tmp_path / "data"),
                "SYSTOK_PAYOUT_ADAPTER": "rpc",
                "SYSTOK_SOLANA_RPC_URL": server.url,
                "SYSTOK_SOLANA_KEYPAIR_PATH": str(key_file),
                "SYSTOK_DISCOURSE_WEBHOOK_SECRET": PASSWORD,
            },
        )
    finally:
        server.stop()

    assert result.returncode == 0, result.stdout + result.stderr
    checks = checks_of(result)
    assert all(check["status"] != "fail" for check in checks.values())
    assert checks["chain"]["status"] == "ok"
    assert checks["payer_key"]["status"] == "ok"
    assert str(payer.pubkey()) in checks["payer_key"]["reason"]
    assert checks["webhook_secret"]["status"] == "ok"
    assert "getHealth" in server.calls
    assert "getLatestBlockhash" in server.calls
    assert PASSWORD not in result.stdout


def test_doctor_fails_an_unreachable_chain_and_an_unreadable_payer_key(tmp_path, sqlite_template):
    database = tmp_path / "systok.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    result = systok(
        "doctor",
        "--json",
        cwd=tmp_path,
        env={
            "SYSTOK_DATABASE_URL": f"sqlite:///{database}",
            "SYSTOK_DATA_DIR": str(tmp_path),
            "SYSTOK_PAYOUT_ADAPTER": "rpc",
            "SYSTOK_SOLANA_RPC_URL": f"http://127.0.0.1:1/?api-key={PASSWORD}",
            "SYSTOK_SOLANA_KEYPAIR_PATH": str(tmp_path),  # a folder: unreadable as a key
            "SYSTOK_HTTP_TIMEOUT_SECONDS": "3",
        },
    )

    assert result.returncode == 1
    checks = checks_of(result)
    assert checks["chain"]["status"] == "fail"
    assert "SYSTOK_SOLANA_RPC_URL" in checks["chain"]["reason"]
    assert checks["payer_key"]["status"] == "fail"
    assert "SYSTOK_SOLANA_KEYPAIR_PATH" in checks["payer_key"]["reason"]
    assert checks["migrations"]["status"] == "ok"
    assert PASSWORD not in result.stdout


def test_doctor_lists_invalid_settings_as_failures(tmp_path):
    result = systok(
        "doctor",
        "--json",
        cwd=tmp_path,
        env={"SYSTOK_API_PORT": "eighty", "SYSTOK_HTTP_RETRIES_MAX": "many"},
    )

    assert result.returncode == 1
    reasons = [c["reason"] for c in json.loads(result.stdout)["checks"] if c["status"] == "fail"]
    assert any(r.startswith("SYSTOK_API_PORT:") for r in reasons)
    assert any(r.startswith("SYSTOK_HTTP_RETRIES_MAX:") for r in reasons)


def test_doctor_fails_a_missing_embedded_database_instead_of_creating_one(tmp_path):
    result = systok("doctor", "--json", cwd=tmp_path)

    assert result.returncode == 1
    database = checks_of(result)["database"]
    assert database["status"] == "fail"
    assert str(tmp_path / "var" / "systok.sqlite3") in database["reason"]
    assert not (tmp_path / "var" / "systok.sqlite3").exists()


def test_doctor_warns_when_a_non_default_setup_keeps_data_in_the_current_directory(
    tmp_path, sqlite_template
):
    database = tmp_path / "elsewhere.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    result = systok(
        "doctor",
        "--json",
        cwd=tmp_path,
        env={"SYSTOK_DATABASE_URL": f"sqlite:///{database}", "SYSTOK_PAYOUT_ADAPTER": "custodial"},
    )

    config = checks_of(result)["config"]
    assert config["status"] == "warn"
    assert "SYSTOK_DATA_DIR" in config["reason"]


@pytest.mark.postgres
def test_doctor_fails_a_clock_far_from_the_database_clock(postgres_server_url, tmp_path):
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=postgres_server_url,
        data_dir=tmp_path,
        payout_adapter="custodial",
    )
    with time_machine.travel(clock.now() + timedelta(minutes=10), tick=True):
        checks = {check.name: check for check in run_checks(settings, None)}

    assert checks["clock"].status == "fail"
    assert "NTP" in checks["clock"].reason


def test_a_job_started_elsewhere_is_told_instead_of_getting_an_empty_database(tmp_path):
    """The cron case: no settings reach the job; it must not work on a fresh empty file."""
    result = systok("run", "status", "--json", cwd=tmp_path)

    database = tmp_path / "var" / "systok.sqlite3"
    assert result.returncode == 75, result.stderr
    assert str(database) in result.stderr
    assert "SYSTOK_CONFIG" in result.stderr
    assert not database.exists()


class _Jwks(BaseHTTPRequestHandler):
    """A platform's JWKS endpoint on loopback: /good holds a key, anything else is 404."""

    def do_GET(self) -> None:
        if self.path != "/good":
            self.send_error(404)
            return
        key = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
        data = json.dumps({"keys": [key | {"kid": "k1", "use": "sig"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        return None


@pytest.fixture
def jwks_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host!s}:{port}"
    server.shutdown()
    server.server_close()


def test_doctor_fetches_the_jwks(jwks_url, tmp_path, sqlite_template):
    database = tmp_path / "systok.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())

    def member_tokens(path: str):
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=tmp_path,
            payout_adapter="custodial",
            jwt_jwks_url=jwks_url + path,
            jwt_issuer="https://school.example",
            jwt_audience="systok",
            http_timeout_seconds=5,
        )
        return {check.name: check for check in run_checks(settings, None)}["member_tokens"]

    good, missing = member_tokens("/good"), member_tokens("/gone")
    assert (good.status, missing.status) == ("ok", "fail")
    assert "1 key" in good.reason
    assert "SYSTOK_JWT_JWKS_URL" in missing.reason
    assert "404" in missing.reason
