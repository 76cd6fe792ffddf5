"""Prometheus metrics read from the database at scrape time (``/metrics``).

Why from the database: the facts an operator alerts on — the last weekly run that
finished, how long its stages took, what ingestion accepted or quarantined, payouts
that failed, what the last reconciliation found — are already rows. Reading them at
scrape time makes the numbers survive restarts and agree across several API
processes, where in-process counters would start at zero and differ per worker.

Cost: one read-only snapshot transaction of a few aggregate queries. All but one read
small tables or use an index (``accrual_runs`` has a row a week; ``quarantine`` is
grouped on ``ix_quarantine_status``; ``payout_batches`` on ``ix_payout_batches_status``;
the last ``reconciliations`` row by its primary key). The ingestion totals sum
``ingest_batches`` (one row per call, not per event): measured in docs/monitoring.md.

A database that cannot be read does not fail the scrape: ``systok_metrics_database_up``
is 0 and the HTTP metrics are still served; the error is logged with its reason.

Metrics absent on purpose: amounts of money (Prometheus values are floats; amounts are
integers of base units and belong to ``systok report``), and the reconciliation metrics
until a ``payout reconcile`` has run once (the chain is never read at scrape time).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, Table, func, select
from sqlalchemy.orm import Session

from systok.db.engine import run_transaction
from systok.db.tables import (
    AccrualRun,
    AccrualRunStage,
    IngestBatch,
    PayoutBatch,
    PayoutItem,
    QuarantinedEvent,
    Reconciliation,
)
from systok.observability.logs import get_logger

log = get_logger("metrics")

runs_t = cast(Table, AccrualRun.__table__)
stages_t = cast(Table, AccrualRunStage.__table__)
batches_t = cast(Table, IngestBatch.__table__)
quarantine_t = cast(Table, QuarantinedEvent.__table__)
payout_batches_t = cast(Table, PayoutBatch.__table__)
payout_items_t = cast(Table, PayoutItem.__table__)
reconciliations_t = cast(Table, Reconciliation.__table__)

QUARANTINE_STATUSES = ("open", "accepted", "duplicate", "conflict")
PAYOUT_STATUSES = ("planned", "confirmed", "failed")
INGEST_OUTCOMES = ("accepted", "duplicate", "conflict", "quarantined")
STAGES = ("collect", "score", "report", "post", "payout", "confirm", "notify")


@dataclass
class Snapshot:
    """What one scrape read from the database."""

    last_success: Any = None
    last_run: Any = None
    last_run_stages: list[Any] = field(default_factory=list)
    unfinished_runs: int = 0
    ingest: list[Any] = field(default_factory=list)
    quarantine: dict[str, int] = field(default_factory=dict)
    payout_batches: dict[str, int] = field(default_factory=dict)
    payout_failed_items: int = 0
    reconciliation: Any = None


def read_snapshot(session: Session) -> Snapshot:
    """The scrape's queries, in one snapshot so the numbers agree with each other."""
    snap = Snapshot()
    snap.last_success = session.execute(
        select(runs_t.c.week, runs_t.c.policy_version, runs_t.c.updated_at_us)
        .where(runs_t.c.stage == "done")
        .order_by(runs_t.c.updated_at_us.desc(), runs_t.c.id.desc())
        .limit(1)
    ).first()
    snap.last_run = session.execute(
        select(runs_t.c.id, runs_t.c.week, runs_t.c.policy_version, runs_t.c.stage)
        .order_by(runs_t.c.id.desc())
        .limit(1)
    ).first()
    if snap.last_run is not None:
        snap.last_run_stages = list(
            session.execute(
                select(stages_t.c.stage, stages_t.c.duration_us).where(
                    stages_t.c.run_id == snap.last_run.id
                )
            )
        )
    snap.unfinished_runs = int(
        session.scalar(select(func.count()).where(runs_t.c.stage != "done")) or 0
    )
    snap.ingest = list(
        session.execute(
            select(
                batches_t.c.source,
                func.count().label("batches"),
                func.coalesce(func.sum(batches_t.c.accepted), 0).label("accepted"),
                func.coalesce(func.sum(batches_t.c.duplicates), 0).label("duplicate"),
                func.coalesce(func.sum(batches_t.c.conflicts), 0).label("conflict"),
                func.coalesce(func.sum(batches_t.c.quarantined), 0).label("quarantined"),
            )
            .group_by(batches_t.c.source)
            .order_by(batches_t.c.source)
        )
    )
    snap.quarantine = {
        str(status): int(count)
        for status, count in session.execute(
            select(quarantine_t.c.status, func.count()).group_by(quarantine_t.c.status)
        )
    }
    snap.payout_batches = {
        str(status): int(count)
        for status, count in session.execute(
            select(payout_batches_t.c.status, func.count()).group_by(payout_batches_t.c.status)
        )
    }
    snap.payout_failed_items = int(
        session.scalar(
            select(func.count())
            .select_from(payout_items_t)
            .join(payout_batches_t, payout_batches_t.c.id == payout_items_t.c.batch_id)
            .where(payout_batches_t.c.status == "failed")
        )
        or 0
    )
    snap.reconciliation = session.execute(
        select(reconciliations_t).order_by(reconciliations_t.c.id.desc()).limit(1)
    ).first()
    return snap


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
    for row in snap.ingest:
        batches.add_metric([row.source], int(row.batches))
        for outcome in INGEST_OUTCOMES:
            records.add_metric([row.source, outcome], int(getattr(row, outcome)))
    yield records
    yield batches

    quarantine = GaugeMetricFamily(
        "systok_quarantine_entries",
        "Quarantine entries by status (`open` ones wait for an operator).",
        labels=["status"],
    )
    for status in sorted(set(QUARANTINE_STATUSES) | set(snap.quarantine)):
        quarantine.add_metric([status], snap.quarantine.get(status, 0))
    yield quarantine

    payouts = GaugeMetricFamily(
        "systok_payout_batches",
        "Payout batches by status (`failed`: landed and failed, or refused before landing).",
        labels=["status"],
    )
    for status in sorted(set(PAYOUT_STATUSES) | set(snap.payout_batches)):
        payouts.add_metric([status], snap.payout_batches.get(status, 0))
    yield payouts
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

    def describe(self) -> list[Metric]:
        """Nothing: registering must not query the database (the app is being built)."""
        return []

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        try:
            snap = run_transaction(self.engine, read_snapshot, snapshot=True)
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
