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

from systok.config import Settings
from systok.core.policy import Policy
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
