"""Real ``systok`` subprocesses for the fault suite: started, SIGKILLed, restarted.

The fault tests kill processes on purpose, so they never run SysTok in the test's own
process: every server and every weekly run is ``python -m systok.cli …`` with its
settings in the environment (no ``.env``: the working directory is the test's tmp).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SERVER_START_SECONDS_MAX = 60.0
"""How long a starting server may take to answer its health check (a loaded 2-core CI)."""


def free_port() -> int:
    """A loopback port nobody listens on now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def systok_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a subprocess: this interpreter's, minus any SYSTOK_*, plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSTOK_")}
    env |= {
        "SYSTOK_DATABASE_URL": database_url,
        "SYSTOK_DATA_DIR": str(data_dir),
        "COLUMNS": "200",
        "PYTHONUNBUFFERED": "1",
    }
    env |= {f"SYSTOK_{name.upper()}": value for name, value in settings.items()}
    return env


def systok(
    args: list[str], env: dict[str, str], cwd: Path, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ``systok ARGS`` in a subprocess (output appended to ``log``, else kept)."""
    out = log.open("ab") if log is not None else subprocess.PIPE
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "systok.cli", *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]


def run_systok(
    args: list[str], env: dict[str, str], cwd: Path, timeout_seconds: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``systok ARGS`` to its end; returns its exit code and output."""
    return subprocess.run(
        [sys.executable, "-m", "systok.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout_seconds,
        check=False,
    )


def sigkill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process (no cleanup of any kind runs) and reap it."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


class ServerProcess:
    """``systok serve`` on a fixed loopback port that survives restarts of the process."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.env, self.cwd, self.log = env, cwd, log
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        """Start the server and wait until its health check answers 200."""
        self.process = systok(
            ["serve", "--host", "127.0.0.1", "--port", str(self.port)],
            self.env,
            self.cwd,
            self.log,
        )
        self.starts += 1
        deadline = time.monotonic() + SERVER_START_SECONDS_MAX
        while True:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"systok serve exited with {self.process.returncode}; log:\n"
                    + self.log.read_text(errors="replace")[-4000:]
                )
            try:
                if httpx.get(f"{self.base_url}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"systok serve did not answer within {deadline} s")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the server: in-flight requests die with it, nothing is flushed."""
        if self.process is not None:
            sigkill(self.process)

    def stop(self) -> None:
        """Stop the server politely (SIGTERM), or kill it if it does not go."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            sigkill(self.process)
