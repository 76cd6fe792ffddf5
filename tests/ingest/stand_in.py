"""Stand-in HTTP servers on loopback for the pull tests (real sockets, real httpx)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from systok.config import Settings
from systok.core.policy import Policy
from systok.db.engine import run_transaction
from systok.db.tables import Event, IngestBatch, QuarantinedEvent
from systok.policy_files import load_policy_file

POLICY_FILE = Path(__file__).resolve().parents[2] / "policies" / "stk-2025-12.toml"


def policy() -> Policy:
    return load_policy_file(POLICY_FILE)


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` on 127.0.0.1 at a free port in a thread; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("stand-in server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def settings(**values: object) -> Settings:
    """Settings for a test: small retry budget and timeout, never the environment's."""
    base: dict[str, object] = {"http_timeout_seconds": 5.0, "http_retries_max": 3}
    return Settings(_env_file=None, **(base | values))  # type: ignore[call-arg]


class Sleeps(list[float]):
    """Records the waits a client asked for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def assert_nothing_lost(engine: Engine, source: str, *, received: int | None = None) -> None:
    """For ``source``: received = stored + duplicates + quarantined, and stored are rows.

    ``received`` (when given) is what the test sent, so a record dropped before the
    ingestor (a mapping that forgot a row) fails here too.
    """

    def totals(session: Session) -> tuple[int, int, int, int, int, int]:
        batch = session.execute(
            select(
                func.coalesce(func.sum(IngestBatch.received), 0),
                func.coalesce(func.sum(IngestBatch.accepted), 0),
                func.coalesce(func.sum(IngestBatch.duplicates), 0),
                func.coalesce(func.sum(IngestBatch.quarantined), 0),
            ).where(IngestBatch.source == source)
        ).one()
        events = session.execute(
            select(func.count()).select_from(Event).where(Event.source == source)
        ).scalar_one()
        quarantined = session.execute(
            select(func.count())
            .select_from(QuarantinedEvent)
            .where(QuarantinedEvent.source == source)
        ).scalar_one()
        return (*map(int, batch), int(events), int(quarantined))  # type: ignore[return-value]

    got, accepted, duplicates, quarantined, events, held = run_transaction(engine, totals)
    assert got == accepted + duplicates + quarantined, (got, accepted, duplicates, quarantined)
    assert events == accepted, (events, accepted)
    assert held == quarantined, (held, quarantined)
    if received is not None:
        assert got == received, (got, received)
