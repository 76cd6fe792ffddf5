"""A real uvicorn server on loopback, serving the app on the test's database.

Each test gets its own server (the ``engine`` fixture is per test and per backend):
uvicorn runs in a background thread on a socket bound to 127.0.0.1:0, and the test
talks to it over real HTTP with httpx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, text

from systok.access.service import create_api_key
from systok.api.app import create_app
from systok.clock import now_us
from systok.config import Settings
from systok.db.engine import run_transaction
from systok.policy_files import default_policy
from tests.api.economy import Economy, member_settings, seed_members

WEBHOOK_SECRET = "test-webhook-secret"


@dataclass
class LiveServer:
    base_url: str
    engine: Engine
    client: httpx.Client

    def make_key(self, name: str = "relay", scopes: tuple[str, ...] = ("events:write",)) -> str:
        _info, key = run_transaction(
            self.engine, lambda s: create_api_key(s, name, list(scopes), now_us())
        )
        return key


def _settings(secret: str | None) -> Settings:
    return Settings(_env_file=None, discourse_webhook_secret=secret, policy=None)  # type: ignore[call-arg]


@pytest.fixture
def webhook_secret() -> str | None:
    """Overridden by tests that run without a configured secret."""
    return WEBHOOK_SECRET


@pytest.fixture
def live(engine: Engine, webhook_secret: str | None) -> Iterator[LiveServer]:
    settings = _settings(webhook_secret)
    app = create_app(engine, settings, default_policy(settings))
    with serve(app, engine) as server:
        yield server


@contextmanager
def serve(app: Any, engine: Engine) -> Iterator[LiveServer]:
    """Serve ``app`` with uvicorn on a loopback port in a thread, for the block's time."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn died while starting"
        assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
        time.sleep(0.01)
    base_url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            yield LiveServer(base_url, engine, client)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def econ(engine: Engine) -> Iterator[Economy]:
    """The API with member tokens on, over a small economy (``tests.api.economy``)."""
    settings = member_settings()
    app = create_app(engine, settings, default_policy(settings))
    seed_members(engine)
    with serve(app, engine) as server:
        yield Economy(server)


def iso_ago(seconds: int = 3600) -> str:
    """A recent UTC timestamp (live sources refuse events older than the policy allows)."""
    moment = datetime.now(UTC) - timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in the tables ingestion writes, and the summed batch counters."""
    with engine.connect() as connection:
        counts = {
            name: int(connection.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one())
            for name in ("events", "quarantine", "ingest_batches")
        }
        sums = connection.execute(
            text(
                "SELECT COALESCE(SUM(received), 0), COALESCE(SUM(accepted), 0), "
                "COALESCE(SUM(duplicates), 0), COALESCE(SUM(conflicts), 0), "
                "COALESCE(SUM(quarantined), 0) FROM ingest_batches"
            )
        ).one()
    counts |= dict(
        zip(
            ("received", "accepted", "duplicates", "conflicts", "quarantined"),
            map(int, sums),
            strict=True,
        )
    )
    return counts


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def discourse_headers(
    body: bytes, event: str | None, delivery_id: int, signature: str | None = ""
) -> dict[str, str]:
    """The headers Discourse sends (INTEGRATIONS.md §2.1); signature "" means "sign it"."""
    event_type = {"post_created": "post", "post_liked": "like", None: "ping"}.get(event, "post")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Discourse/3.4.0",
        "X-Discourse-Instance": "https://forum.example.org",
        "X-Discourse-Event-Id": str(delivery_id),
        "X-Discourse-Event-Type": event_type,
    }
    if event is not None:
        headers["X-Discourse-Event"] = event
    if signature == "":
        headers["X-Discourse-Event-Signature"] = sign(body)
    elif signature is not None:
        headers["X-Discourse-Event-Signature"] = signature
    return headers


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def exercise_event(event_id: str, **changes: Any) -> dict[str, Any]:
    """A valid ``ExerciseSave`` batch event of ``posthog:distinct-1`` an hour ago;
    ``changes`` replace its fields."""
    event = {
        "source": "posthog",
        "id": event_id,
        "type": "ExerciseSave",
        "member": "posthog:distinct-1",
        "occurred_at": iso_ago(),
        "payload": {"exercise": "py-1-3"},
    }
    return event | changes
