"""All SQL of the metrics: the scrape's snapshot queries and the facts kept for them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from systok import clock
from systok.db.kit import (
    ingest_batches_t,
    payout_batches_t,
    payout_items_t,
    quarantine_t,
    reconciliations_t,
    runs_t,
    stages_t,
)
from systok.observability.schemas import SETTLED_AFTER_US, IngestSums, Snapshot
from systok.payout.schemas import BatchStatus


def insert_stage(
    session: Session, run_id: int, stage: str, finished_at_us: int, duration_us: int
) -> None:
    session.execute(
        insert(stages_t).values(
            run_id=run_id, stage=stage, finished_at_us=finished_at_us, duration_us=duration_us
        )
    )


def insert_reconciliation(session: Session, **values: int) -> None:
    session.execute(insert(reconciliations_t).values(**values))


def ingest_sums(session: Session, *where: Any) -> dict[str, IngestSums]:
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
    snap.ingest_recent = ingest_sums(session, ingest_batches_t.c.started_at_us >= horizon_us)
    if settled_from_us is None:
        snap.ingest_settled = ingest_sums(session, ingest_batches_t.c.started_at_us < horizon_us)
    elif settled_from_us < horizon_us:
        snap.ingest_settled = ingest_sums(
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
            .where(payout_batches_t.c.status == BatchStatus.FAILED)
        )
        or 0
    )
    snap.reconciliation = session.execute(
        select(reconciliations_t).order_by(reconciliations_t.c.id.desc()).limit(1)
    ).first()
    return snap
