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
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from systok import clock
from systok.db.engine import run_transaction
from systok.db.kit import (
    ingest_batches_t,
    payout_batches_t,
    payout_items_t,
    quarantine_t,
    reconciliations_t,
    runs_t,
    stages_t,
)
from systok.observability.logs import get_logger

log = get_logger("metrics")


QUARANTINE_STATUSES = ("open", "accepted", "duplicate", "conflict")
PAYOUT_STATUSES = ("planned", "confirmed", "failed")
INGEST_OUTCOMES = ("accepted", "duplicate", "conflict", "quarantined")
STAGES = ("collect", "score", "report", "post", "payout", "confirm", "notify")


SETTLED_AFTER_US = 3_600_000_000
"""A batch started this long ago has committed (or rolled back): its unit of work holds
one request's or one pulled page's records, never an hour's."""


@dataclass(frozen=True)
class IngestSums:
    """One source's ingestion sums over some batches."""

    batches: int = 0
    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    quarantined: int = 0

    def __add__(self, other: IngestSums) -> IngestSums:
        return IngestSums(
            self.batches + other.batches,
            self.accepted + other.accepted,
            self.duplicate + other.duplicate,
            self.conflict + other.conflict,
            self.quarantined + other.quarantined,
        )


def add_sums(left: dict[str, IngestSums], right: dict[str, IngestSums]) -> dict[str, IngestSums]:
    """Per-source sums of two sets of batches."""
    return {k: left.get(k, IngestSums()) + right.get(k, IngestSums()) for k in left | right}


@dataclass
class Snapshot:
    """What one scrape read from the database."""

    last_success: Any = None
    last_run: Any = None
    last_run_stages: list[Any] = field(default_factory=list)
    unfinished_runs: int = 0
    horizon_us: int = 0
    ingest_settled: dict[str, IngestSums] = field(default_factory=dict)
    """Sums of settled batches this scrape read (all of them, or only the new ones)."""
    ingest_recent: dict[str, IngestSums] = field(default_factory=dict)
    ingest: dict[str, IngestSums] = field(default_factory=dict)
    """The totals shown: the collector's settled sums plus the recent ones."""
    quarantine: dict[str, int] = field(default_factory=dict)
    payout_batches: dict[str, int] = field(default_factory=dict)
    payout_failed_items: int = 0
    reconciliation: Any = None


def _ingest_sums(session: Session, *where: Any) -> dict[str, IngestSums]:
    rows = session.execute(
        select(
            ingest_batches_t.c.source,
            func.count(),
            func.coalesce(func.sum(ingest_batches_t.c.accepted), 0),
            func.coalesce(func.sum(ingest_batches_t.c.duplicates), 0),
            func.coalesce(func.sum(ingest_batches_t.c.conflicts), 0),
            func.coalesce(func.sum(ingest_batches_t.c.quarantined), 0),
        )
        .where(*where)
        .group_by(ingest_batches_t.c.source)
    )
    return {str(source): IngestSums(*(int(n) for n in sums)) for source, *sums in rows}


def read_snapshot(
    session: Session, *, horizon_us: int | None = None, settled_from_us: int | None = None
) -> Snapshot:
    """The scrape's queries, in one snapshot so the numbers agree with each other.

    Ingestion totals are read in two parts: batches started before ``horizon_us`` are
    *settled* (their units of work committed long ago) and the collector keeps their
    sums, so a scrape reads only the batches started since its previous horizon
    (``settled_from_us``; None reads all settled ones, as the first scrape does) plus
    the recent ones. ``ix_ingest_batches_started`` makes both range reads cheap.
    """
    horizon_us = horizon_us if horizon_us is not None else clock.now_us() - SETTLED_AFTER_US
    snap = Snapshot(horizon_us=horizon_us)
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
    snap.ingest_recent = _ingest_sums(session, ingest_batches_t.c.started_at_us >= horizon_us)
    if settled_from_us is None:
        snap.ingest_settled = _ingest_sums(session, ingest_batches_t.c.started_at_us < horizon_us)
    elif settled_from_us < horizon_us:
        snap.ingest_settled = _ingest_sums(
            session,
            ingest_batches_t.c.started_at_us >= settled_from_us,
            ingest_batches_t.c.started_at_us < horizon_us,
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
