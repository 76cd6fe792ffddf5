"""Member API throughput and latency: GET balance and POST transfer, 32 clients, loopback.

    python3 dev.py bench api                      # PostgreSQL at the test server
    python3 dev.py bench api --seconds 20 --clients 32 --members 2000

Sets up a scratch PostgreSQL database (dropped at the end), seeds members with paid
memberships and funds, starts a real ``systok serve`` process (one uvicorn worker,
configured through ``SYSTOK_*`` like a deployment), and drives it with ``--clients``
concurrent httpx async clients, each keeping one request in flight. Reported per
endpoint: requests/s, p50/p99/max latency (ms) and non-2xx answers. ``GET /api/v1/health``
(one ``SELECT 1`` unit of work, no auth) runs first as the reference: the floor this
server reaches on this machine. Goal: p99 ≤ 50 ms for GET balance.

The client runs on the same machine as the server and the database; on a 2-core
machine all three share the CPUs, so the figures are a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import add_paid_members, create_database, database_url, drop_database
from systok.core.ledger import (
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.db import migrate
from systok.db.engine import make_engine, run_transaction
from systok.ledger.service import Ledger
from tests.api.economy import AUDIENCE, ISSUER, mint, public_pem

DEFAULT_URL = os.environ.get(
    "SYSTOK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
STK = 1_000_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(url: str, members: int) -> list[str]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    ids = [f"b{n:05d}" for n in range(members)]
    with engine.begin() as connection:
        add_paid_members(connection, ids, 0)
    run_transaction(engine, lambda s: Ledger(s).ensure_assets({"STK": 6}))
    for chunk in range(0, members, 500):
        part = ids[chunk : chunk + 500]
        draft = TransactionDraft(
            code=TransactionCode.DEPOSIT,
            idempotency_key=f"bench-fund-{chunk}",
            postings=(
                Posting(system_account(AccountType.WORLD), -len(part) * 1_000_000 * STK),
                *(Posting(member_account(i), 1_000_000 * STK) for i in part),
            ),
        )
        run_transaction(engine, lambda s, d=draft: Ledger(s).post(d))
    engine.dispose()
    return ids


def percentile(sorted_ms: list[float], percent: float) -> float:
    if not sorted_ms:
        return float("nan")
    rank = max(1, -(-int(percent * 10) * len(sorted_ms) // 1000))
    return sorted_ms[rank - 1]


async def drive(base_url: str, clients: int, seconds: float, make_request) -> dict[str, float]:
    """``clients`` loops, each one request in flight, for ``seconds`` after a warm-up."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        warm_until = time.perf_counter() + min(2.0, seconds / 5)
        stop_at = warm_until + seconds

        async def worker(index: int) -> None:
            nonlocal failures
            rng = random.Random(index)
            while True:
                method, path, headers, body = make_request(index, rng)
                started = time.perf_counter()
                if started >= stop_at:
                    return
                response = await client.request(method, path, headers=headers, json=body)
                ended = time.perf_counter()
                if started >= warm_until:
                    latencies.append((ended - started) * 1000)
                    if response.status_code >= 300:
                        failures += 1

        await asyncio.gather(*(worker(i) for i in range(clients)))
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": latencies[-1] if latencies else float("nan"),
        "failed": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL server (admin database)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--members", type=int, default=1000)
    args = parser.parse_args()

    name = create_database(args.url, "systok_bench_api")
    url = database_url(args.url, name)
    process = None
    try:
        ids = seed(url, args.members)
        tokens = {i: mint(i, exp=int(time.time()) + 3600) for i in ids}
        port = free_port()
        env = {
            **os.environ,
            "SYSTOK_DATABASE_URL": url,
            "SYSTOK_JWT_PUBLIC_KEY": public_pem(),
            "SYSTOK_JWT_ISSUER": ISSUER,
            "SYSTOK_JWT_AUDIENCE": AUDIENCE,
        }
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
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("systok serve did not start")
            time.sleep(0.2)

        def health(index, rng):
            return "GET", "/api/v1/health", None, None

        def balance(index, rng):
            member = ids[rng.randrange(len(ids))]
            auth = {"Authorization": f"Bearer {tokens[member]}"}
            return "GET", "/api/v1/tokenomics/balance", auth, None

        def transfer(index, rng):
            sender = ids[index % len(ids)]
            recipient = ids[(index + 1 + rng.randrange(len(ids) - 1)) % len(ids)]
            headers = {
                "Authorization": f"Bearer {tokens[sender]}",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            return "POST", "/api/v1/tokenomics/transfer", headers, {"to": recipient, "amount": "1"}

        print(
            f"member API on loopback, PostgreSQL, {args.clients} clients, "
            f"{args.seconds:g} s per endpoint, {args.members} members, "
            f"1 uvicorn worker, {os.cpu_count()} CPUs"
        )
        print(f"{'endpoint':<28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'non-2xx':>9}")
        results = {}
        for label, factory in (
            ("GET health (reference)", health),
            ("GET balance", balance),
            ("POST transfer", transfer),
        ):
            figures = asyncio.run(drive(base_url, args.clients, args.seconds, factory))
            results[label] = figures
            print(
                f"{label:<28}{figures['rps']:>9.0f}{figures['p50']:>9.1f}{figures['p99']:>9.1f}"
                f"{figures['max']:>9.1f}{figures['failed']:>9d}"
            )
        goal = results["GET balance"]["p99"]
        print(
            f"GET balance p99 {goal:.1f} ms: {'meets' if goal <= 50 else 'misses'} the 50 ms goal"
        )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)
        drop_database(args.url, name)


if __name__ == "__main__":
    main()
