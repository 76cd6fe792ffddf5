"""Prometheus metrics read from the database at scrape time (``/metrics``).

Why from the database: the facts an operator alerts on — the last weekly run that
finished, how long its stages took, what ingestion accepted or quarantined, payouts
that failed, what the last reconciliation found — are already rows. Reading them at
scrape time makes the numbers survive restarts and agree across several API
processes, where in-process counters would start at zero and differ per worker.

Cost: one read-only snapshot transaction of a few aggregate queries. All but one read
small tables or use an index (``accrual_runs`` has a row a week; ``quarantine`` is
grouped on ``ix_quarantine_status``; ``payout_batches`` on ``ix_payout_batches_status``;
the last ``reconciliations`` row by its primary key). The ingestion totals come from
``ingest_batches`` (one row per call, not per event): the first scrape of a process
sums them all, later scrapes only the batches of the last hour plus those that became
settled since the previous scrape (``ix_ingest_batches_started``); measured in
docs/monitoring.md.

A database that cannot be read does not fail the scrape: ``systok_metrics_database_up``
is 0 and the HTTP metrics are still served; the error is logged with its reason.

Metrics absent on purpose: amounts of money (Prometheus values are floats; amounts are
integers of base units and belong to ``systok report``), and the reconciliation metrics
until a ``payout reconcile`` has run once (the chain is never read at scrape time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from functools import partial

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from systok import clock
from systok.db.engine import run_transaction
from systok.observability.logs import get_logger
from systok.observability.repository import read_snapshot
from systok.observability.schemas import SETTLED_AFTER_US, IngestSums, Snapshot, add_sums
from systok.payout.schemas import BatchStatus

log = get_logger("metrics")


QUARANTINE_STATUSES = ("open", "accepted", "duplicate", "conflict")
PAYOUT_STATUSES = tuple(BatchStatus)
INGEST_OUTCOMES = ("accepted", "duplicate", "conflict", "quarantined")
STAGES = ("collect", "score", "report", "post", "payout", "confirm", "notify")


def _seconds(micros: int) -> float:
    return micros / 1_000_000


def metric_families(snap: Snapshot) -> Iterator[Metric]:
    """The metrics of one snapshot (pure: tests and the collector share it)."""
    success = GaugeMetricFamily(
        "systok_weekly_run_last_success_timestamp_seconds",
        "When the last weekly run that reached `done` finished (Unix time), by its week.",
        labels=["week", "policy_version"],
    )
    if snap.last_success is not None:
        row = snap.last_success
        success.add_metric([row.week, row.policy_version], _seconds(row.updated_at_us))
    yield success

    last = GaugeMetricFamily(
        "systok_weekly_run_last_info",
        "The newest weekly run and the stage it reached (always 1).",
        labels=["week", "policy_version", "stage"],
    )
    durations = GaugeMetricFamily(
        "systok_weekly_run_stage_duration_seconds",
        "How long each committed stage of the newest weekly run took.",
        labels=["week", "stage"],
    )
    if snap.last_run is not None:
        run = snap.last_run
        last.add_metric([run.week, run.policy_version, run.stage], 1)
        order = {stage: i for i, stage in enumerate(STAGES)}
        for stage, duration_us in sorted(snap.last_run_stages, key=lambda r: order.get(r[0], 99)):
            durations.add_metric([run.week, stage], _seconds(duration_us))
    yield last
    yield durations
    yield GaugeMetricFamily(
        "systok_weekly_runs_unfinished",
        "Weekly runs not at `done` (a run paused for payouts, or one that crashed).",
        value=snap.unfinished_runs,
    )

    records = CounterMetricFamily(
        "systok_ingest_records",
        "Records received by ingestion since the database was created, by source and "
        "outcome (accepted, duplicate, conflict, quarantined).",
        labels=["source", "outcome"],
    )
    batches = CounterMetricFamily(
        "systok_ingest_batches",
        "Ingestion calls (a batch, a webhook delivery, a pulled page), by source.",
        labels=["source"],
    )
    for source, sums in sorted(snap.ingest.items()):
        batches.add_metric([source], sums.batches)
        for outcome in INGEST_OUTCOMES:
            records.add_metric([source, outcome], getattr(sums, outcome))
    yield records
    yield batches

    yield _by_status(
        "systok_quarantine_entries",
        "Quarantine entries by status (`open` ones wait for an operator).",
        QUARANTINE_STATUSES,
        snap.quarantine,
    )
    yield _by_status(
        "systok_payout_batches",
        "Payout batches by status (`failed`: landed and failed, or refused before landing).",
        PAYOUT_STATUSES,
        snap.payout_batches,
    )
    yield GaugeMetricFamily(
        "systok_payout_failed_items",
        "Members' transfers in failed payout batches.",
        value=snap.payout_failed_items,
    )

    if snap.reconciliation is not None:
        rec = snap.reconciliation
        yield GaugeMetricFamily(
            "systok_reconcile_last_timestamp_seconds",
            "When the last `payout reconcile` finished (Unix time).",
            value=_seconds(rec.finished_at_us),
        )
        differences = GaugeMetricFamily(
            "systok_reconcile_differences",
            "Differences between chain and ledger the last reconciliation found, by kind.",
            labels=["kind"],
        )
        differences.add_metric(["missing"], rec.missing)
        differences.add_metric(["extra"], rec.extra)
        differences.add_metric(["wrong_amount"], rec.wrong_amount)
        yield differences
        yield GaugeMetricFamily(
            "systok_reconcile_accounts_checked",
            "Token accounts the last reconciliation compared.",
            value=rec.accounts_checked,
        )


class DatabaseCollector(Collector):
    """A prometheus_client collector that reads ``engine`` on every scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.settled: dict[str, IngestSums] = {}
        """Ingestion sums of the batches started before ``settled_to_us``."""
        self.settled_to_us: int | None = None
        self._lock = threading.Lock()

    def _read(self) -> Snapshot:
        horizon_us = clock.now_us() - SETTLED_AFTER_US
        if self.settled_to_us is not None:
            horizon_us = max(horizon_us, self.settled_to_us)  # the clock went back
        snap = run_transaction(
            self.engine,
            partial(read_snapshot, horizon_us=horizon_us, settled_from_us=self.settled_to_us),
            snapshot=True,
        )
        self.settled = add_sums(self.settled, snap.ingest_settled)
        self.settled_to_us = horizon_us
        snap.ingest = add_sums(self.settled, snap.ingest_recent)
        return snap

    def describe(self) -> list[Metric]:
        """Nothing: registering must not query the database (the app is being built)."""
        return []

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        try:
            with self._lock:  # concurrent scrapes must not add the same batches twice
                snap = self._read()
        except Exception as error:
            log.error(
                "metrics: database unreadable",
                extra={"error": type(error).__name__, "reason": str(error)[:500]},
            )
            up = 0
        else:
            up = 1
            yield from metric_families(snap)
        yield GaugeMetricFamily(
            "systok_metrics_database_up", "1 when the scrape could read the database.", value=up
        )
        yield GaugeMetricFamily(
            "systok_metrics_database_read_seconds",
            "How long this scrape's database queries took.",
            value=time.perf_counter() - started,
        )


def _by_status(
    name: str, documentation: str, statuses: Iterable[str], counts: Mapping[str, int]
) -> GaugeMetricFamily:
    """A gauge per status: every known status (0 when none) and any other one counted, so
    a dashboard's series never vanish when a status empties."""
    family = GaugeMetricFamily(name, documentation, labels=["status"])
    for status in sorted(set(statuses) | set(counts)):
        family.add_metric([status], counts.get(status, 0))
    return family
