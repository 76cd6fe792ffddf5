"""How an incoming record becomes a canonical event, or a precise refusal.

Validation is pure: the caller supplies the clock, the policy's limits and the member
lookup. ``differing_fields`` tells a true duplicate from a conflict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from systok.core.events import KNOWN_EVENT_TYPES, RECEIVED_EVENT_TYPES
from systok.core.times import MICROS_PER_DAY, TimeError, parse_utc_us
from systok.ingest.schemas import (
    CanonicalEvent,
    IncomingEvent,
    Limits,
    Party,
    PartyResolver,
    Refusal,
)


def parse_record(  # noqa: PLR0911 - one return per way a record can fail
    raw: str | bytes | Mapping[str, Any],
) -> IncomingEvent | Refusal:
    """Parse one record (a JSON line or an already-decoded object)."""
    try:
        data = json.loads(raw) if isinstance(raw, str | bytes) else dict(raw)
    except json.JSONDecodeError as error:
        return Refusal(None, f"malformed JSON: {error.msg} at column {error.colno}")
    except UnicodeDecodeError as error:
        return Refusal(None, f"not UTF-8 text: {error.reason} at byte {error.start}")
    except ValueError as error:  # e.g. an integer of more than 4 300 digits
        return Refusal(None, f"malformed JSON: {error}")
    except RecursionError:
        return Refusal(None, "malformed JSON: nested too deeply")
    if not isinstance(data, dict):
        return Refusal(None, f"expected a JSON object, got {type(data).__name__}")
    try:
        return IncomingEvent.model_validate(data)
    except ValidationError as error:
        return refusal_of(error)


def refusal_of(error: ValidationError) -> Refusal:
    """The refusal for a pydantic error: the first field, and every problem's message."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or None
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
        for e in error.errors()
    )
    return Refusal(where, problems)


def validate_incoming(  # noqa: PLR0911 - one early return per rule reads best
    record: IncomingEvent,
    *,
    received_at_us: int,
    live: bool,
    limits: Limits,
    resolve: PartyResolver,
) -> CanonicalEvent | Refusal:
    """Check one record against the rules; never raises for bad input.

    Args:
        live: True for sources that deliver as things happen (webhooks, HTTP batch,
            PostHog pulls): their events may not be older than the policy allows.
            Backfills and file imports pass False: they are how history is filled.
    """
    if record.type not in KNOWN_EVENT_TYPES:
        return Refusal("type", f"unknown event type {record.type!r}")
    if record.type not in limits.priced_event_types:
        return Refusal("type", f"event type {record.type!r} is not in the policy's list")
    try:
        occurred_at_us = parse_utc_us(record.occurred_at)
    except TimeError as error:
        return Refusal("occurred_at", str(error))
    skew_us = limits.max_future_skew_seconds * 1_000_000
    if occurred_at_us > received_at_us + skew_us:
        return Refusal(
            "occurred_at",
            f"{record.occurred_at} is in the future (more than "
            f"{limits.max_future_skew_seconds} s ahead of the receiving clock)",
        )
    if live and occurred_at_us < received_at_us - limits.max_age_days * MICROS_PER_DAY:
        return Refusal(
            "occurred_at",
            f"{record.occurred_at} is older than {limits.max_age_days} days, the most a "
            "live source may deliver (import history with a backfill or a file)",
        )
    if record.type in RECEIVED_EVENT_TYPES and not record.counterpart:
        return Refusal("counterpart", f"a {record.type} event must name who gave it")
    actor = resolve(record.member)
    if isinstance(actor, Refusal):
        return Refusal("member", actor.reason)
    counterpart: Party | None = None
    if record.counterpart:
        resolved = resolve(record.counterpart)
        if isinstance(resolved, Refusal):
            return Refusal("counterpart", resolved.reason)
        counterpart = resolved
    return CanonicalEvent(
        source=record.source,
        source_event_id=record.id,
        event_type=record.type,
        actor=actor,
        counterpart=counterpart,
        occurred_at_us=occurred_at_us,
        received_at_us=received_at_us,
        payload=json.dumps(record.payload, sort_keys=True, ensure_ascii=False),
    )


def _same_party(a: Party | None, b: Party | None) -> bool:
    """One party, whether named by alias or by member id (an alias linked since counts)."""
    if a is None or b is None:
        return a is b
    if a.alias is not None and b.alias is not None:
        return (a.alias_source, a.alias) == (b.alias_source, b.alias)
    return a.member_id is not None and a.member_id == b.member_id


def differing_fields(stored: CanonicalEvent, incoming: CanonicalEvent) -> tuple[str, ...]:
    """Where ``incoming`` contradicts ``stored`` (same ``(source, id)``), in input names.

    An empty answer is a true duplicate. Compared is what an event earns and for whom
    (ADR 0011): ``type``, ``member``, ``counterpart``; ``occurred_at`` by the UTC day it
    counts for; and the payload's keys that both carry (``payload.<key>``). One source
    can see one event through two channels that differ in detail and not in meaning —
    a Discourse like's webhook carries the delivery time, the REST backfill the like's
    own — so a later time on the same day, or a key only one side has, is not a conflict.
    """
    differing: list[str] = []
    if stored.event_type != incoming.event_type:
        differing.append("type")
    if not _same_party(stored.actor, incoming.actor):
        differing.append("member")
    if not _same_party(stored.counterpart, incoming.counterpart):
        differing.append("counterpart")
    if stored.occurred_day != incoming.occurred_day:
        differing.append("occurred_at")
    if stored.payload != incoming.payload:
        before, after = json.loads(stored.payload), json.loads(incoming.payload)
        if isinstance(before, dict) and isinstance(after, dict):
            differing.extend(
                f"payload.{key}"
                for key in sorted(before.keys() & after.keys())
                if before[key] != after[key]
            )
    return tuple(differing)
