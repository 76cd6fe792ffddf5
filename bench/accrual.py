"""Settle a week of 100 000 members and 10 000 000 events; DuckDB computes the same totals.

    python3 dev.py bench accrual [--members 100000] [--events 10000000] [--postgres]

(``dev.py bench`` installs the ``bench`` extra, DuckDB, on first use.)

DuckDB generates the week's raw events (seeded; skewed so that a heavy head of members
hits the daily caps) and computes the reference: Σ per member of
floor(Σ weight × min(count, daily limit) × qualification coefficient × 10⁶), in integer
arithmetic, straight from the raw events. That query is DuckDB's time.

SysTok settles from its daily counters, which the ingest door keeps as events arrive
(ADR 0006), so re-scanning 10 M raw events is not part of a settle. The per-(member,
day, type) counts of the same events are therefore loaded into ``event_day_counts``
(untimed, like ingestion; see bench/ingest.py), with every member's paid membership and
qualification level, and on PostgreSQL vacuumed and analyzed as autovacuum would have
done by the end of the week. Timed: the whole weekly run — collect (per-member sums), score
(fast path for uniform weeks, ADR 0009), report (CSV, Merkle root), post (emission,
rewards in bulk). Each stage's seconds are printed too. The totals of units before
pro-rata must equal DuckDB's exactly. Last line: ``ratio <settle seconds / DuckDB
seconds>`` (PostgreSQL's when --postgres is given, else SQLite's).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb
from sqlalchemy import func, select, text

from bench.scratch import add_paid_members, scratch_database
from systok.accrual.schemas import STAGES
from systok.accrual.service import WeeklyRun
from systok.core.times import day_of_date
from systok.core.weeks import IsoWeek
from systok.db import migrate
from systok.db.engine import make_engine, run_transaction
from systok.db.tables import AccrualReward
from systok.policy_files import load_policy
from tests.accrual.crash import CrashingRun, SimulatedCrash

SERVER_URL = os.environ.get(
    "SYSTOK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WEEK = IsoWeek(2026, 10)
TYPES = [
    "SectionCompleted",
    "ExerciseSave",
    "ClubPostCreated",
    "ClubLikeGiven",
    "ClubLikeReceived",
    "ClubCommentCreated",
    "ClubCommentReceived",
]
LEVEL_OF = [1, 2, 3, 4]  # member i has level LEVEL_OF[i % 4]


def generate(con: duckdb.DuckDBPyConnection, members: int, events: int) -> None:
    con.execute("SELECT setseed(0.42)")
    type_list = "[" + ", ".join(f"'{t}'" for t in TYPES) + "]"
    # pow(random(), 3) skews toward low ids: a heavy head that hits the caps daily.
    con.execute(f"""
        CREATE TABLE events AS
        SELECT CAST(floor(pow(random(), 3) * {members}) AS BIGINT) AS m,
               CAST(floor(random() * 7) AS INTEGER) AS day_offset,
               list_element({type_list}, CAST(floor(random() * {len(TYPES)}) AS INTEGER) + 1)
                   AS type
        FROM range({events})
    """)


def duckdb_total(con: duckdb.DuckDBPyConnection, policy) -> tuple[int, float]:
    weights = ", ".join(
        f"('{t}', {policy.events[t].weight}, {policy.events[t].limit_daily})" for t in TYPES
    )
    coefficients = ", ".join(
        f"({level}, {int(policy.scoring.qualification_coefficient(level) * 100)})"
        for level in LEVEL_OF
    )
    started = time.perf_counter()
    total = con.execute(f"""
        WITH counts AS (SELECT m, day_offset, type, count(*) AS n FROM events GROUP BY ALL),
             rules(type, weight, lim) AS (VALUES {weights}),
             coefficient(level, per_cent) AS (VALUES {coefficients}),
             base AS (
                 SELECT c.m, sum(r.weight * least(c.n, r.lim)) AS points
                 FROM counts c JOIN rules r USING (type) GROUP BY c.m
             )
        SELECT sum(b.points * k.per_cent * 1000000 // 100)
        FROM base b JOIN coefficient k ON k.level = [1, 2, 3, 4][b.m % 4 + 1]
    """).fetchone()[0]
    return int(total), time.perf_counter() - started


def load(url: str, con: duckdb.DuckDBPyConnection, members: int) -> None:
    """Members, profiles and daily counters into a migrated SysTok database (untimed)."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    first_day = day_of_date(WEEK.monday)
    since = first_day - 400
    ids = [f"m{i:06d}" for i in range(members)]
    with engine.begin() as connection:
        add_paid_members(connection, ids, since)
        connection.execute(
            text(
                "INSERT INTO member_qualifications (member_id, valid_from_day, level) "
                "VALUES (:m, :s, :l)"
            ),
            [{"m": m, "s": since, "l": LEVEL_OF[i % 4]} for i, m in enumerate(ids)],
        )
    rows = con.execute(
        "SELECT m, day_offset, type, count(*) FROM events GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    counters = [
        {"m": f"m{m:06d}", "d": first_day + offset, "t": kind, "n": n}
        for m, offset, kind, n in rows
    ]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            raw = connection.connection.driver_connection
            with raw.cursor().copy(
                "COPY event_day_counts (member_id, day, event_type, count) FROM STDIN"
            ) as copy:
                for c in counters:
                    copy.write_row((c["m"], c["d"], c["t"], c["n"]))
        else:
            connection.execute(
                text(
                    "INSERT INTO event_day_counts (member_id, day, event_type, count) "
                    "VALUES (:m, :d, :t, :n)"
                ),
                counters,
            )
    if engine.dialect.name == "postgresql":
        # What autovacuum does to a table after this many inserts, before any settle:
        # without it the first settle pays for setting every page's hint bits and
        # plans its aggregates on a table the planner believes empty.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE)"))
    engine.dispose()
    print(f"  loaded {members} members and {len(counters)} daily counters", flush=True)


def settle(url: str, policy, reports: Path) -> tuple[int, float, int]:
    """Settle the week stage by stage (stopping after each, like a crash, then resuming)."""
    engine = make_engine(url)
    # Each stage ends in a simulated crash, which the run logs as a failed stage.
    logging.getLogger("systok.run").setLevel(logging.CRITICAL)
    seconds = 0.0
    timings = []
    for stage in STAGES[:-1]:
        started = time.perf_counter()
        with contextlib.suppress(SimulatedCrash):
            CrashingRun(engine, policy, reports_dir=reports, crash_after=stage).run(WEEK)
        took = time.perf_counter() - started
        seconds += took
        timings.append(f"{stage} {took:.2f}")
    print("  stages (s): " + ", ".join(timings), flush=True)
    summary = WeeklyRun(engine, policy, reports_dir=reports).run(WEEK)  # settled: a read
    assert summary.stage == "done"
    units = run_transaction(
        engine,
        lambda s: s.execute(select(func.sum(AccrualReward.units))).scalar_one(),
    )
    engine.dispose()
    return int(units), seconds, summary.members


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--postgres", action="store_true", help="also settle on PostgreSQL")
    args = parser.parse_args()
    policy = load_policy("stk-2025-12")
    con = duckdb.connect()
    started = time.perf_counter()
    generate(con, args.members, args.events)
    print(
        f"generated {args.events} events for {args.members} members in DuckDB "
        f"({time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    reference, duck_seconds = duckdb_total(con, policy)
    print(f"DuckDB: totals from raw events in {duck_seconds:.2f} s", flush=True)

    ratios = {}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/accrual.sqlite3"
        load(url, con, args.members)
        units, seconds, rewarded = settle(url, policy, Path(folder))
        match = "totals match" if units == reference else f"MISMATCH {units} ≠ {reference}"
        print(f"SQLite: settle {seconds:.2f} s for {rewarded} members; {match}", flush=True)
        ratios["sqlite"] = seconds / duck_seconds
        if args.postgres:
            with scratch_database(SERVER_URL, "systok_accrual") as pg:
                load(pg, con, args.members)
                units, seconds, rewarded = settle(pg, policy, Path(folder))
                match = "totals match" if units == reference else f"MISMATCH {units} ≠ {reference}"
                print(
                    f"PostgreSQL: settle {seconds:.2f} s for {rewarded} members; {match}",
                    flush=True,
                )
                ratios["postgres"] = seconds / duck_seconds
    ratio = ratios.get("postgres", ratios["sqlite"])
    print(f"ratio {ratio:.1f}")
    return 0 if units == reference else 1


if __name__ == "__main__":
    sys.exit(main())
