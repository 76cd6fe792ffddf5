"""Ingestion service: records in, canonical events stored once, refusals quarantined.

``Ingestor.ingest`` is the one door every source goes through. For each record it
answers accepted, duplicate, conflict or quarantined (with the field and reason), in
input order, and it records the batch's counts, where the database itself checks that
received = accepted + duplicates + conflicts + quarantined. A record whose
``(source, id)`` names a stored event with other content is a *conflict*: the stored
event is kept, and the record is kept in the quarantine (status ``conflict``) with the
differing fields. Events whose actor is known only by an alias not linked yet are
stored unattributed, and attributed when the alias is linked.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from systok.clock import now_us
from systok.core.policy import Policy
from systok.errors import AliasInvalid, IdentityConflict
from systok.ingest import repository as repo
from systok.ingest.collection import collection_paused
from systok.ingest.schemas import (
    MEMBERS_SOURCE,
    CanonicalEvent,
    IncomingEvent,
    Limits,
    Party,
    Refusal,
)
from systok.ingest.storable import (
    ALIAS_LENGTH_MAX,
    SOURCE_LENGTH_MAX,
    normalized_alias,
    normalized_identifier,
    storable_raw,
)
from systok.ingest.validation import (
    Incoming,
    differing_fields,
    parse_record,
    read_record,
    validate_incoming,
)


class Outcome(StrEnum):
    """What became of one record."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
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
    differing: tuple[str, ...] = ()
    """For a conflict: the fields in which the record differs from the stored event."""


@dataclass(frozen=True)
class BatchResult:
    """Per-record results and the batch's counts."""

    results: list[RecordResult]

    def count(self, outcome: Outcome) -> int:
        return self._tally[outcome]

    @cached_property
    def _tally(self) -> Counter[Outcome]:
        """Each outcome's count, in one pass (asked for several times per batch)."""
        return Counter(r.outcome for r in self.results)

    @property
    def counts(self) -> dict[str, int]:
        return {o.value: self.count(o) for o in Outcome} | {"received": len(self.results)}


KEPT_IN_QUARANTINE = {Outcome.QUARANTINED: "open", Outcome.CONFLICT: "conflict"}
"""Outcomes whose record the quarantine keeps, and the row's status: ``open`` rows are
retried after a fix; ``conflict`` rows are kept to be seen, never retried."""


def _repeat_of(existing_id: int, existing: CanonicalEvent, repeat: CanonicalEvent) -> RecordResult:
    """A record whose ``(source, id)`` is stored already: a duplicate, or a conflict."""
    differing = differing_fields(existing, repeat)
    if not differing:
        return RecordResult(Outcome.DUPLICATE, repeat.source_event_id, existing_id)
    return RecordResult(
        Outcome.CONFLICT,
        repeat.source_event_id,
        existing_id,
        _field_list(differing),
        _conflict_reason(existing_id, differing),
        differing=differing,
    )


def _conflict_reason(existing_id: int, differing: Sequence[str]) -> str:
    return (
        f"(source, id) already names event {existing_id}, which differs in "
        f"{', '.join(differing)}; the stored event is kept (an id names one event for "
        "ever: send changed content under a new id)"
    )


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
        with collection_paused():
            return self._ingest(records, source=source, live=live)

    def _ingest(self, records: Sequence[Record], *, source: str, live: bool) -> BatchResult:
        received_at_us = self.clock()
        parsed = [r if isinstance(r, IncomingEvent) else read_record(r) for r in records]
        resolve = self._resolver([p for p in parsed if not isinstance(p, Refusal)])
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
        stored = (
            repo.stored_events(self.session, [k for k in first_of_key if k not in inserted])
            if len(inserted) < len(first_of_key)
            else {}
        )
        draft: list[RecordResult] = []
        claimed: set[tuple[str, str]] = set()
        for parsed_record, checked_record in zip(parsed, checked, strict=True):
            if isinstance(checked_record, Refusal):
                draft.append(
                    RecordResult(
                        Outcome.QUARANTINED,
                        _id_of(parsed_record),
                        field=checked_record.field,
                        reason=checked_record.reason,
                    )
                )
                continue
            key = (checked_record.source, checked_record.source_event_id)
            if key in inserted and key not in claimed:
                claimed.add(key)
                draft.append(RecordResult(Outcome.ACCEPTED, key[1], inserted[key]))
                continue
            found = (inserted[key], first_of_key[key]) if key in inserted else stored.get(key)
            if found is None:  # stored by a transaction this one's snapshot cannot see
                draft.append(RecordResult(Outcome.DUPLICATE, key[1], None))
                continue
            draft.append(_repeat_of(*found, checked_record))
        kept = [i for i, r in enumerate(draft) if r.outcome in KEPT_IN_QUARANTINE]
        quarantine_ids = repo.keep_in_quarantine(
            self.session,
            [
                {
                    "source": _source_of(parsed[i], source),
                    "source_event_id": _id_of(parsed[i]),
                    "field": draft[i].field,
                    "reason": draft[i].reason,
                    "raw": _raw_text(records[i]),
                    "live": live,
                    "received_at_us": received_at_us,
                    "attempts": 1,
                    "status": KEPT_IN_QUARANTINE[draft[i].outcome],
                    "event_id": draft[i].event_id,
                }
                for i in kept
            ],
        )
        for i, quarantine_id in zip(kept, quarantine_ids, strict=True):
            draft[i] = replace(draft[i], quarantine_id=quarantine_id)
        results = draft
        batch = BatchResult(results)
        repo.record_batch(
            self.session,
            source=source,
            received=len(results),
            accepted=batch.count(Outcome.ACCEPTED),
            duplicates=batch.count(Outcome.DUPLICATE),
            conflicts=batch.count(Outcome.CONFLICT),
            quarantined=batch.count(Outcome.QUARANTINED),
            started_at_us=received_at_us,
        )
        return batch

    def _resolver(self, records: Sequence[Incoming]) -> Callable[[str], Party | Refusal]:
        """Resolve member references with two queries for the whole batch.

        Each reference is resolved once (a batch names its members many times); the
        answer is a frozen value, shared by the events that name it.
        """
        references = {r.member for r in records} | {r.counterpart for r in records if r.counterpart}
        members = repo.existing_members(self.session, references)
        alias_pairs = [_alias_pair(ref) for ref in references if ref not in members]
        aliases = repo.linked_aliases(self.session, [p for p in alias_pairs if p is not None])
        known: dict[str, Party | Refusal] = {m: Party(m) for m in members}

        def resolve(reference: str) -> Party | Refusal:
            answer = known.get(reference)
            if answer is None:
                answer = known[reference] = resolve_once(reference)
            return answer

        def resolve_once(reference: str) -> Party | Refusal:
            if reference in members:
                return Party(reference)
            pair = _alias_pair(reference)
            if pair is None:
                return Refusal(
                    None, f"unknown member {reference!r} (not a platform id, and not source:alias)"
                )
            if len(pair[0]) > SOURCE_LENGTH_MAX or len(pair[1]) > ALIAS_LENGTH_MAX:
                return Refusal(
                    None,
                    f"alias {reference!r}: the source may have at most {SOURCE_LENGTH_MAX} "
                    f"characters and the name at most {ALIAS_LENGTH_MAX}",
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
        counts = {"accepted": 0, "duplicate": 0, "conflict": 0, "still_quarantined": 0}
        for row in repo.quarantine_rows(self.session, status="open", limit=limit, source=source):
            if row.source == MEMBERS_SOURCE:  # a member line: fixed by importing the file again
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
                found = repo.stored_events(self.session, [key]).get(key)
                repeat = (
                    _repeat_of(*found, checked)
                    if found
                    else RecordResult(Outcome.DUPLICATE, key[1], None)
                )
                repo.resolve_quarantined(
                    self.session, row.id, repeat.outcome.value, repeat.event_id
                )
                if repeat.outcome is Outcome.CONFLICT:
                    repo.refuse_again(self.session, row.id, repeat.field, repeat.reason or "")
                counts[repeat.outcome.value] += 1
        return counts


def link_alias(session: Session, member_id: str, source: str, alias: str, *, now: int) -> int:
    """Link ``source:alias`` to a member and attribute the events waiting for it.

    Returns how many events (as actor or as counterpart) it attributed. An alias linked
    to another member is refused: re-pointing identities would move earned tokens.
    The source is taken in NFC form and the name as ``normalized_alias`` spells it
    (Discourse names lowercased), as events' references are (ADR 0011, ADR 0017).

    Raises:
        AliasInvalid: the source or alias contains what ids may not (NUL, a lone
            surrogate, a control or bidirectional control character), or is too long.
        IdentityConflict: the alias belongs to another member.
    """
    try:
        source = normalized_identifier(source, SOURCE_LENGTH_MAX)
        alias = normalized_alias(source, alias)
    except ValueError as error:
        raise AliasInvalid(f"alias {ascii(source)[:40]}:{ascii(alias)[:80]}: {error}") from None
    owner = repo.alias_owner(session, source, alias)
    if owner is not None and owner != member_id:
        raise IdentityConflict(f"alias {source}:{alias} already belongs to member {owner!r}")
    repo.ensure_member(session, member_id, now)
    if owner is None:
        repo.insert_alias(session, source, alias, member_id)
    return repo.attribute_events(session, source, alias, member_id)


def _field_list(fields: Sequence[str]) -> str:
    """Differing fields for the quarantine's ``field`` column (shortened there if long)."""
    return ", ".join(fields)


def _alias_pair(reference: str) -> tuple[str, str] | None:
    """``discourse:Ivan`` as the stored alias pair ``("discourse", "ivan")``: the name is
    spelled by ``normalized_alias``, as members files and profiles link it (ADR 0017).
    None when the reference is not ``source:name``; a name that cannot be spelled so
    (too long) is kept as written and refused by the length check of ``resolve``."""
    source, sep, alias = reference.partition(":")
    if not sep or not source or not alias:
        return None
    try:
        return source, normalized_alias(source, alias)
    except ValueError:
        return source, alias


def _source_of(parsed: Incoming | Refusal, default: str) -> str:
    return default if isinstance(parsed, Refusal) else parsed.source


def _id_of(parsed: Incoming | Refusal) -> str | None:
    return None if isinstance(parsed, Refusal) else parsed.id


def _raw_text(record: Record) -> str:
    """The record as text both backends store: what it was, with NUL and lone surrogates
    written as JSON escapes (the record was refused for them, and keeps them visible)."""
    if isinstance(record, bytes):
        return storable_raw(record.decode("utf-8", errors="replace"))
    if isinstance(record, str):
        return storable_raw(record)
    data = record.model_dump(mode="python") if isinstance(record, IncomingEvent) else record
    try:
        text = json.dumps(data, ensure_ascii=False, default=str)
    except (ValueError, RecursionError) as error:  # huge integers, deep nesting
        return f"(not kept: {type(error).__name__} when writing it as JSON)"
    return storable_raw(text)
