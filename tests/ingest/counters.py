"""Checks of ingestion's bookkeeping that only tests need: the daily counters against a
recount of the events, and the sums of the batch counts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from systok.db.kit import day_counts_t, events_t, ingest_batches_t

DayKey = tuple[str, int, str]


def recount_day_counts(session: Session) -> dict[DayKey, int]:
    """The daily counters recomputed from the raw events: attributed, not retracted, and
    not a self-interaction (the rule ``systok.ingest.repository.day_counts`` keeps)."""
    rows = session.execute(
        select(events_t.c.member_id, events_t.c.occurred_day, events_t.c.event_type, func.count())
        .where(
            events_t.c.member_id.is_not(None),
            events_t.c.retracted_at_us.is_(None),
            (events_t.c.counterpart_member_id.is_(None))
            | (events_t.c.counterpart_member_id != events_t.c.member_id),
        )
        .group_by(events_t.c.member_id, events_t.c.occurred_day, events_t.c.event_type)
    )
    return {(m, d, t): int(n) for m, d, t, n in rows}


def day_count_mismatches(session: Session) -> list[str]:
    """Every counter that disagrees with its recount, named (empty when they agree)."""
    stored = {
        (member_id, day, event_type): int(n)
        for member_id, day, event_type, n in session.execute(
            select(
                day_counts_t.c.member_id,
                day_counts_t.c.day,
                day_counts_t.c.event_type,
                day_counts_t.c.count,
            )
        )
        if n != 0
    }
    recounted = recount_day_counts(session)
    return [
        f"counter {key}: stored {stored.get(key, 0)}, events say {recounted.get(key, 0)}"
        for key in sorted(set(stored) | set(recounted))
        if stored.get(key, 0) != recounted.get(key, 0)
    ]


def batch_totals(session: Session) -> dict[str, int]:
    """The batch counts summed over every batch stored."""
    row = session.execute(
        select(
            func.coalesce(func.sum(ingest_batches_t.c.received), 0),
            func.coalesce(func.sum(ingest_batches_t.c.accepted), 0),
            func.coalesce(func.sum(ingest_batches_t.c.duplicates), 0),
            func.coalesce(func.sum(ingest_batches_t.c.conflicts), 0),
            func.coalesce(func.sum(ingest_batches_t.c.quarantined), 0),
        )
    ).one()
    return dict(
        zip(
            ("received", "accepted", "duplicates", "conflicts", "quarantined"),
            map(int, row),
            strict=True,
        )
    )
