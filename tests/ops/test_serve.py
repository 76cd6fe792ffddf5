"""``systok serve --workers N`` behind a proxy: real processes on a loopback port.

The server is the installed console script in a subprocess (what systemd runs), on a
free port and a fresh SQLite data dir. uvicorn logs one "Started server process [pid]"
per worker and the client address it took from X-Forwarded-For; a redirect's Location
carries the scheme it took from X-Forwarded-Proto.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from systok.cli.main import main

pytestmark = pytest.mark.slow

SYSTOK = Path(sys.executable).with_name("systok")
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(tmp_path: Path, *args: str, ready_workers: int = 1):
    """Start ``systok serve``; return (process, base URL, log file) once it answers."""
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    env = {**os.environ, "SYSTOK_DATA_DIR": str(tmp_path)}
    for name in ("SYSTOK_DATABASE_URL", "SYSTOK_CURSOR_SECRET", "SYSTOK_API_WORKERS"):
        env.pop(name, None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(SYSTOK), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        started = log.read_text().count("Application startup complete")
        if started >= ready_workers:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    return process, base, log
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    stop(process)
    pytest.fail(f"systok serve did not answer in 60 s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    from systok.config import get_settings

    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SYSTOK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    assert main(["db", "upgrade"]) == 0
    yield tmp_path
    get_settings.cache_clear()


def test_workers_are_separate_processes_sharing_one_port(data_dir):
    process, base, log = serve(data_dir, "--workers", "2", ready_workers=2)
    try:
        answers = [httpx.get(f"{base}/api/v1/health", timeout=5) for _ in range(6)]
        assert {a.status_code for a in answers} == {200}
    finally:
        stop(process)
    text = log.read_text()
    workers = set(re.findall(r"Started server process \[(\d+)\]", text))
    assert len(workers) == 2, text
    assert str(process.pid) not in workers, "the workers are children of the parent process"
    assert re.search(rf"Started parent process \[{process.pid}\]", text), text


def test_forwarded_headers_are_taken_only_from_the_allowed_proxy(data_dir):
    process, base, log = serve(data_dir)  # default: trust the proxy on 127.0.0.1
    try:
        redirect = httpx.get(f"{base}/api/v1/health/", headers=FORWARDED, timeout=5)
    finally:
        stop(process)
    assert redirect.status_code == 307
    assert redirect.headers["location"].startswith("https://"), "scheme from the proxy"
    assert "203.0.113.9" in log.read_text(), "client address from the proxy"

    process, base, log = serve(data_dir, "--forwarded-allow-ips", "192.0.2.1")
    try:
        redirect = httpx.get(f"{base}/api/v1/health/", headers=FORWARDED, timeout=5)
    finally:
        stop(process)
    assert redirect.headers["location"].startswith("http://"), "an untrusted peer is ignored"
    assert "203.0.113.9" not in log.read_text()


def test_workers_below_one_are_a_usage_error(data_dir, capsys):
    assert main(["serve", "--workers", "0"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--workers" in err and "greater than or equal to 1" in err
