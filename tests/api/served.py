"""A real ``systok serve`` process (``python -m systok.cli serve``) on a loopback port,
configured only through ``SYSTOK_*`` variables like a deployment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.api.economy import AUDIENCE, ISSUER, public_pem

WEBHOOK_SECRET = "served-webhook-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServedProcess:
    base_url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def rss_kib(self) -> int:
        """The server process's resident memory now (``VmRSS`` of /proc/PID/status)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS line")


@contextmanager
def systok_serve(database_url: str, log_dir: Path, **env_extra: str) -> Iterator[ServedProcess]:
    """Run ``systok serve`` on ``database_url`` for the block; assert no traceback was logged."""
    port = free_port()
    env = {
        **os.environ,
        "SYSTOK_DATABASE_URL": database_url,
        "SYSTOK_JWT_PUBLIC_KEY": public_pem(),
        "SYSTOK_JWT_ISSUER": ISSUER,
        "SYSTOK_JWT_AUDIENCE": AUDIENCE,
        "SYSTOK_DISCOURSE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        **env_extra,
    }
    env.pop("SYSTOK_POLICY", None)
    log = log_dir / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "systok.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"systok serve exited: {log.read_text()}"
            try:
                if httpx.get(f"{base_url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"systok serve did not start: {log.read_text()}"
            time.sleep(0.2)
        yield ServedProcess(base_url, port, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
    assert not errors, log.read_text()
