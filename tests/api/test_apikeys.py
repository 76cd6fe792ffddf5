"""API keys: the 401/403/200 matrix over HTTP, storage of hashes only, and the CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from systok.access.service import create_api_key
from systok.cli.api import apikey_app
from systok.clock import now_us
from systok.config import get_settings
from systok.db import migrate
from systok.db.engine import make_engine, run_transaction
from systok.errors import ApiKeyInvalid, ApiKeyNameTaken
from tests.api.conftest import LiveServer, iso_ago


def one_event() -> dict:
    """An event of an hour ago, by the clock when the request is made (not at import)."""
    return {
        "events": [
            {
                "source": "posthog",
                "id": "auth-1",
                "type": "ExerciseSave",
                "member": "posthog:someone",
                "occurred_at": iso_ago(),
            }
        ]
    }


def _post(live: LiveServer, headers: dict[str, str]) -> tuple[int, dict]:
    response = live.client.post("/api/v1/events", json=one_event(), headers=headers)
    return response.status_code, response.json()


@pytest.mark.clock
def test_auth_matrix(live: LiveServer):
    good = live.make_key("good")
    revoked = live.make_key("revoked")
    unscoped = live.make_key("unscoped")
    with live.engine.begin() as connection:
        connection.execute(
            text("UPDATE api_keys SET scopes = 'reports:read' WHERE name = 'unscoped'")
        )
    from systok.access.service import revoke_api_key

    run_transaction(live.engine, lambda s: revoke_api_key(s, "revoked", now_us()))
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")

    cases = [
        ({}, 401, "Unauthenticated"),
        ({"Authorization": "Bearer"}, 401, "Unauthenticated"),
        ({"Authorization": "Bearer not-a-key"}, 401, "Unauthenticated"),
        ({"Authorization": f"Basic {good}"}, 401, "Unauthenticated"),
        ({"Authorization": f"Bearer {tampered}"}, 401, "Unauthenticated"),
        ({"Authorization": f"Bearer {revoked}"}, 401, "Unauthenticated"),
        ({"X-API-Key": revoked}, 401, "Unauthenticated"),
        ({"Authorization": f"Bearer {unscoped}"}, 403, "MissingScope"),
        ({"X-API-Key": unscoped}, 403, "MissingScope"),
    ]
    for headers, status, error in cases:
        got_status, body = _post(live, headers)
        assert (got_status, body["error"]) == (status, error), headers
        assert set(body) == {"error", "detail"}
    response = live.client.post("/api/v1/events", json=one_event())
    assert response.headers["www-authenticate"] == "Bearer"
    with live.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM events")).scalar_one() == 0

    assert _post(live, {"Authorization": f"Bearer {good}"})[0] == 200
    assert _post(live, {"authorization": f"bearer {good}"})[0] == 200
    status, body = _post(live, {"X-API-Key": good})
    assert status == 200 and body["duplicate"] == 1


def test_only_the_hash_is_stored(engine):
    info, key = run_transaction(
        engine, lambda s: create_api_key(s, "posthog-relay", ["events:write"], now_us())
    )
    assert key.startswith(f"stk_{info.key_prefix}_")
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM api_keys")).mappings().one()
    assert row["key_sha256"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in " ".join(str(v) for v in row.values())
    assert row["scopes"] == "events:write"
    with pytest.raises(ApiKeyNameTaken):
        run_transaction(
            engine, lambda s: create_api_key(s, "posthog-relay", ["events:write"], now_us())
        )
    with pytest.raises(ApiKeyInvalid, match="unknown scope events:wirte"):
        run_transaction(engine, lambda s: create_api_key(s, "other", ["events:wirte"], now_us()))
    with pytest.raises(ApiKeyInvalid, match="key name"):
        run_transaction(engine, lambda s: create_api_key(s, "has space", ["events:write"], 1))


def test_apikey_cli_create_list_revoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("SYSTOK_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    engine = make_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    runner = CliRunner()
    try:
        created = runner.invoke(apikey_app, ["create", "relay", "--scope", "events:write"])
        assert created.exit_code == 0, created.output
        key = created.output.strip().splitlines()[-1]
        assert key.startswith("stk_")
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT key_sha256 FROM api_keys")).scalar_one()
        assert stored == hashlib.sha256(key.encode()).hexdigest()

        listed = runner.invoke(apikey_app, ["list", "--json"])
        assert listed.exit_code == 0
        assert key not in listed.output
        [info] = json.loads(listed.output)
        assert (info["name"], info["scopes"], info["revoked_at"]) == (
            "relay",
            ["events:write"],
            None,
        )
        assert key.startswith(info["prefix"]) and len(info["prefix"]) >= 8

        revoked = runner.invoke(apikey_app, ["revoke", "relay"])
        assert revoked.exit_code == 0 and "revoked" in revoked.output
        with engine.connect() as connection:
            when = connection.execute(text("SELECT revoked_at_us FROM api_keys")).scalar_one()
        assert when is not None

        missing = runner.invoke(apikey_app, ["revoke", "nobody"])
        assert missing.exit_code != 0
        assert "no API key named 'nobody'" in str(missing.exception)
    finally:
        engine.dispose()
        get_settings.cache_clear()


def test_serve_runs_uvicorn_on_the_configured_address(tmp_path: Path, monkeypatch):
    """``systok serve`` builds the app on the configured database and hands it to uvicorn."""
    import uvicorn
    from fastapi import FastAPI

    from systok.cli.api import serve_command

    database = tmp_path / "serve.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("SYSTOK_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("SYSTOK_API_HOST", "127.0.0.2")
    monkeypatch.setenv("SYSTOK_API_PORT", "8123")
    get_settings.cache_clear()
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    try:
        edge = {"workers": 1, "proxy_headers": True, "forwarded_allow_ips": "127.0.0.1"}
        serve_command(host=None, port=None, **edge)
        serve_command(host="0.0.0.0", port=9000, **edge)
    finally:
        get_settings.cache_clear()
    assert isinstance(calls[0][0], FastAPI)
    assert (calls[0][1]["host"], calls[0][1]["port"]) == ("127.0.0.2", 8123)
    assert (calls[1][1]["host"], calls[1][1]["port"]) == ("0.0.0.0", 9000)
