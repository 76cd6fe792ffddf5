"""The data shapes of ingestion: the incoming record, the canonical event, a refusal,
a members file's line, and what the member and quarantine commands read.

Every source (HTTP batch, Discourse, PostHog, files) produces ``IncomingEvent`` records;
``validation.validate_incoming`` turns each into a ``CanonicalEvent`` or a ``Refusal``
that names the field and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from systok.core.times import TimeError, day_of_us, parse_date_day
from systok.ingest.storable import (
    MEMBER_REFERENCE_LENGTH_MAX,
    SOURCE_ID_LENGTH_MAX,
    SOURCE_LENGTH_MAX,
    TYPE_LENGTH_MAX,
    normalized_alias,
    normalized_identifier,
    payload_problem,
    unstorable_text,
)

MEMBERS_SOURCE = "members"
"""The quarantine's source label for refused lines of a members file."""


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
    type: Annotated[StorableText, Field(min_length=1, max_length=TYPE_LENGTH_MAX)]
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


MEMBER_ID_LENGTH_MAX = 128


class QualificationPeriod(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    level: int = Field(ge=1)
    from_: str = Field(alias="from")


class MembershipPeriod(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    from_: str = Field(alias="from")
    to: str | None = None


def alias_names(source: str, value: Any) -> list[str]:
    """The names a member has at one source: ``"ivan"`` or ``["ivan", "ivan_old"]``.

    Why both: the platform's profile format allows a name or a list of names per source
    (someone may hold two Discourse accounts), and a members file exported from it must
    import as it is. Each name is spelled by ``normalized_alias`` (stripped, NFC,
    Discourse names lowercased), as on every other path. Duplicates are dropped, order
    kept.

    Raises:
        ValueError: not a string or a list of strings, an empty name, or an empty list.
    """
    raw = [value] if isinstance(value, str) else value
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
        raise ValueError(f"alias {source!r}: give a name or a non-empty list of names")
    names: list[str] = []
    for text in raw:
        try:
            name = normalized_alias(source, text)
        except ValueError as error:
            raise ValueError(f"alias of source {ascii(source)[:40]}: {error}") from None
        if name not in names:
            names.append(name)
    return names


class MemberRecord(BaseModel):
    """One line of a members file (extra fields are allowed and ignored)."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1, max_length=MEMBER_ID_LENGTH_MAX)
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    qualification: list[QualificationPeriod] = Field(default_factory=list)
    membership: list[MembershipPeriod] = Field(default_factory=list)

    @field_validator("id", mode="before")
    @classmethod
    def _id_is_an_identifier(cls, value: Any) -> Any:
        """NFC, no NUL/controls/bidi controls, like event ids (ADR 0011)."""
        return (
            normalized_identifier(value, MEMBER_ID_LENGTH_MAX) if isinstance(value, str) else value
        )

    @field_validator("aliases", mode="before")
    @classmethod
    def _one_or_many_names(cls, value: Any) -> Any:
        """A name or a list of names per source, each checked and in NFC like ids (ADR 0011)."""
        if not isinstance(value, dict):
            return value  # pydantic refuses it with its own message
        checked: dict[str, list[str]] = {}
        for source, names in value.items():
            if not isinstance(source, str) or not source or ":" in source:
                raise ValueError(f"alias source {ascii(source)[:40]} needs a name without ':'")
            try:
                key = normalized_identifier(source, SOURCE_LENGTH_MAX)
            except ValueError as error:
                raise ValueError(f"alias source {ascii(source)[:40]}: {error}") from None
            checked[key] = alias_names(key, names)
        return checked

    def alias_pairs(self) -> list[tuple[str, str]]:
        """Every ``(source, name)`` of the record, sorted."""
        return sorted((source, name) for source, names in self.aliases.items() for name in names)

    def history(self) -> tuple[list[tuple[int, int]], list[tuple[int, int | None]]]:
        """The record's (from_day, level) and (starts_day, ends_day) rows, checked.

        Raises:
            ValueError: a bad date, two levels from one day, an empty or overlapping period.
        """
        try:
            qualifications = sorted((parse_date_day(q.from_), q.level) for q in self.qualification)
            memberships = sorted(
                (parse_date_day(m.from_), None if m.to is None else parse_date_day(m.to))
                for m in self.membership
            )
        except TimeError as error:
            raise ValueError(str(error)) from None
        days = [day for day, _ in qualifications]
        if len(days) != len(set(days)):
            raise ValueError("qualification: two levels start on the same day")
        for index, (starts, ends) in enumerate(memberships):
            if ends is not None and ends <= starts:
                raise ValueError(f"membership[{index}]: 'to' must be after 'from'")
            following = memberships[index + 1][0] if index + 1 < len(memberships) else None
            if following is not None and (ends is None or ends > following):
                raise ValueError(f"membership[{index}]: overlaps the next period")
        return qualifications, memberships


@dataclass(frozen=True)
class WaitingAlias:
    """An alias that events name and no member has: what ``events unattributed`` lists.

    ``as_actor`` and ``as_counterpart`` count the events waiting on each side; the
    moments are when SysTok received the first and the last of them.
    """

    source: str
    alias: str
    as_actor: int
    as_counterpart: int
    first_seen_at_us: int
    last_seen_at_us: int

    @property
    def events(self) -> int:
        return self.as_actor + self.as_counterpart


@dataclass(frozen=True)
class MemberSummary:
    """A member as ``members list`` shows it: aliases, and today's level and membership."""

    id: str
    created_at_us: int
    aliases: list[tuple[str, str]]
    level_today: int | None
    paid_member_today: bool


@dataclass(frozen=True)
class MemberDetails:
    """A member as ``members show`` shows it: the summary, the whole history, the freeze."""

    summary: MemberSummary
    qualifications: list[tuple[int, int]]
    """(from_day, level), by day."""
    memberships: list[tuple[int, int | None]]
    """(starts_day, ends_day), by day; ends None while open."""
    frozen_reason: str | None
