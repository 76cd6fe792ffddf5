"""How long one /metrics scrape's database read takes as ``ingest_batches`` grows.

Usage: ``.venv/bin/python bench/scrape_metrics.py [postgres admin URL] [rows …]``.
Creates a scratch database, fills ``ingest_batches`` (and a quarantine) with synthetic
rows, times a fresh collector's first scrape (it sums every batch) and the median of
five later ones (they read only recent and newly settled batches), then drops it.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench.scratch import create_database, database_url, drop_database
from systok.db import migrate
from systok.db.engine import make_engine
from systok.observability.collector import DatabaseCollector

ADMIN = sys.argv[1] if len(sys.argv) > 1 else "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SIZES = [int(n) for n in sys.argv[2:]] or [10_000, 100_000, 1_000_000]


def main() -> None:
    name = create_database(ADMIN, "systok_bench")
    url = database_url(ADMIN, name)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        have = 0
        for size in SIZES:
            with engine.begin() as c:
                c.execute(
                    text(
                        "INSERT INTO ingest_batches (source, received, accepted, duplicates, "
                        "conflicts, quarantined, started_at_us) "
                        "SELECT (ARRAY['posthog','discourse','http','platform'])[1 + g % 4], "
                        "10, 7, 2, 0, 1, g FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) g"
                    ),
                    {"a": have + 1, "b": size},
                )
                c.execute(text("ANALYZE"))
            have = size
            collector = DatabaseCollector(engine)  # a fresh process: the first scrape sums all
            started = time.perf_counter()
            list(collector.collect())
            first_ms = (time.perf_counter() - started) * 1000
            times = []
            for _ in range(5):
                started = time.perf_counter()
                list(collector.collect())
                times.append(time.perf_counter() - started)
            later_ms = statistics.median(times) * 1000
            print(
                f"ingest_batches={size:>9}: first scrape {first_ms:.1f} ms, "
                f"later scrapes median {later_ms:.1f} ms"
            )
    finally:
        engine.dispose()
        drop_database(ADMIN, name)


if __name__ == "__main__":
    main()
