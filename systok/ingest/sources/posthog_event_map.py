"""The school's own PostHog names (``EventMap``, setting ``SYSTOK_POSTHOG_EVENT_MAP``).

A TOML file may map the school's PostHog event names to SysTok's types
(``lesson_completed`` → ``SectionCompleted``) and name the property that holds the
platform member id (``user_uuid``). The pull then asks for the school's names, and each
row is stored under the mapped type. Without the file, events must carry SysTok's own
names and ``properties.member_id`` (the behaviour before the setting existed).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from systok.core.events import EVENT_TYPES
from systok.core.policy import Policy
from systok.errors import EventMapInvalid

SOURCE = "posthog"
MEMBER_ID_PROPERTY = "member_id"


@dataclass(frozen=True)
class EventMap:
    """How the school's PostHog events name SysTok's event types and members.

    ``names`` maps a PostHog event name to a SysTok type PostHog produces; None means
    the events carry SysTok's own names. ``member_property`` is the key of
    ``properties`` that holds the platform member id.
    """

    names: dict[str, str] | None = field(default=None)
    member_property: str = MEMBER_ID_PROPERTY

    def posthog_names(self, policy: Policy) -> list[str]:
        """The PostHog event names to query: those whose type the policy prices, sorted."""
        wanted = set(posthog_event_names(policy))
        if self.names is None:
            return sorted(wanted)
        return sorted(name for name, kind in self.names.items() if kind in wanted)

    def event_type(self, posthog_name: str) -> str:
        """SysTok's type of a PostHog event name (an unmapped name stays as it is, and the
        ingestor quarantines it as an unknown type)."""
        if self.names is None:
            return posthog_name
        return self.names.get(posthog_name, posthog_name)


def load_event_map(path: Path | None) -> EventMap:
    """Read the event map TOML file; None gives SysTok's own names and ``member_id``.

    The file::

        member_property = "user_uuid"        # optional; "properties." may prefix it

        [events]                             # optional; PostHog name = SysTok type
        lesson_completed = "SectionCompleted"
        exercise_saved = "ExerciseSave"

    Raises:
        EventMapInvalid: the file is unreadable, not TOML, or maps to a type that is
            not one of SysTok's PostHog types (the message names the file and the key).
    """
    if path is None:
        return EventMap()
    where = f"SYSTOK_POSTHOG_EVENT_MAP {path}"
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise EventMapInvalid(f"{where}: cannot be read ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise EventMapInvalid(f"{where}: not valid TOML ({error})") from None
    unknown_keys = sorted(set(data) - {"member_property", "events"})
    if unknown_keys:
        raise EventMapInvalid(
            f"{where}: unknown key(s) {unknown_keys}; expected member_property and [events]"
        )
    member_property = data.get("member_property", MEMBER_ID_PROPERTY)
    if not isinstance(member_property, str) or not member_property.strip():
        raise EventMapInvalid(f"{where}: member_property must be a non-empty string")
    member_property = member_property.strip().removeprefix("properties.")
    events = data.get("events")
    if events is None:
        return EventMap(None, member_property)
    if not isinstance(events, dict) or not events:
        raise EventMapInvalid(f'{where}: [events] must be a table of name = "SysTok type"')
    produced = sorted(name for name, info in EVENT_TYPES.items() if info.source == SOURCE)
    names: dict[str, str] = {}
    for name, kind in events.items():
        if not isinstance(kind, str) or kind not in produced:
            raise EventMapInvalid(
                f"{where}: events.{name} = {kind!r} is not a SysTok PostHog type "
                f"(one of {', '.join(produced)})"
            )
        names[name] = kind
    return EventMap(names, member_property)


def posthog_event_names(policy: Policy) -> list[str]:
    """The event types the policy prices that PostHog produces, sorted."""
    return sorted(
        name for name in policy.events if name in EVENT_TYPES and EVENT_TYPES[name].source == SOURCE
    )
