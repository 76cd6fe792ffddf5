"""Bookkeeping of ingestion: each batch's counts, and where each pull stopped."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from systok.db.kit import dialect_insert, ingest_batches_t, ingest_cursors_t


def record_batch(
    session: Session,
    *,
    source: str,
    received: int,
    accepted: int,
    duplicates: int,
    conflicts: int,
    quarantined: int,
    started_at_us: int,
) -> None:
    """Store one batch's counts (the table checks that they add up to ``received``)."""
    session.execute(
        ingest_batches_t.insert().values(
            source=source,
            received=received,
            accepted=accepted,
            duplicates=duplicates,
            conflicts=conflicts,
            quarantined=quarantined,
            started_at_us=started_at_us,
        )
    )


def read_cursor(session: Session, name: str) -> str | None:
    """Where the pull ``name`` stopped (its own text), or None before its first page."""
    return session.execute(
        select(ingest_cursors_t.c.cursor).where(ingest_cursors_t.c.source == name)
    ).scalar_one_or_none()


def write_cursor(session: Session, name: str, cursor: str, now_us: int) -> None:
    session.execute(
        dialect_insert(session, ingest_cursors_t)
        .values(source=name, cursor=cursor, updated_at_us=now_us)
        .on_conflict_do_update(
            index_elements=["source"], set_={"cursor": cursor, "updated_at_us": now_us}
        )
    )
