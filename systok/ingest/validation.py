"""How an incoming record becomes a canonical event, or a precise refusal.

Validation is pure: the caller supplies the clock, the policy's limits and the member
lookup. ``differing_fields`` tells a true duplicate from a conflict.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
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


def quick_event(data: dict[Any, Any]) -> QuickEvent | None:
    """The record as ``IncomingEvent.model_validate`` would read it, or None to let
    pydantic read it (and name what is wrong). Taken only when every text field is
    printable ASCII without spaces, within its length, so stripping and NFC change
    nothing and no character is refused, and the payload is storable; anything else —
    other text, a wrong type, a missing field — goes the long way, so answers and
    refusals are the same whichever path read a record.
    """
    source, id_, type_ = data.get("source"), data.get("id"), data.get("type")
    member, occurred_at = data.get("member"), data.get("occurred_at")
    counterpart = data.get("counterpart")
    if not (
        type(source) is str
        and type(id_) is str
        and type(type_) is str
        and type(member) is str
        and type(occurred_at) is str
        and (counterpart is None or type(counterpart) is str)
    ):
        return None
    if not (
        0 < len(source) <= SOURCE_LENGTH_MAX
        and 0 < len(id_) <= SOURCE_ID_LENGTH_MAX
        and 0 < len(type_) <= TYPE_LENGTH_MAX
        and 0 < len(member) <= MEMBER_REFERENCE_LENGTH_MAX
        and occurred_at
        and (counterpart is None or 0 < len(counterpart) <= MEMBER_REFERENCE_LENGTH_MAX)
    ):
        return None
    # All fields at once, in C: ASCII, printable (no control), and no space but the 5
    # separators (no field is empty, so a 6th space would be inside one).
    text = f"{source} {id_} {type_} {member} {occurred_at} {counterpart or '-'}"
    if not (text.isascii() and text.isprintable()) or text.count(" ") != _SEPARATORS:
        return None
    payload = data.get("payload", _NO_PAYLOAD)
    if payload is _NO_PAYLOAD:
        payload = {}
    elif type(payload) is not dict or not _storable_payload(payload):
        return None
    try:
        "".join(data)  # pydantic refuses a key that is not a string; join checks in C
    except TypeError:
        return None
    return QuickEvent(source, id_, type_, member, counterpart, occurred_at, dict(payload))


_SEPARATORS = 5


_NO_PAYLOAD = object()


def _storable_payload(payload: dict[Any, Any]) -> bool:
    """``payload_problem(payload) is None``, with the common flat values checked inline."""
    return all(_storable_item(key, value) for key, value in payload.items())


def _storable_item(key: Any, value: Any) -> bool:
    if type(key) is not str or ((not key.isascii() or "\x00" in key) and unstorable_text(key)):
        return False
    kind = type(value)
    if kind is str:
        return (value.isascii() and "\x00" not in value) or unstorable_text(value) is None
    if kind is int:
        return bool(value.bit_length() <= PAYLOAD_INTEGER_BITS_MAX)
    if kind is float:
        return math.isfinite(value)
    return value is None or kind is bool or payload_problem(value, f"payload.{key}", 1) is None


def read_record(raw: str | bytes | Mapping[str, Any]) -> Incoming | Refusal:
    """``parse_record``, a decoded JSON object by ``quick_event`` when it can (most
    records, at a fraction of pydantic's cost)."""
    if type(raw) is dict:
        quick = quick_event(raw)
        if quick is not None:
            return quick
    return parse_record(raw)


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
        payload=payload_json(record.payload),
    )


_PAYLOAD_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, check_circular=False)
_PAYLOAD_C_ENCODER = (
    None
    if c_make_encoder is None
    else c_make_encoder(
        None, _PAYLOAD_JSON.default, encode_basestring, None, ": ", ", ", True, False, True
    )
)


def payload_json(payload: dict[str, Any]) -> str:
    """A payload as stored: ``json.dumps(payload, sort_keys=True, ensure_ascii=False)``.

    Why not that call: it builds an encoder for each event, which cost more than the rest
    of an event's checks (ADR 0048); the encoder is built once here, with the arguments
    ``JSONEncoder.iterencode`` gives it. Without the circularity check: a payload comes
    from JSON, and ``payload_problem`` refused anything nested deeper than 32 levels.
    """
    if not payload:
        return "{}"
    if _PAYLOAD_C_ENCODER is None:  # an interpreter without the C accelerator
        return _PAYLOAD_JSON.encode(payload)
    return "".join(_PAYLOAD_C_ENCODER(payload, 0))


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
