"""The event types ingestion can produce: mechanism, not economics.

This registry says which kinds of event exist, where they come from and whether they
have a counterpart. It says nothing about what they are worth: weights, per-day limits
and reward types live in the policy file, and a policy may only name types listed here
(so a typo in a policy is refused instead of silently never matching an event).

*Received* types (``ClubCommentReceived``, ``ClubLikeReceived``) are the mirror of
something another person did: each one has a counterpart who gave it. Scoring and fraud
checks need this, e.g. to refuse a like a member gave themselves.

Sources: [002 §Типы событий], [002 §Источники данных]; the mentor, referral and page
types come from [002 §Источники данных] (PageView) and [003, 001 §Как и кому] (roles).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class EventType(StrEnum):
    """Canonical event type names (the ``type`` of a stored event)."""

    EXERCISE_SAVE = "ExerciseSave"
    SECTION_COMPLETED = "SectionCompleted"
    COURSE_COMPLETED = "CourseCompleted"
    PAGE_VIEW = "PageView"
    CLUB_POST_CREATED = "ClubPostCreated"
    CLUB_COMMENT_CREATED = "ClubCommentCreated"
    CLUB_COMMENT_RECEIVED = "ClubCommentReceived"
    CLUB_LIKE_GIVEN = "ClubLikeGiven"
    CLUB_LIKE_RECEIVED = "ClubLikeReceived"
    PROJECT_MILESTONE_COMPLETED = "ProjectMilestoneCompleted"
    PEER_REVIEW_COMPLETED = "PeerReviewCompleted"
    MENTOR_SESSION_COMPLETED = "MentorSessionCompleted"
    REFERRAL_CONVERTED = "ReferralConverted"


@dataclass(frozen=True, slots=True)
class EventTypeInfo:
    """What one event type means and where it comes from.

    Attributes:
        name: the canonical type name.
        description: one line for people (reports, ``systok policy show``).
        source: the system that reports it (``posthog``, ``discourse``, ``platform``).
        received: True when the event mirrors an action of another person.
        counterpart: for a received type, the type the other person's action has.
    """

    name: str
    description: str
    source: str
    received: bool = False
    counterpart: str | None = None


_INFOS = (
    EventTypeInfo(
        EventType.EXERCISE_SAVE, "A member saved (completed) a course exercise.", "posthog"
    ),
    EventTypeInfo(EventType.SECTION_COMPLETED, "A member finished reading a section.", "posthog"),
    EventTypeInfo(EventType.COURSE_COMPLETED, "A member finished a whole course.", "posthog"),
    EventTypeInfo(
        EventType.PAGE_VIEW, "A member viewed a page (activity signal, not a reward).", "posthog"
    ),
    EventTypeInfo(EventType.CLUB_POST_CREATED, "A member created a club topic/post.", "discourse"),
    EventTypeInfo(
        EventType.CLUB_COMMENT_CREATED, "A member replied in a club discussion.", "discourse"
    ),
    EventTypeInfo(
        EventType.CLUB_COMMENT_RECEIVED,
        "Someone else replied to the member's club post.",
        "discourse",
        received=True,
        counterpart=EventType.CLUB_COMMENT_CREATED,
    ),
    EventTypeInfo(EventType.CLUB_LIKE_GIVEN, "A member liked someone's club post.", "discourse"),
    EventTypeInfo(
        EventType.CLUB_LIKE_RECEIVED,
        "Someone else liked the member's club post.",
        "discourse",
        received=True,
        counterpart=EventType.CLUB_LIKE_GIVEN,
    ),
    EventTypeInfo(
        EventType.PROJECT_MILESTONE_COMPLETED,
        "A project milestone the member contributed to was accepted.",
        "platform",
    ),
    EventTypeInfo(
        EventType.PEER_REVIEW_COMPLETED, "A member completed a peer review of work.", "platform"
    ),
    EventTypeInfo(
        EventType.MENTOR_SESSION_COMPLETED,
        "A member held a mentoring session with a mentee.",
        "platform",
    ),
    EventTypeInfo(
        EventType.REFERRAL_CONVERTED,
        "A person the member referred became a paying member.",
        "platform",
    ),
)

EVENT_TYPES: MappingProxyType[str, EventTypeInfo] = MappingProxyType(
    {str(info.name): info for info in _INFOS}
)
"""Every known event type by name (read-only)."""

EVENT_DESCRIPTIONS: MappingProxyType[str, str] = MappingProxyType(
    {name: info.description for name, info in EVENT_TYPES.items()}
)
"""One-line description of each event type."""

KNOWN_EVENT_TYPES: frozenset[str] = frozenset(EVENT_TYPES)
"""The names a policy may give weights to and ingestion may store."""

RECEIVED_EVENT_TYPES: frozenset[str] = frozenset(
    name for name, info in EVENT_TYPES.items() if info.received
)
"""Types that mirror another person's action (they have a giver)."""
