"""Member API under wrk: SysTok's GET balance against a plain FastAPI app, same machine.

    python3 dev.py bench api                      # PostgreSQL at the test server
    python3 dev.py bench api --seconds 20 --connections 32 --workers 2 --rounds 3

Sets up a scratch PostgreSQL database (dropped at the end), seeds members with paid
memberships and funds, and starts two servers with the same uvicorn worker count:
``systok serve --workers N`` (configured through ``SYSTOK_*`` like a deployment) and
the reference, ``bench/plain_app.py`` (one sync FastAPI endpoint, the same RS256 JWT
check with the same key, one SELECT through a pool). The load comes from wrk, not from
Python clients (a Python client on a 2-core machine takes the CPU the server needs and
measures itself): the Lua scripts that sign each request with a member's JWT, and that
give every transfer its own Idempotency-Key and body, are written into a temp dir.

Reported per endpoint (wrk --latency): requests/s, p50/p99/max latency and non-2xx
answers, the server's CPU per request (its processes' user + system time over the
run: steadier than requests/s on a shared machine) and the PostgreSQL sessions opened
during the run (a pool that churns connections shows here), for SysTok's health, balance, balance history and transfer and for the
reference's balance. The balance pair runs ``--rounds`` times, reference then SysTok,
and the median round counts. Last line: ``ratio <SysTok balance req/s / reference
balance req/s>``; the line above it gives the p99 ratio (SysTok's over the reference's).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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
PREFIX = "/api/v1/tokenomics"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_wrk() -> str:
    """wrk's path; installs it when root, else says how and exits 2."""
    found = shutil.which("wrk")
    if found is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False)
        found = shutil.which("wrk")
    if found is None:
        print("bench api needs wrk: apt-get install -y wrk", file=sys.stderr)
        raise SystemExit(2)
    return found


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


def lua_strings(values: list[str]) -> str:
    return "{" + ",".join(f'"{v}"' for v in values) + "}"


def write_scripts(directory: Path, tokens: list[str], ids: list[str]) -> dict[str, Path]:
    """wrk scripts: each thread numbers itself in ``setup`` and builds its requests."""
    common = f"""
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local tokens = {lua_strings(tokens)}
local ids = {lua_strings(ids)}
local n = #tokens
"""
    scripts = {
        "health": 'request = function() return wrk.format("GET", "/api/v1/health") end\n',
        "balance": f"""{common}
local prepared = {{}}
function init(args)
  for i = 1, n do
    prepared[i] = wrk.format("GET", "{{path}}", {{["Authorization"] = "Bearer " .. tokens[i]}})
  end
  counter = (tid or 1) * 7919
end
request = function()
  counter = counter + 1
  return prepared[counter % n + 1]
end
""",
        "transfer": f"""{common}
local run = tostring(os.time())
function init(args)
  counter = 0
end
request = function()
  counter = counter + 1
  local sender = (counter * 2 + (tid or 1)) % n + 1
  local recipient = (sender + 1 + counter % (n - 1)) % n + 1
  if recipient == sender then recipient = sender % n + 1 end
  return wrk.format("POST", "{PREFIX}/transfer", {{
    ["Authorization"] = "Bearer " .. tokens[sender],
    ["Idempotency-Key"] = "wrk-" .. run .. "-" .. (tid or 1) .. "-" .. counter,
    ["Content-Type"] = "application/json",
  }}, '{{"to": "' .. ids[recipient] .. '", "amount": "1"}}')
end
""",
    }
    paths = {}
    for name, path in (
        ("health", None),
        ("balance", f"{PREFIX}/balance"),
        ("history", f"{PREFIX}/balance/history"),
        ("plain", "/balance"),
        ("transfer", None),
    ):
        source = scripts["balance" if path else name]
        file = directory / f"{name}.lua"
        file.write_text(source.replace("{path}", path or ""))
        paths[name] = file
    return paths


def to_ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)([a-z]+)", text)
    if match is None:
        return float("nan")
    return float(match.group(1)) * UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s, p50/p99/max (ms) and non-2xx answers from ``wrk --latency``."""
    latency = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.MULTILINE)
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    if not (latency and p50 and p99 and rps):
        raise SystemExit(f"could not read wrk's output:\n{output}")
    return {
        "rps": float(rps.group(1)),
        "p50": to_ms(p50.group(1)),
        "p99": to_ms(p99.group(1)),
        "max": to_ms(latency.group(3)),
        "failed": int(failed.group(1)) if failed else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn's workers), from /proc.

    CPU per request is the steadier figure on a shared machine: requests/s moves with
    whatever else runs, the work one request costs much less."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(tree_cpu_seconds(int(child)) for child in children)


def database_sessions(url: str) -> int:
    """Sessions PostgreSQL has counted for the bench database (pool churn shows here)."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            count = connection.exec_driver_sql(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            ).scalar()
    finally:
        engine.dispose()
    return int(count or 0)


def wait_until_up(url: str, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + 240  # a loaded 2-core machine starts 2 workers slowly
    while True:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit(f"{name} did not start")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL server (admin database)")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured wrk run before each")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of both servers")
    parser.add_argument("--rounds", type=int, default=3, help="reference/SysTok balance pairs")
    parser.add_argument("--members", type=int, default=1000)
    args = parser.parse_args()
    wrk = require_wrk()

    name = create_database(args.url, "systok_bench_api")
    url = database_url(args.url, name)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        ids = seed(url, args.members)
        tokens = [mint(i, exp=int(time.time()) + 3600) for i in ids]
        systok_port, plain_port = free_port(), free_port()
        env = {
            **os.environ,
            "SYSTOK_DATABASE_URL": url,
            "SYSTOK_JWT_PUBLIC_KEY": public_pem(),
            "SYSTOK_JWT_ISSUER": ISSUER,
            "SYSTOK_JWT_AUDIENCE": AUDIENCE,
            "PLAIN_DATABASE_URL": url,
            "PLAIN_JWT_PUBLIC_KEY": public_pem(),
            "PLAIN_JWT_ISSUER": ISSUER,
            "PLAIN_JWT_AUDIENCE": AUDIENCE,
            "PYTHONPATH": str(ROOT),
        }
        env.pop("SYSTOK_POLICY", None)
        workers = str(args.workers)
        for command in (
            ["-m", "systok.cli", "serve", "--port", str(systok_port), "--workers", workers],
            [
                *("-m", "uvicorn", "bench.plain_app:create_app", "--factory"),
                *("--workers", workers, "--port", str(plain_port)),
            ],
        ):
            processes.append(
                subprocess.Popen(
                    [sys.executable, *command],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    cwd=ROOT,
                )
            )
        systok = f"http://127.0.0.1:{systok_port}"
        plain = f"http://127.0.0.1:{plain_port}"
        wait_until_up(f"{systok}/api/v1/health", processes[0], "systok serve")
        wait_until_up(f"{plain}/balance", processes[1], "the reference app")

        with tempfile.TemporaryDirectory(prefix="systok-wrk-") as scratch:
            scripts = write_scripts(Path(scratch), tokens, ids)

            def run_wrk(base: str, script: str) -> dict[str, float]:
                server = processes[0 if base == systok else 1].pid

                def once(seconds: float) -> str:
                    command = [wrk, "--latency", f"-t{args.threads}", f"-c{args.connections}"]
                    command += [f"-d{seconds:g}s", "-s", str(scripts[script]), base]
                    done = subprocess.run(command, capture_output=True, text=True, check=True)
                    return done.stdout

                if args.warmup > 0:
                    once(args.warmup)
                cpu, sessions = tree_cpu_seconds(server), database_sessions(url)
                figures = parse_wrk(once(args.seconds))
                cpu = tree_cpu_seconds(server) - cpu
                figures["cpu_us"] = 1e6 * cpu / max(1.0, figures["rps"] * args.seconds)
                figures["sessions"] = database_sessions(url) - sessions - 1
                return figures

            print(
                f"member API on loopback, PostgreSQL, wrk -t{args.threads} -c{args.connections}, "
                f"{args.seconds:g} s per run, {args.members} members, {args.workers} uvicorn "
                f"workers each, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
            )
            header = f"{'endpoint':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
            print(header + f"{'non-2xx':>9}{'CPU us/req':>12}{'new PG sessions':>17}")

            def show(label: str, figures: dict[str, float]) -> None:
                print(
                    f"{label:<34}{figures['rps']:>9.0f}{figures['p50']:>9.2f}"
                    f"{figures['p99']:>9.2f}{figures['max']:>9.1f}{figures['failed']:>9.0f}"
                    f"{figures['cpu_us']:>12.0f}{figures['sessions']:>17.0f}"
                    + (f"  {figures['socket_errors']}" if figures["socket_errors"] else ""),
                    flush=True,
                )

            pairs: list[tuple[dict[str, float], dict[str, float]]] = []
            for round_number in range(1, args.rounds + 1):
                reference = run_wrk(plain, "plain")
                show(f"reference GET balance (round {round_number})", reference)
                ours = run_wrk(systok, "balance")
                show(f"SysTok GET balance (round {round_number})", ours)
                pairs.append((reference, ours))
            others: list[tuple[str, Callable[[], dict[str, float]]]] = [
                ("SysTok GET health", lambda: run_wrk(systok, "health")),
                ("SysTok GET balance/history", lambda: run_wrk(systok, "history")),
                ("SysTok POST transfer", lambda: run_wrk(systok, "transfer")),
            ]
            for label, measure in others:
                show(label, measure())

        ratios = [ours["rps"] / reference["rps"] for reference, ours in pairs]
        cpu_ratios = [ours["cpu_us"] / reference["cpu_us"] for reference, ours in pairs]
        p99_ratios = [ours["p99"] / reference["p99"] for reference, ours in pairs]
        print(
            "req/s ratio per round: " + " ".join(f"{r:.2f}" for r in ratios) + "; p99 ratio "
            "(SysTok/reference, lower is better) per round: "
            + " ".join(f"{r:.2f}" for r in p99_ratios)
        )
        print(
            "server CPU per request, SysTok/reference (lower is better), per round: "
            + " ".join(f"{r:.2f}" for r in cpu_ratios)
        )
        print(f"p99 ratio {statistics.median(p99_ratios):.2f}")
        print(f"ratio {statistics.median(ratios):.2f}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        drop_database(args.url, name)


if __name__ == "__main__":
    main()
