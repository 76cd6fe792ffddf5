"""POST /transfer's path on PostgreSQL next to pgbench TPC-B, in one invocation.

    python3 dev.py bench ledger [--seconds 10] [--rounds 2] [--workers 8] [--accounts 10000]

Creates two scratch databases on the server named by SYSTOK_BENCH_POSTGRES_URL
(default: the local ``test`` server), one for SysTok (migrated; 10 000 members, each
with an open paid membership and a funded STK account) and one for pgbench
(``pgbench -i -s 1``). Then, alternating so that both see the same machine noise, it
runs ``pgbench -c 8 -j 2 -M prepared -T N`` (TPC-B-like) and 8 SysTok workers (threads
with a connection each, spread over 2 processes like pgbench's ``-j 2``; ``--processes
8`` gives each its own process) for N seconds.

Each SysTok worker does per transfer exactly what ``POST /api/v1/tokenomics/transfer``
does per request once the body is parsed and the caller authenticated: the route's
``answer_transfer`` with the default policy and a fresh Idempotency-Key. On PostgreSQL
that is one autocommit call of ``systok_member_transfer`` (ADR 0045): the checks (the
sender is a member and not frozen, the recipient is a member, not frozen and holds a
paid membership today, the fee override is the step the fee was priced with, the
recipient has no notification channel), then the posting function (locks, funds, the
key, the hash chain); anything it does not post or replay runs ``send_transfer`` in a
unit of work (``systok.api.deps.UnitOfWork``). The bench's members have no
notification profile. HTTP, JWT checks and JSON are not measured here
(``bench/api.py`` measures the server end to end). After the runs the audit checks
every invariant over everything written.

``--ledger-paths`` also measures the bare ledger write without the request's checks:
``post_in_own_transaction`` (one autocommit call of the posting function,
tests/ledger/own_transaction.py), ``Ledger.post`` in a session (BEGIN, the function,
COMMIT) and the portable Python path; ADR 0002's figures are these.

pgbench must be on PATH: it comes with PostgreSQL's client tools (Debian/Ubuntu:
``apt-get install postgresql-client``). Nothing else is installed.

Prints transfers per second per round, the medians, and as its last line
``ratio <ours / pgbench>`` (the API path's).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.engine import make_url

from bench.scratch import create_database, database_url, drop_database
from systok.api.deps import UnitOfWork
from systok.api.routes.transfers import answer_transfer
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
from systok.db.kit import members_t, memberships_t
from systok.errors import InsufficientFunds
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger, PostingPath
from systok.policy_files import default_policy
from tests.ledger.own_transaction import post_in_own_transaction

SERVER_URL = os.environ.get(
    "SYSTOK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
OPENING_UNITS = 1_000_000_000
"""1 000 STK per member: far more than the bench's transfers (≤ 100 base units each)."""
API_PATH = "api"
LEDGER_PATHS = ("own-transaction", "function", "portable")


def _url(database: str) -> str:
    return database_url(SERVER_URL, database)


def _pgbench_args(database: str) -> list[str]:
    url = make_url(SERVER_URL)
    return [
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        database,
    ]


def require_pgbench() -> None:
    """Stop with the package to install when pgbench is not on PATH."""
    if shutil.which("pgbench") is None:
        raise SystemExit(
            "pgbench not found on PATH: it is the reference of this bench; install "
            "PostgreSQL's client tools (Debian/Ubuntu: apt-get install postgresql-client)"
        )


def run_pgbench(database: str, seconds: int, workers: int) -> float:
    output = subprocess.run(
        [
            "pgbench",
            "-c",
            str(workers),
            "-j",
            "2",
            "-M",
            "prepared",
            "-T",
            str(seconds),
            "-n",
            *_pgbench_args(database),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", output)
    if not match:
        raise RuntimeError(f"pgbench output not understood:\n{output}")
    return float(match.group(1))


def _process(
    url: str,
    seeds: list[int],
    accounts: int,
    seconds: float,
    path: str,
    start: tuple,
    results: mp.Queue,
) -> None:
    """One OS process running one worker thread per seed, each with its own connection."""
    engine = make_engine(url, pool_size=len(seeds), max_overflow=0)
    threads = [
        threading.Thread(
            target=_worker, args=(engine, seed, accounts, seconds, path, start, results)
        )
        for seed in seeds
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()


def _api_transfer(work: UnitOfWork, policy, sender: str, recipient: str, amount: int) -> None:
    """What ``post_transfer`` runs for one request: a fresh key, ``answer_transfer``."""
    answer_transfer(
        work,
        policy,
        sender_id=sender,
        recipient_id=recipient,
        amount_units=amount,
        request_key=uuid.uuid4().hex,
    )


def _ledger_transfer(engine, path: str, source: str, target: str, key: str, amount: int) -> None:
    """The bare ledger write of a transfer, without the request's checks."""
    draft = TransactionDraft(
        TransactionCode.TRANSFER,
        key,
        (Posting(member_account(source), -amount), Posting(member_account(target), amount)),
    )
    if path == "own-transaction":
        post_in_own_transaction(engine, draft)
    else:
        run_transaction(engine, lambda s: Ledger(s, path=PostingPath(path)).post(draft))


def _worker(
    engine,
    seed: int,
    accounts: int,
    seconds: float,
    path: str,
    start: tuple,
    results: mp.Queue,
) -> None:
    rng = random.Random(seed)
    members = [f"m{i:05d}" for i in range(accounts)]
    policy = default_policy()
    work = UnitOfWork(engine)
    # Warm a connection (and the asset cache) before the clock starts.
    run_transaction(engine, lambda s: Ledger(s).asset_scale("STK"))
    ready, go, start_value = start
    ready.put(seed)
    go.wait()
    start_at = start_value.value
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    done = refused = 0
    n = 0
    while time.time() < deadline:
        source, target = rng.sample(members, 2)
        n += 1
        amount = rng.randint(1, 100)
        try:
            if path == API_PATH:
                _api_transfer(work, policy, source, target, amount)
            else:
                _ledger_transfer(engine, path, source, target, f"bench:{seed}:{n}", amount)
            done += 1
        except InsufficientFunds:
            refused += 1
    results.put((done, refused))


def run_ours(
    url: str,
    seconds: int,
    workers: int,
    accounts: int,
    path: str,
    round_no: int,
    processes_count: int,
) -> float:
    """Transfers per second of ``workers`` threads spread over ``processes_count`` processes."""
    context = mp.get_context("spawn")
    results: mp.Queue = context.Queue()
    # The clock starts once every worker has imported, connected and warmed up: on a
    # loaded machine a spawned process took 10 s to import, more than a whole run.
    start = (context.Queue(), context.Event(), context.Value("d", 0.0))
    seeds = [round_no * 1000 + i for i in range(workers)]
    processes = [
        context.Process(
            target=_process,
            args=(url, seeds[p::processes_count], accounts, seconds, path, start, results),
        )
        for p in range(processes_count)
    ]
    for process in processes:
        process.start()
    for _ in seeds:
        start[0].get()
    start[2].value = time.time() + 0.2
    start[1].set()
    totals = [results.get() for _ in seeds]
    for process in processes:
        process.join()
    return sum(done for done, _ in totals) / seconds


def open_accounts(url: str, accounts: int) -> None:
    """Members with an open paid membership (from day 0) and a funded STK account each."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    world = system_account(AccountType.WORLD)
    members = [f"m{i:05d}" for i in range(accounts)]
    refs = [member_account(member_id) for member_id in members]

    def work(session):
        session.execute(
            members_t.insert(), [{"id": member_id, "created_at_us": 0} for member_id in members]
        )
        session.execute(
            memberships_t.insert(),
            [{"member_id": member_id, "starts_day": 0, "ends_day": None} for member_id in members],
        )
        ledger = Ledger(session)
        ledger.ensure_assets({"STK": 6})
        ledger.post(
            TransactionDraft(
                TransactionCode.EMISSION,
                "bench:opening",
                (
                    Posting(world, -OPENING_UNITS * accounts),
                    *(Posting(ref, OPENING_UNITS) for ref in refs),
                ),
            )
        )

    run_transaction(engine, work)
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="OS processes the workers are spread over, like pgbench -j "
        "(default 2: 4 worker threads each, mirroring -c 8 -j 2)",
    )
    parser.add_argument(
        "--ledger-paths",
        action="store_true",
        help="also measure the bare ledger write without the request's checks "
        "(own transaction, in a session with the function, the portable Python path)",
    )
    args = parser.parse_args()
    require_pgbench()

    ours_db = create_database(SERVER_URL, "systok_bench")
    pgbench_db = create_database(SERVER_URL, "pgbench_bench")
    try:
        subprocess.run(
            ["pgbench", "-i", "-s", "1", "-q", *_pgbench_args(pgbench_db)],
            check=True,
            capture_output=True,
        )
        open_accounts(_url(ours_db), args.accounts)
        print(
            f"PostgreSQL at {make_url(SERVER_URL).render_as_string(hide_password=True)}; "
            f"{args.workers} workers, {args.seconds} s per run, {args.rounds} rounds, "
            f"{args.accounts} members, workers on {args.processes} processes; "
            f"pgbench scale 1, -c {args.workers} -j 2 -M prepared"
        )
        paths = [API_PATH, *(LEDGER_PATHS if args.ledger_paths else ())]
        pgbench_tps: list[float] = []
        tps: dict[str, list[float]] = {path: [] for path in paths}
        for round_no in range(args.rounds):
            pgbench_tps.append(run_pgbench(pgbench_db, args.seconds, args.workers))
            line = f"round {round_no + 1}: pgbench TPC-B {pgbench_tps[-1]:7.0f} tps"
            for offset, path in enumerate(paths):
                tps[path].append(
                    run_ours(
                        _url(ours_db),
                        args.seconds,
                        args.workers,
                        args.accounts,
                        path,
                        round_no + 100 * offset,
                        args.processes,
                    )
                )
                line += f"   {path} {tps[path][-1]:6.0f}/s"
            print(line, flush=True)
        engine = make_engine(_url(ours_db))
        report = run_transaction(engine, audit_ledger, snapshot=True)
        engine.dispose()
        print(
            f"audit after the runs: {'ok' if report.ok else report.violations[:3]} "
            f"({report.entries_checked} journal entries)"
        )
        pgbench_median = statistics.median(pgbench_tps)
        medians = {path: statistics.median(values) for path, values in tps.items()}
        print(
            f"median: pgbench {pgbench_median:.0f} tps, "
            + ", ".join(f"{path} {value:.0f}/s" for path, value in medians.items())
        )
        for path in LEDGER_PATHS:
            if path in medians:
                print(f"ratio ({path}) {medians[path] / pgbench_median:.2f}")
        print(f"ratio {medians[API_PATH] / pgbench_median:.2f}")
        return 0 if report.ok else 1
    finally:
        drop_database(SERVER_URL, ours_db)
        drop_database(SERVER_URL, pgbench_db)


if __name__ == "__main__":
    sys.exit(main())
