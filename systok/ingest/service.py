"""Ingestion service: records in, canonical events stored once, refusals quarantined.

``Ingestor.ingest`` is the one door every source goes through. For each record it
answers accepted, duplicate or quarantined (with the field and reason), in input
order, and it records the batch's counts, where the database itself checks that
received = accepted + duplicates + quarantined. Events whose actor is known only by an
alias not linked yet are stored unattributed, and attributed when the alias is linked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from systok import clock as systok_clock
from systok.core.policy import Policy
from systok.errors import SystokError
from systok.ingest import repository as repo
from systok.ingest.schemas import (
    CanonicalEvent,
    IncomingEvent,
    Limits,
    Party,
    Refusal,
    parse_record,
    validate_incoming,
)


class Outcome(StrEnum):
    """What became of one record."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class RecordResult:
    """The answer for one record, in the order the records came."""

    outcome: Outcome
    source_event_id: str | None = None
    event_id: int | None = None
    field: str | None = None
    reason: str | None = None
    quarantine_id: int | None = None


@dataclass(frozen=True)
class BatchResult:
    """Per-record results and the batch's counts."""

    results: list[RecordResult]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {o.value: self.count(o) for o in Outcome} | {"received": len(self.results)}


class IdentityConflict(SystokError):
    """An alias is already linked to another member."""

    status_code = 409


def now_us() -> int:
    """Now in integer microseconds since the Unix epoch, from :mod:`systok.clock`."""
    return systok_clock.now_us()


def limits_of(policy: Policy) -> Limits:
    """The ingestion limits and the priced event types of a policy."""
    return Limits(
        max_future_skew_seconds=policy.ingestion.max_future_skew_seconds,
        max_age_days=policy.ingestion.max_age_days,
        priced_event_types=frozenset(policy.events),
    )


Record = IncomingEvent | str | bytes | Mapping[str, Any]


class Ingestor:
    """Stores events for one unit of work (a request, an import, a pull page)."""

    def __init__(
        self, session: Session, *, policy: Policy, clock: Callable[[], int] = now_us
    ) -> None:
        self.session = session
        self.limits = limits_of(policy)
        self.clock = clock

    def ingest(self, records: Sequence[Record], *, source: str, live: bool) -> BatchResult:
        """Validate, deduplicate and store records; quarantine every refusal.

        Args:
            source: the batch's label for counting (records carry their own source).
            live: True for sources that deliver as things happen (age limit applies).
        """
        received_at_us = self.clock()
        parsed = [r if isinstance(r, IncomingEvent) else parse_record(r) for r in records]
        resolve = self._resolver([p for p in parsed if isinstance(p, IncomingEvent)])
        checked: list[CanonicalEvent | Refusal] = [
            p
            if isinstance(p, Refusal)
            else validate_incoming(
                p, received_at_us=received_at_us, live=live, limits=self.limits, resolve=resolve
            )
            for p in parsed
        ]
        events = [c for c in checked if isinstance(c, CanonicalEvent)]
        first_of_key: dict[tuple[str, str], CanonicalEvent] = {}
        for event in events:
            first_of_key.setdefault((event.source, event.source_event_id), event)
        inserted = repo.insert_events(self.session, list(first_of_key.values()))
        known = (
            repo.event_ids(self.session, [k for k in first_of_key if k not in inserted])
            if len(inserted) < len(first_of_key)
            else {}
        )
        quarantine_rows = [
            {
                "source": _source_of(parsed[i], source),
                "source_event_id": _id_of(parsed[i]),
                "field": c.field,
                "reason": c.reason,
                "raw": _raw_text(records[i]),
                "live": live,
                "received_at_us": received_at_us,
                "attempts": 1,
                "status": "open",
                "event_id": None,
            }
            for i, c in enumerate(checked)
            if isinstance(c, Refusal)
        ]
        quarantine_ids = iter(repo.quarantine(self.session, quarantine_rows))
        results: list[RecordResult] = []
        claimed: set[tuple[str, str]] = set()
        for parsed_record, checked_record in zip(parsed, checked, strict=True):
            if isinstance(checked_record, Refusal):
                results.append(
                    RecordResult(
                        Outcome.QUARANTINED,
                        _id_of(parsed_record),
                        None,
                        checked_record.field,
                        checked_record.reason,
                        next(quarantine_ids),
                    )
                )
                continue
            key = (checked_record.source, checked_record.source_event_id)
            if key in inserted and key not in claimed:
                claimed.add(key)
                results.append(RecordResult(Outcome.ACCEPTED, key[1], inserted[key]))
            else:
                results.append(
                    RecordResult(Outcome.DUPLICATE, key[1], inserted.get(key) or known.get(key))
                )
        batch = BatchResult(results)
        repo.record_batch(
            self.session,
            source=source,
            received=len(results),
            accepted=batch.count(Outcome.ACCEPTED),
            duplicates=batch.count(Outcome.DUPLICATE),
            quarantined=batch.count(Outcome.QUARANTINED),
            started_at_us=received_at_us,
        )
        return batch

    def _resolver(self, records: Sequence[IncomingEvent]) -> Callable[[str], Party | Refusal]:
        """Resolve member references with two queries for the whole batch."""
        references = {r.member for r in records} | {r.counterpart for r in records if r.counterpart}
        members = repo.existing_members(self.session, references)
        alias_pairs = [_alias_pair(ref) for ref in references if ref not in members]
        aliases = repo.linked_aliases(self.session, [p for p in alias_pairs if p is not None])

        def resolve(reference: str) -> Party | Refusal:
            if reference in members:
                return Party(reference)
            pair = _alias_pair(reference)
            if pair is None:
                return Refusal(
                    None, f"unknown member {reference!r} (not a platform id, and not source:alias)"
                )
            return Party(aliases.get(pair), pair[0], pair[1])

        return resolve

    # --- identity ---------------------------------------------------------------------

    def link_alias(self, member_id: str, source: str, alias: str) -> int:
        """Link ``source:alias`` to a member; returns how many waiting events it attributed."""
        return link_alias(self.session, member_id, source, alias, now=self.clock())

    # --- quarantine -------------------------------------------------------------------

    def retry_quarantine(self, *, limit: int = 10_000, source: str | None = None) -> dict[str, int]:
        """Run open quarantined records through validation again (after a fix elsewhere).

        A record that now passes becomes an event (or is found a duplicate) and its
        quarantine row says so; one that still fails keeps its row with the new reason.
        """
        counts = {"accepted": 0, "duplicate": 0, "still_quarantined": 0}
        for row in repo.open_quarantine(self.session, limit, source):
            if row.source == "members":  # a member line: fixed by importing the file again
                continue
            parsed = parse_record(row.raw)
            checked: CanonicalEvent | Refusal = (
                parsed
                if isinstance(parsed, Refusal)
                else (
                    validate_incoming(
                        parsed,
                        received_at_us=row.received_at_us,
                        live=row.live,
                        limits=self.limits,
                        resolve=self._resolver([parsed]),
                    )
                )
            )
            if isinstance(checked, Refusal):
                repo.refuse_again(self.session, row.id, checked.field, checked.reason)
                counts["still_quarantined"] += 1
                continue
            key = (checked.source, checked.source_event_id)
            inserted = repo.insert_events(self.session, [checked])
            if key in inserted:
                repo.resolve_quarantined(self.session, row.id, "accepted", inserted[key])
                counts["accepted"] += 1
            else:
                existing = repo.event_ids(self.session, [key]).get(key)
                repo.resolve_quarantined(self.session, row.id, "duplicate", existing)
                counts["duplicate"] += 1
        return counts


def link_alias(session: Session, member_id: str, source: str, alias: str, *, now: int) -> int:
    """Link ``source:alias`` to a member and attribute the events waiting for it.

    Returns how many events (as actor or as counterpart) it attributed. An alias linked
    to another member is refused: re-pointing identities would move earned tokens.
    """
    owner = repo.alias_owner(session, source, alias)
    if owner is not None and owner != member_id:
        raise IdentityConflict(f"alias {source}:{alias} already belongs to member {owner!r}")
    repo.ensure_member(session, member_id, now)
    if owner is None:
        repo.insert_alias(session, source, alias, member_id)
    return repo.attribute_events(session, source, alias, member_id)


def _alias_pair(reference: str) -> tuple[str, str] | None:
    source, sep, alias = reference.partition(":")
    if not sep or not source or not alias:
        return None
    return source, alias


def _source_of(parsed: IncomingEvent | Refusal, default: str) -> str:
    return parsed.source if isinstance(parsed, IncomingEvent) else default


def _id_of(parsed: IncomingEvent | Refusal) -> str | None:
    return parsed.id if isinstance(parsed, IncomingEvent) else None


def _raw_text(record: Record) -> str:
    if isinstance(record, IncomingEvent):
        return record.model_dump_json()
    if isinstance(record, bytes):
        return record.decode("utf-8", errors="replace")
    if isinstance(record, str):
        return record
    return json.dumps(record, ensure_ascii=False, default=str)
