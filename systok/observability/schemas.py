"""Data shapes of the metrics: what one scrape read, and ingestion sums by source."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
