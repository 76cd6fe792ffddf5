"""Ingestion throughput: events/s through ``Ingestor.ingest`` next to a plain INSERT.

    python3 dev.py bench ingest [--events 100000] [--batch 10000] [--postgres]

Generates events for 1 000 members (with a re-sent 5 % to exercise deduplication) and
ingests them in batches of ``--batch`` records, one unit of work per batch, through the
full door: JSON parsing, validation, member resolution, ``ON CONFLICT DO NOTHING``
insert, per-record results and batch counts. The reference is a plain ``executemany``
INSERT of the same (already validated) rows into a copy of the table, in the same run
on the same database. Prints both rates and, last, ``ratio <ours / plain insert>``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench.scratch import scratch_database
from systok.core.times import parse_utc_us
from systok.db import migrate
from systok.db.engine import make_engine, run_transaction
from systok.ingest import repository as repo
from systok.ingest.service import Ingestor, Outcome
from systok.policy_files import load_policy

SERVER_URL = os.environ.get(
    "SYSTOK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW_US = parse_utc_us("2026-01-14T12:00:00Z")
TYPES = ["SectionCompleted", "ExerciseSave", "ClubLikeGiven", "ClubCommentCreated"]


def records(count: int) -> list[str]:
    out = []
    for i in range(count):
        out.append(
            json.dumps(
                {
                    "source": "bench",
                    "id": f"e{i}",
                    "type": TYPES[i % len(TYPES)],
                    "member": f"m{i % 1000:04d}",
                    "occurred_at": f"2026-01-{8 + i % 6:02d}T{i % 24:02d}:00:00Z",
                    "payload": {"n": i},
                }
            )
        )
    return out + out[: count // 20]  # 5 % re-sent


def run(url: str, count: int, batch: int) -> tuple[float, float]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    policy = load_policy("stk-2025-12")
    run_transaction(engine, lambda s: [repo.ensure_member(s, f"m{i:04d}", 0) for i in range(1000)])
    lines = records(count)
    started = time.perf_counter()
    accepted = 0
    for start in range(0, len(lines), batch):
        chunk = lines[start : start + batch]
        result = run_transaction(
            engine,
            lambda s, chunk=chunk: Ingestor(s, policy=policy, clock=lambda: NOW_US).ingest(
                chunk, source="bench", live=False
            ),
        )
        accepted += result.count(Outcome.ACCEPTED)
    ours = time.perf_counter() - started
    assert accepted == count, accepted

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE plain_events AS SELECT * FROM events WHERE 1 = 0"))
        rows = [dict(r._mapping) for r in connection.execute(text("SELECT * FROM events"))]
    for row in rows:
        row.pop("id")
    columns = ", ".join(rows[0])
    placeholders = ", ".join(f":{c}" for c in rows[0])
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        with engine.begin() as connection:
            connection.execute(
                text(f"INSERT INTO plain_events ({columns}) VALUES ({placeholders})"),
                rows[start : start + batch],
            )
    plain = time.perf_counter() - started
    engine.dispose()
    return len(lines) / ours, len(rows) / plain


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    args = parser.parse_args()
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        ours, plain = run(f"sqlite:///{folder}/bench.sqlite3", args.events, args.batch)
        print(f"SQLite:     ingest {ours:9.0f} records/s   plain INSERT {plain:9.0f} rows/s")
        ratios.append(ours / plain)
    if args.postgres:
        with scratch_database(SERVER_URL, "systok_ingest") as url:
            ours, plain = run(url, args.events, args.batch)
            print(f"PostgreSQL: ingest {ours:9.0f} records/s   plain INSERT {plain:9.0f} rows/s")
            ratios.append(ours / plain)
    print(f"ratio {min(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
