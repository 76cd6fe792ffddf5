"""How an incoming record becomes a canonical event, or a precise refusal.

Validation is pure: the caller supplies the clock, the policy's limits and the member
lookup. ``differing_fields`` tells a true duplicate from a conflict.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

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
from systok.ingest.storable import (
    MEMBER_REFERENCE_LENGTH_MAX,
    PAYLOAD_INTEGER_BITS_MAX,
    SOURCE_ID_LENGTH_MAX,
    SOURCE_LENGTH_MAX,
    TYPE_LENGTH_MAX,
    payload_problem,
    unstorable_text,
)


class QuickEvent(NamedTuple):
    """A record read by ``quick_event``: exactly what ``IncomingEvent`` would hold.

    Why: pydantic's validation with the identifier checks cost more per event than
    storing it (ADR 0048); most records are plain ASCII, whose checks are one pattern.
    """

    source: str
    id: str
    type: str
    member: str
    counterpart: str | None
    occurred_at: str
    payload: dict[str, Any]


Incoming = IncomingEvent | QuickEvent
"""A record that parsed: what ``validate_incoming`` checks against the rules."""

_PLAIN = re.compile(r"[\x21-\x7e]+")
"""Printable ASCII without spaces: text that strips, normalises (NFC) and checks as itself
(no NUL, no control or bidirectional control, no surrogate)."""

_FIELDS_MAX = (
    ("source", SOURCE_LENGTH_MAX),
    ("id", SOURCE_ID_LENGTH_MAX),
    ("type", TYPE_LENGTH_MAX),
    ("member", MEMBER_REFERENCE_LENGTH_MAX),
)


def quick_event(data: dict[Any, Any]) -> QuickEvent | None:  # noqa: PLR0911 - one per rule
    """The record as ``IncomingEvent.model_validate`` would read it, or None to let
    pydantic read it (and name what is wrong). Taken only when every field is plain
    ASCII text within its length, so stripping and NFC change nothing, and the payload
    is storable; anything else — other text, a wrong type, a missing field — goes the
    long way, so answers and refusals are the same whichever path read a record.
    """
    fields = []
    for name, length_max in _FIELDS_MAX:
        value = data.get(name)
        if type(value) is not str or len(value) > length_max or not _PLAIN.fullmatch(value):
            return None
        fields.append(value)
    occurred_at = data.get("occurred_at")
    if type(occurred_at) is not str or not _PLAIN.fullmatch(occurred_at):
        return None
    counterpart = data.get("counterpart")
    if counterpart is not None and (
        type(counterpart) is not str
        or len(counterpart) > MEMBER_REFERENCE_LENGTH_MAX
        or not _PLAIN.fullmatch(counterpart)
    ):
        return None
    payload = data.get("payload", _NO_PAYLOAD)
    if payload is _NO_PAYLOAD:
        payload = {}
    elif type(payload) is not dict or not _storable_payload(payload):
        return None
    if not all(type(key) is str for key in data):
        return None
    source, id_, type_, member = fields
    return QuickEvent(source, id_, type_, member, counterpart, occurred_at, dict(payload))


_NO_PAYLOAD = object()


def _storable_payload(payload: dict[Any, Any]) -> bool:
    """``payload_problem(payload) is None``, with the common flat values checked inline."""
    for key, value in payload.items():
        if type(key) is not str:
            return False
        if (not key.isascii() or "\x00" in key) and unstorable_text(key):
            return False
        kind = type(value)
        if kind is str:
            if (not value.isascii() or "\x00" in value) and unstorable_text(value):
                return False
        elif kind is int:
            if value.bit_length() > PAYLOAD_INTEGER_BITS_MAX:
                return False
        elif kind is float:
            if not math.isfinite(value):
                return False
        elif value is not None and kind is not bool:
            if payload_problem(value, f"payload.{key}", 1) is not None:
                return False
    return True


def parse_record(  # noqa: PLR0911 - one return per way a record can fail
    raw: str | bytes | Mapping[str, Any],
) -> Incoming | Refusal:
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
    quick = quick_event(data)
    if quick is not None:
        return quick
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
    record: Incoming,
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
        payload=_PAYLOAD_JSON.encode(record.payload) if record.payload else "{}",
    )


_PAYLOAD_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)
"""How payloads are stored: ``json.dumps(payload, sort_keys=True, ensure_ascii=False)``,
with the encoder built once instead of once per event."""


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
