"""What a pull (PostHog, Discourse REST, platform profiles) reports when it ends.

Every pull counts the records it handed to the ingestor the same way the ingestor
does (accepted / duplicate / conflict / quarantined), so the CLI prints one summary line per
source and an operator can compare it with the source's own numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from systok.ingest.service import BatchResult, Outcome


@dataclass
class PullSummary:
    """Running totals of one pull; the progress callback sees it after every page."""

    pages: int = 0
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    """Records whose (source, id) names a stored event with other content."""
    quarantined: int = 0
    skipped: int = 0
    """Source rows that earn nothing (PMs, hidden posts, self-likes…), never ingested."""
    retracted: list[str] = field(default_factory=list)
    """``source_event_id`` of stored events the source no longer has (removed likes)."""
    notes: list[str] = field(default_factory=list)
    """Things the operator should know (a user not found, a refused profile…)."""

    def add(self, batch: BatchResult) -> None:
        self.received += len(batch.results)
        self.accepted += batch.count(Outcome.ACCEPTED)
        self.duplicates += batch.count(Outcome.DUPLICATE)
        self.conflicts += batch.count(Outcome.CONFLICT)
        self.quarantined += batch.count(Outcome.QUARANTINED)

    def merge(self, other: PullSummary) -> None:
        """Add another part's counts (a page stored in its own unit of work)."""
        self.received += other.received
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.conflicts += other.conflicts
        self.quarantined += other.quarantined
        self.skipped += other.skipped
        self.retracted.extend(other.retracted)
        self.notes.extend(other.notes)

    def line(self) -> str:
        """``accepted 120, duplicate 3, quarantined 1`` (+ conflict, skipped, retracted if any)."""
        parts = [
            f"accepted {self.accepted}",
            f"duplicate {self.duplicates}",
            f"quarantined {self.quarantined}",
        ]
        if self.conflicts:
            parts.append(f"conflict {self.conflicts}")
        if self.skipped:
            parts.append(f"skipped {self.skipped}")
        if self.retracted:
            parts.append(f"retracted {len(self.retracted)}")
        return ", ".join(parts)
