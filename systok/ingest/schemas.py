"""The canonical event, and how an incoming record becomes one (or a precise refusal).

Every source (HTTP batch, Discourse, PostHog, files) produces ``IncomingEvent`` records;
``validate_incoming`` turns each into a ``CanonicalEvent`` or a ``Refusal`` that names
the field and the reason. Validation is pure: the caller supplies the clock, the
policy's limits and the member lookup.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from systok.core.events import KNOWN_EVENT_TYPES, RECEIVED_EVENT_TYPES
from systok.core.times import TimeError, day_of_us, parse_utc_us

SOURCE_LENGTH_MAX = 32
SOURCE_ID_LENGTH_MAX = 200


class IncomingEvent(BaseModel):
    """One event as a source hands it over (the file and HTTP batch format).

    ``member`` and ``counterpart`` are platform member ids or ``source:alias``. For a
    "received" type the member is the receiver and the counterpart the giver.
    """

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    source: str = Field(min_length=1, max_length=SOURCE_LENGTH_MAX)
    id: str = Field(min_length=1, max_length=SOURCE_ID_LENGTH_MAX)
    type: str = Field(min_length=1, max_length=64)
    member: str = Field(min_length=1, max_length=230)
    counterpart: str | None = Field(default=None, max_length=230)
    occurred_at: str
    payload: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Party:
    """Who acted (or gave): a platform member, or an alias not linked yet."""

    member_id: str | None
    alias_source: str | None = None
    alias: str | None = None


@dataclass(frozen=True)
class CanonicalEvent:
    """A validated event, ready to store."""

    source: str
    source_event_id: str
    event_type: str
    actor: Party
    counterpart: Party | None
    occurred_at_us: int
    received_at_us: int
    payload: str

    @property
    def occurred_day(self) -> int:
        return day_of_us(self.occurred_at_us)


@dataclass(frozen=True)
class Refusal:
    """Why a record could not become an event: the field (if one) and the reason."""

    field: str | None
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


@dataclass(frozen=True)
class Limits:
    """What the policy allows (``policy.ingestion``) and which event types it prices."""

    max_future_skew_seconds: int
    max_age_days: int
    priced_event_types: frozenset[str]


PartyResolver = Callable[[str], "Party | Refusal"]
"""Turns ``m042`` or ``discourse:ivan`` into a Party, or refuses (unknown member)."""


def parse_record(raw: str | bytes | Mapping[str, Any]) -> IncomingEvent | Refusal:
    """Parse one record (a JSON line or an already-decoded object)."""
    try:
        data = json.loads(raw) if isinstance(raw, str | bytes) else dict(raw)
    except json.JSONDecodeError as error:
        return Refusal(None, f"malformed JSON: {error.msg} at column {error.colno}")
    if not isinstance(data, dict):
        return Refusal(None, f"expected a JSON object, got {type(data).__name__}")
    try:
        return IncomingEvent.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or None
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
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
    if live and occurred_at_us < received_at_us - limits.max_age_days * 86_400_000_000:
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
