"""The quarantine as operators handle it (``systok events quarantine …``): list, count
and dismiss entries. Retrying open entries is the ingestor's (``Ingestor.retry_quarantine``).
Units of work that take the caller's session and never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from systok.errors import QuarantineEntryClosed, QuarantineEntryNotFound, SystokError
from systok.ingest import repository as repo


def quarantine_entries(
    session: Session, *, status: str, limit: int, source: str | None = None
) -> list[Any]:
    """Entries of one status (``open``, ``conflict``, ``dismissed``), oldest first."""
    return repo.quarantine_rows(session, status=status, limit=limit, source=source)


def quarantine_counts(session: Session, source: str | None = None) -> dict[str, int]:
    """How many entries each status has (every status, 0 when none)."""
    return repo.quarantine_counts(session, source)


def dismiss_entry(session: Session, entry_id: int, reason: str, now_us: int) -> Any:
    """Close an open or conflict entry for good, kept with the reason; returns the entry.

    Raises:
        SystokError: the reason is empty.
        QuarantineEntryNotFound: no entry has this id.
        QuarantineEntryClosed: the entry is accepted, a duplicate or dismissed already.
    """
    why = reason.strip()
    if not why:
        raise SystokError("--reason: say why the entry is dismissed (it is kept with it)")
    row = repo.quarantine_row(session, entry_id)
    if row is None:
        raise QuarantineEntryNotFound(f"no quarantine entry has id {entry_id}")
    if not repo.dismiss_quarantined(session, entry_id, why, now_us):
        raise QuarantineEntryClosed(
            f"quarantine entry {entry_id} is {row.status}: only open or conflict "
            "entries can be dismissed"
        )
    return repo.quarantine_row(session, entry_id)
