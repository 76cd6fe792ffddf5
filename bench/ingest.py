"""HTTP ingest throughput: events/s through ``POST /api/v1/events`` next to a bare COPY.

    python3 dev.py bench ingest [--events 100000] [--batch 10000] [--members 1000]

PostgreSQL at ``SYSTOK_BENCH_POSTGRES_URL`` (default: the local test server).

Ours is the full door, on loopback: a real ``systok serve`` process (one uvicorn
worker, configured through ``SYSTOK_*`` like a deployment) on a scratch PostgreSQL
database, sent JSON bodies ``{"events": [...]}`` of ``--batch`` events each, one
request at a time, with an API key of scope ``events:write``. Each request is what a
client pays for: the API key check, reading and parsing the body, validating every
event, resolving members, storing each event once (``ON CONFLICT DO NOTHING``), the
daily counters, the batch's counts row and the per-event JSON answer. The events come
from ``--members`` members, 5 % of them re-sent in later batches (answered
``duplicate``); every answer is checked.

The reference is what PostgreSQL itself takes at best: ``COPY`` (psycopg's
``cursor.copy``) of the very rows the server stored — already validated, member ids
resolved — into a copy of the ``events`` table (same columns, same indexes), one
transaction per request, timed right after that request (the machine's load drifts;
both sides see the same), in the same run on the same database.

Prints both rates and, last, ``ratio <ours / COPY>`` (goal: ≥ 0.3, issue 16).
The client, the server and PostgreSQL share the machine: the figure is a floor.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import make_url, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_database
from systok.access.service import create_api_key
from systok.db import migrate
from systok.db.engine import make_engine, run_transaction
from systok.ingest import repository as repo

SERVER_URL = os.environ.get(
    "SYSTOK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TYPES = ["SectionCompleted", "ExerciseSave", "ClubLikeGiven", "ClubCommentCreated"]
HOUR_US = 3_600_000_000


def iso(us: int) -> str:
    seconds, micros = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{micros:06d}Z"


def bodies(count: int, batch: int, members: int, now_us: int) -> list[tuple[bytes, int]]:
    """JSON bodies of ``batch`` events (live: each at its own moment of the last 6
    days), 5 % re-sent at the end."""
    events = [
        {
            "source": "bench",
            "id": f"e{i}",
            "type": TYPES[i % len(TYPES)],
            "member": f"m{i % members:05d}",
            "occurred_at": iso(now_us - HOUR_US - i * 4_999_999 % (6 * 24 * HOUR_US)),
            "payload": {"n": i},
        }
        for i in range(count)
    ]
    events += events[: count // 20]
    out = []
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        out.append((json.dumps({"events": chunk}).encode(), len(chunk)))
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "SYSTOK_DATABASE_URL": url, "SYSTOK_LOG_LEVEL": "WARNING"}
    env.pop("SYSTOK_POLICY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "systok.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base_url}/api/v1/health", timeout=2).status_code == 200:
                return process, base_url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise SystemExit("systok serve did not start")
        time.sleep(0.2)


def run(url: str, count: int, batch: int, members: int) -> tuple[float, float]:
    """Records/s through ``POST /api/v1/events`` of a fresh ``systok serve``, and rows/s
    of COPY of what each request stored, timed right after that request (so both see
    the same load on a shared machine)."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    run_transaction(
        engine, lambda s: [repo.ensure_member(s, f"m{i:05d}", 0) for i in range(members)]
    )
    _, key = run_transaction(
        engine, lambda s: create_api_key(s, "bench", ["events:write"], int(time.time() * 1e6))
    )
    with engine.begin() as connection:
        connection.execute(
            text("CREATE TABLE copy_events (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES)")
        )
        names = connection.execute(text("SELECT * FROM events LIMIT 0")).keys()
        columns = [c for c in names if c != "id"]
    engine.dispose()
    payloads = bodies(count, batch, members, int(time.time() * 1e6))
    process, base_url = start_server(url)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    accepted = duplicate = 0
    ours = reference = 0.0
    select = f"SELECT {', '.join(columns)} FROM events WHERE id = ANY(%s) ORDER BY id"
    statement = f"COPY copy_events ({', '.join(columns)}) FROM STDIN"
    try:
        with (
            httpx.Client(base_url=base_url, headers=headers, timeout=600) as client,
            psycopg.connect(
                make_url(url).set(drivername="postgresql").render_as_string(False)
            ) as connection,
        ):
            client.get("/api/v1/health")
            for body, size in payloads:
                started = time.perf_counter()
                response = client.post("/api/v1/events", content=body)  # answer read whole
                ours += time.perf_counter() - started  # checking the answer is the bench's
                assert response.status_code == 200, response.text[:500]
                answer = response.json()
                assert answer["received"] == size == len(answer["results"]), answer
                assert answer["rejected"] == answer["conflict"] == 0, answer["results"][:3]
                accepted += answer["accepted"]
                duplicate += answer["duplicate"]
                ids = [r["event_id"] for r in answer["results"] if r["outcome"] == "accepted"]
                rows = connection.execute(select, [ids]).fetchall()
                connection.commit()
                started = time.perf_counter()
                with connection.cursor() as cursor, cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
                connection.commit()
                reference += time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(30)
    assert (accepted, duplicate) == (count, count // 20), (accepted, duplicate)
    return (count + count // 20) / ours, count / reference


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument(
        "--postgres", action="store_true", help="accepted for old command lines: the default"
    )
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average), {os.cpu_count()} CPUs")
    with scratch_database(SERVER_URL, "systok_ingest") as url:
        ours, reference = run(url, args.events, args.batch, args.members)
    print(f"PostgreSQL: HTTP ingest {ours:9.0f} records/s   COPY {reference:9.0f} rows/s")
    print(f"ratio {ours / reference:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
