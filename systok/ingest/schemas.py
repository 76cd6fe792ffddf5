"""The canonical event, and how an incoming record becomes one (or a precise refusal).

Every source (HTTP batch, Discourse, PostHog, files) produces ``IncomingEvent`` records;
``validate_incoming`` turns each into a ``CanonicalEvent`` or a ``Refusal`` that names
the field and the reason. Validation is pure: the caller supplies the clock, the
policy's limits and the member lookup.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from systok.core.events import KNOWN_EVENT_TYPES, RECEIVED_EVENT_TYPES
from systok.core.times import TimeError, day_of_us, parse_utc_us

SOURCE_LENGTH_MAX = 32
SOURCE_ID_LENGTH_MAX = 200
ALIAS_LENGTH_MAX = 200
MEMBER_REFERENCE_LENGTH_MAX = 230

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Unicode's ``Bidi_Control`` characters (ALM, LRM, RLM, LRE…RLO, LRI…PDI): invisible,
they make one id display as another (CVE-2021-42574), so ids and aliases refuse them."""

PAYLOAD_DEPTH_MAX = 32
"""Nesting levels a payload may have (objects and arrays); deeper ones are refused."""

PAYLOAD_INTEGER_BITS_MAX = 63
"""Payload integers are 64-bit signed (what PostgreSQL ``bigint`` and most JSON readers
hold); larger ones are refused rather than stored as text no reader agrees on."""


def unstorable_text(value: str) -> str | None:
    """Why ``value`` cannot be stored the same on SQLite and PostgreSQL (None when it can).

    PostgreSQL ``text`` (and ``jsonb``) refuse NUL; a lone surrogate (``"\\ud800"`` in
    JSON) is not Unicode and has no UTF-8 form, so neither driver can send it.
    """
    if "\x00" in value:
        return "contains NUL (U+0000), which PostgreSQL text cannot store"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        return (
            f"contains a lone surrogate U+{ord(value[error.start]):04X} "
            "(not Unicode text: it has no UTF-8 form)"
        )
    return None


def identifier_problem(value: str) -> str | None:
    """Why ``value`` may not be an id, source or member alias (None when it may)."""
    problem = unstorable_text(value)
    if problem:
        return problem
    for char in value:
        if char in BIDI_CONTROLS:
            return (
                f"contains the bidirectional control character U+{ord(char):04X} "
                "(invisible; it makes an id display as another)"
            )
        if unicodedata.category(char) == "Cc":
            return f"contains the control character U+{ord(char):04X}"
    return None


def normalized_identifier(value: str, length_max: int) -> str:
    """``value`` in NFC form, checked as an id or alias (ADR 0011).

    Raises:
        ValueError: what ids may not contain, or longer than ``length_max`` in NFC.
    """
    problem = identifier_problem(value)
    if problem:
        raise ValueError(problem)
    normal = unicodedata.normalize("NFC", value)
    if len(normal) > length_max:
        raise ValueError(f"longer than {length_max} characters in NFC form")
    return normal


CASE_INSENSITIVE_ALIAS_SOURCES = frozenset({"discourse"})
"""Sources whose member names are case-insensitive (Discourse usernames): their aliases
are stored and looked up lowercased, so ``Ivan`` and ``ivan`` are one member."""


def normalized_alias(source: str, name: str) -> str:
    """The one spelling of a member's name at ``source``, used on every path.

    Members files, the platform profiles pull, ``link_alias``, event references like
    ``discourse:Ivan`` in batches and files, webhooks and backfills all store and look
    up aliases through this function, so a name written two ways is one alias: the name
    is stripped, checked and put in NFC like ids (ADR 0011), and lowercased for the
    case-insensitive sources (Discourse compares ``username_lower``, the NFC form
    lowercased: ``User.normalize_username`` in discourse/discourse
    app/models/user.rb is ``unicode_normalize.downcase`` — ADR 0017).

    Raises:
        ValueError: an empty name, what ids may not contain, or too long in NFC form.
    """
    text = name.strip()
    if not text:
        raise ValueError("an empty name")
    normal = normalized_identifier(text, ALIAS_LENGTH_MAX)
    if source in CASE_INSENSITIVE_ALIAS_SOURCES:
        normal = normalized_identifier(normal.lower(), ALIAS_LENGTH_MAX)
    return normal


def _identifier(length_max: int) -> AfterValidator:
    """Checks an identifier and returns its NFC form (ADR 0011): NFC and NFD spellings of
    one id are one id. The length is checked again after normalising (NFC can lengthen)."""

    return AfterValidator(lambda value: normalized_identifier(value, length_max))


def _storable(value: Any) -> Any:
    """Runs before pydantic's own str check, whose message for a lone surrogate ("unable
    to parse raw data as a unicode string") does not say what is wrong."""
    problem = unstorable_text(value) if isinstance(value, str) else None
    if problem:
        raise ValueError(problem)
    return value


STORABLE = BeforeValidator(_storable)

StorableText = Annotated[str, STORABLE]
"""Any text field: storable on both backends (no NUL, no lone surrogate)."""


def payload_problem(  # noqa: PLR0911 - one return per JSON kind reads best
    value: Any, path: str = "payload", depth: int = 0
) -> str | None:
    """Why a payload cannot be stored as the same JSON on both backends (None when it can).

    NUL is refused in strings and keys like in ids (PostgreSQL ``jsonb`` refuses
    ``\\u0000`` even escaped, so a payload never depends on it being ``text``).
    """
    if depth > PAYLOAD_DEPTH_MAX:
        return f"{path}: nested deeper than {PAYLOAD_DEPTH_MAX} levels"
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path}: key {key!r} is not a string"
            problem = unstorable_text(key)
            if problem:
                return f"{path}: a key {problem}"
            problem = payload_problem(item, f"{path}.{key}", depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        problems = (
            payload_problem(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)
        )
        return next((p for p in problems if p), None)
    return _scalar_problem(value, path)


def _scalar_problem(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        problem = unstorable_text(value)
        return f"{path}: {problem}" if problem else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        too_big = value.bit_length() > PAYLOAD_INTEGER_BITS_MAX
        return f"{path}: integer outside the 64-bit range" if too_big else None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path}: {value} is not a finite number"
    return f"{path}: {type(value).__name__} is not a JSON value"


class IncomingEvent(BaseModel):
    """One event as a source hands it over (the file and HTTP batch format).

    ``member`` and ``counterpart`` are platform member ids or ``source:alias``. For a
    "received" type the member is the receiver and the counterpart the giver.
    """

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    source: Annotated[
        str,
        Field(min_length=1, max_length=SOURCE_LENGTH_MAX),
        _identifier(SOURCE_LENGTH_MAX),
        STORABLE,
    ]
    id: Annotated[
        str,
        Field(min_length=1, max_length=SOURCE_ID_LENGTH_MAX),
        _identifier(SOURCE_ID_LENGTH_MAX),
        STORABLE,
    ]
    type: Annotated[StorableText, Field(min_length=1, max_length=64)]
    member: Annotated[
        str,
        Field(min_length=1, max_length=MEMBER_REFERENCE_LENGTH_MAX),
        _identifier(MEMBER_REFERENCE_LENGTH_MAX),
        STORABLE,
    ]
    counterpart: (
        Annotated[
            str,
            Field(max_length=MEMBER_REFERENCE_LENGTH_MAX),
            _identifier(MEMBER_REFERENCE_LENGTH_MAX),
            STORABLE,
        ]
        | None
    ) = None
    occurred_at: StorableText
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("payload", mode="before")
    @classmethod
    def _payload_storable(cls, value: Any) -> Any:
        problem = payload_problem(value) if isinstance(value, Mapping) else None
        if problem:
            raise ValueError(problem)
        return value


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
