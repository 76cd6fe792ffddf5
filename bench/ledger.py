"""Ledger throughput on PostgreSQL next to pgbench TPC-B, in one invocation.

    python3 dev.py bench ledger [--seconds 10] [--rounds 2] [--workers 8] [--accounts 10000]

Creates two scratch databases on the server named by SYSTOK_BENCH_POSTGRES_URL
(default: the local ``test`` server), one for SysTok (migrated, 10 000 funded member
accounts) and one for pgbench (``pgbench -i -s 1``). Then, alternating so that both see
the same machine noise, it runs ``pgbench -c 8 -j 2 -M prepared -T N`` (TPC-B-like) and
8 SysTok workers (threads with a connection each, spread over 2 processes like pgbench's
``-j 2``; ``--processes 8`` gives each its own process) doing random member-to-member
transfers through ``post_in_own_transaction`` (tests/ledger/own_transaction.py) for N
seconds (a transfer that is a whole unit of work, as an API transfer request is). Every
transfer is a full ledger write: idempotency key claimed, accounts locked in id order,
balances checked and updated, postings written, its lane of the hash chain extended,
committed. After the runs the audit checks every invariant over everything written.
``--session-paths`` also measures transfers inside a session's unit of work (BEGIN, the
function, COMMIT) and the portable Python path.

Prints transfers per second per round, the medians, and as its last line
``ratio <ours / pgbench>``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.engine import make_url

from bench.scratch import create_database, database_url, drop_database
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
from systok.errors import InsufficientFunds
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger, PostingPath
from tests.ledger.own_transaction import post_in_own_transaction

SERVER_URL = os.environ.get(
    "SYSTOK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
OPENING_UNITS = 1_000_000


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
    start_at: float,
    results: mp.Queue,
) -> None:
    """One OS process running one worker thread per seed, each with its own connection."""
    engine = make_engine(url, pool_size=len(seeds), max_overflow=0)
    threads = [
        threading.Thread(
            target=_worker, args=(engine, seed, accounts, seconds, path, start_at, results)
        )
        for seed in seeds
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()


def _worker(
    engine,
    seed: int,
    accounts: int,
    seconds: float,
    path: str,
    start_at: float,
    results: mp.Queue,
) -> None:
    rng = random.Random(seed)
    refs = [member_account(f"m{i:05d}") for i in range(accounts)]
    # Warm a connection (and the asset cache) before the clock starts.
    run_transaction(engine, lambda s: Ledger(s).asset_scale("STK"))
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    done = refused = 0
    n = 0
    while time.time() < deadline:
        source, target = rng.sample(refs, 2)
        n += 1
        key = f"bench:{seed}:{n}"
        amount = rng.randint(1, 100)
        try:
            if path == "own-transaction":
                post_in_own_transaction(
                    engine,
                    TransactionDraft(
                        TransactionCode.TRANSFER,
                        key,
                        (Posting(source, -amount), Posting(target, amount)),
                    ),
                )
            else:
                run_transaction(
                    engine,
                    lambda s, source=source, target=target, key=key, amount=amount: Ledger(
                        s, path=PostingPath(path)
                    ).transfer(
                        source, target, amount, code=TransactionCode.TRANSFER, idempotency_key=key
                    ),
                )
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
    start_at = time.time() + 2.0 + 0.3 * processes_count
    seeds = [round_no * 1000 + i for i in range(workers)]
    processes = [
        context.Process(
            target=_process,
            args=(url, seeds[p::processes_count], accounts, seconds, path, start_at, results),
        )
        for p in range(processes_count)
    ]
    for process in processes:
        process.start()
    totals = [results.get() for _ in seeds]
    for process in processes:
        process.join()
    return sum(done for done, _ in totals) / seconds


def open_accounts(url: str, accounts: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    world = system_account(AccountType.WORLD)
    refs = [member_account(f"m{i:05d}") for i in range(accounts)]

    def work(session):
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
        "--session-paths",
        action="store_true",
        help="also measure transfers inside a session's unit of work "
        "(BEGIN + function + COMMIT, and the portable Python path)",
    )
    args = parser.parse_args()

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
            f"{args.accounts} accounts, workers on {args.processes} processes; "
            f"pgbench scale 1, -c {args.workers} -j 2 -M prepared"
        )
        pgbench_tps, ours_tps = [], []
        session_tps: dict[str, list[float]] = {"function": [], "portable": []}
        for round_no in range(args.rounds):
            pgbench_tps.append(run_pgbench(pgbench_db, args.seconds, args.workers))
            ours_tps.append(
                run_ours(
                    _url(ours_db),
                    args.seconds,
                    args.workers,
                    args.accounts,
                    "own-transaction",
                    round_no,
                    args.processes,
                )
            )
            line = (
                f"round {round_no + 1}: pgbench TPC-B {pgbench_tps[-1]:7.0f} tps   "
                f"systok transfers {ours_tps[-1]:7.0f}/s"
            )
            if args.session_paths:
                for offset, name in enumerate(session_tps, start=1):
                    session_tps[name].append(
                        run_ours(
                            _url(ours_db),
                            args.seconds,
                            args.workers,
                            args.accounts,
                            name,
                            round_no + 100 * offset,
                            args.processes,
                        )
                    )
                    line += f"   in a session ({name}) {session_tps[name][-1]:6.0f}/s"
            print(line, flush=True)
        engine = make_engine(_url(ours_db))
        report = run_transaction(engine, audit_ledger, snapshot=True)
        engine.dispose()
        print(
            f"audit after the runs: {'ok' if report.ok else report.violations[:3]} "
            f"({report.entries_checked} journal entries)"
        )
        pgbench_median, ours_median = statistics.median(pgbench_tps), statistics.median(ours_tps)
        extra = "".join(
            f", in a session ({name}) {statistics.median(values):.0f}/s"
            for name, values in session_tps.items()
            if values
        )
        print(
            f"median: pgbench {pgbench_median:.0f} tps, systok {ours_median:.0f} transfers/s"
            + extra
        )
        print(f"ratio {ours_median / pgbench_median:.2f}")
        return 0 if report.ok else 1
    finally:
        drop_database(SERVER_URL, ours_db)
        drop_database(SERVER_URL, pgbench_db)


if __name__ == "__main__":
    sys.exit(main())
