"""Discourse webhook payloads → ``IncomingEvent`` records (pure: no I/O, no clock).

What earns what (INTEGRATIONS.md §2.2):

* ``post_created`` with ``post_number == 1`` (a new topic) → ``ClubPostCreated`` for the
  author.
* ``post_created`` with ``post_number > 1`` (a reply) → ``ClubCommentCreated`` for the
  author, and ``ClubCommentReceived`` for the author of what it answers, with the
  replier as counterpart:

  - a reply to a post: that post's author, from ``reply_to_user`` (compared by ``id``
    when both sides have one, else by username). Without ``reply_to_user`` (older
    versions, ``suppress_reply_when_quoting``) only ``ClubCommentCreated`` is stored;
    the backfill adds the received side from the ``RESPONSE`` row Discourse writes.
  - a reply to the topic as a whole (``reply_to_post_number`` null, the topic's own
    Reply button): the topic's author, read through ``topic_of`` (``/t/{id}.json``,
    ``discourse_topics``). Discourse writes no ``RESPONSE`` row for it; the backfill
    credits it from the replier's ``REPLY`` row the same way, under the same id. When
    the author cannot be read (no API key configured, Discourse down) only
    ``ClubCommentCreated`` is stored and ``ignored`` says so: the backfill adds it.
* ``post_liked`` → ``ClubLikeGiven`` for the liker (``like.user``) and
  ``ClubLikeReceived`` for the post's author (``like.post``), the liker as counterpart.
  Discourse does not put the like's own time in the payload, so the delivery time is
  used as ``occurred_at`` (deliveries are immediate; a retry keeps the first one's id,
  so a later time never creates a second event).

Nothing is earned for private messages (``topic_archetype == "private_message"``),
non-regular posts (``post_type != 1``: moderator actions, small actions, whispers),
hidden or deleted posts, self-likes and self-replies; ``map_webhook`` then returns no
records and says why.

Members are the aliases ``discourse:<username, lowercased>`` (``discourse_alias``):
Discourse usernames are case-insensitive, and an alias linked once must match every
later spelling. The ingestor attributes linked aliases and keeps others unattributed.

Id scheme (``discourse_event_ids``), shared with the REST backfill so that a webhook
event and the same event found by a backfill are stored once. Discourse's
``X-Discourse-Event-Id`` changes on every retry and is *not* used:

===========================  =========================================
``ClubPostCreated``          ``post:{post_id}:created``
``ClubCommentCreated``       ``post:{post_id}:created``
``ClubCommentReceived``      ``post:{post_id}:comment-received``
``ClubLikeGiven``            ``like:{post_id}:{liker_user_id}:given``
``ClubLikeReceived``         ``like:{post_id}:{liker_user_id}:received``
===========================  =========================================

(A post is a topic or a reply for ever, so its two "created" types never collide.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from systok.core.events import EventType
from systok.errors import DiscoursePayloadInvalid
from systok.ingest.sources.discourse_topics import TopicLookup
from systok.ingest.storable import normalized_alias

SOURCE = "discourse"
REGULAR_POST_TYPE = 1
PRIVATE_MESSAGE_ARCHETYPE = "private_message"


@dataclass(frozen=True)
class WebhookMapping:
    """The records one delivery yields, and why nothing (or less) was produced."""

    records: list[dict[str, Any]] = field(default_factory=list)
    """Records in the ``IncomingEvent`` format, validated by the ingestor (so a name it
    refuses — NUL, too long, a bidi control — is quarantined with the field, not a 500)."""
    ignored: str | None = None


def discourse_alias(username: str) -> str:
    """The member reference of a Discourse user: ``discourse:<username lowercased>``,
    spelled by ``normalized_alias`` as on every path. A name it refuses (NUL, too long)
    is passed as written, for the ingestor to quarantine with the field."""
    try:
        return f"{SOURCE}:{normalized_alias(SOURCE, username)}"
    except ValueError:
        return f"{SOURCE}:{username}"


def discourse_event_ids(event_type: str, post_id: int, liker_user_id: int | None = None) -> str:
    """The ``source_event_id`` of a Discourse event (see the module's id table).

    Raises:
        ValueError: an event type Discourse does not produce, or a like without its liker.
    """
    if event_type in (EventType.CLUB_POST_CREATED, EventType.CLUB_COMMENT_CREATED):
        return f"post:{post_id}:created"
    if event_type == EventType.CLUB_COMMENT_RECEIVED:
        return f"post:{post_id}:comment-received"
    if event_type in (EventType.CLUB_LIKE_GIVEN, EventType.CLUB_LIKE_RECEIVED):
        if liker_user_id is None:
            raise ValueError(f"{event_type} ids need the liker's user id")
        side = "given" if event_type == EventType.CLUB_LIKE_GIVEN else "received"
        return f"like:{post_id}:{liker_user_id}:{side}"
    raise ValueError(f"{event_type!r} is not a Discourse event type")


def parse_webhook_body(raw_body: bytes) -> Any:
    """The decoded JSON of a (signed) delivery.

    Raises:
        DiscoursePayloadInvalid: not UTF-8 JSON, an integer beyond Python's digit limit
            (4 300 digits), or nesting beyond the parser's recursion limit.
    """
    try:
        return json.loads(raw_body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DiscoursePayloadInvalid(
            "the body is not JSON (set the webhook's content type to application/json)"
        ) from None
    except ValueError as error:  # int() digit limit: a number of thousands of digits
        raise DiscoursePayloadInvalid(f"the body is not usable JSON: {error}") from None
    except RecursionError:
        raise DiscoursePayloadInvalid("the body is not usable JSON: nested too deeply") from None


def map_webhook(
    event_name: str | None,
    body: Any,
    *,
    delivered_at: str,
    topic_of: TopicLookup | None = None,
) -> WebhookMapping:
    """Map one delivery (``X-Discourse-Event`` and the decoded JSON body).

    Args:
        event_name: the ``X-Discourse-Event`` header (absent for ``ping``).
        delivered_at: ISO 8601 time the delivery arrived; the time of a like.
        topic_of: reads a topic's author, for a reply to the topic as a whole; None
            when the REST API is not configured (then only the comment is stored).

    Raises:
        DiscoursePayloadInvalid: a rewarded event whose payload lacks a needed field.
    """
    if not isinstance(body, Mapping):
        raise DiscoursePayloadInvalid("the body must be a JSON object")
    if event_name is None or "ping" in body:
        return WebhookMapping(ignored="ping")
    if event_name == "post_created":
        return _map_post_created(_object(body, "post"), topic_of)
    if event_name == "post_liked":
        return _map_post_liked(_object(body, "like"), delivered_at)
    return WebhookMapping(ignored=f"event {event_name!r} earns nothing")


def _map_post_created(  # noqa: PLR0911 - one early return per case reads best
    post: Mapping[str, Any], topic_of: TopicLookup | None
) -> WebhookMapping:
    refusal = _not_rewarded(post)
    if refusal:
        return WebhookMapping(ignored=refusal)
    post_id = _int(post, "id", "post")
    author = _str(post, "username", "post")
    occurred_at = _str(post, "created_at", "post")
    payload = _post_payload(post)
    if _int(post, "post_number", "post") == 1:
        topic = _record(
            EventType.CLUB_POST_CREATED, post_id, author, None, occurred_at, payload=payload
        )
        return WebhookMapping([topic])
    replied_to = post.get("reply_to_user")
    if isinstance(replied_to, Mapping) and _same_user(post, replied_to):
        return WebhookMapping(ignored="a reply to one's own post earns nothing")
    records = [
        _record(EventType.CLUB_COMMENT_CREATED, post_id, author, None, occurred_at, payload=payload)
    ]

    def received(receiver: str) -> WebhookMapping:
        records.append(
            _record(
                EventType.CLUB_COMMENT_RECEIVED,
                post_id,
                receiver,
                author,
                occurred_at,
                payload=payload,
            )
        )
        return WebhookMapping(records)

    if isinstance(replied_to, Mapping) and replied_to.get("username"):
        return received(_str(replied_to, "username", "post.reply_to_user"))
    if post.get("reply_to_post_number") is not None:
        return WebhookMapping(
            records,
            ignored="no reply_to_user in the payload: ClubCommentReceived not stored",
        )
    # A reply to the topic as a whole: the topic's author receives it.
    topic_id = _int(post, "topic_id", "post")
    facts = topic_of(topic_id) if topic_of is not None else None
    if facts is None:
        return WebhookMapping(
            records,
            ignored=(
                f"a reply to topic {topic_id} as a whole, whose author could not be read "
                "from Discourse (SYSTOK_DISCOURSE_URL / SYSTOK_DISCOURSE_API_KEY): "
                "ClubCommentReceived not stored; `systok ingest discourse --since` adds it"
            ),
        )
    if _same_user(post, {"id": facts.author_user_id, "username": facts.author_username}):
        return WebhookMapping(
            records, ignored="a reply in one's own topic: ClubCommentReceived not stored"
        )
    return received(facts.author_username)


def _map_post_liked(like: Mapping[str, Any], delivered_at: str) -> WebhookMapping:
    post = _object(like, "post", "like.")
    liker = _object(like, "user", "like.")
    refusal = _not_rewarded(post)
    if refusal:
        return WebhookMapping(ignored=refusal)
    post_id = _int(post, "id", "like.post")
    liker_id = _int(liker, "id", "like.user")
    liker_name = _str(liker, "username", "like.user")
    author_name = _str(post, "username", "like.post")
    if post.get("user_id") == liker_id or author_name.lower() == liker_name.lower():
        return WebhookMapping(ignored="a like of one's own post earns nothing")
    payload = _post_payload(post)
    given = _record(
        EventType.CLUB_LIKE_GIVEN,
        post_id,
        liker_name,
        None,
        delivered_at,
        payload=payload,
        liker_user_id=liker_id,
    )
    received = _record(
        EventType.CLUB_LIKE_RECEIVED,
        post_id,
        author_name,
        liker_name,
        delivered_at,
        payload=payload,
        liker_user_id=liker_id,
    )
    return WebhookMapping([given, received])


def _not_rewarded(post: Mapping[str, Any]) -> str | None:
    """Why a post (or the post of a like) earns nothing, or None when it may earn."""
    if post.get("topic_archetype") == PRIVATE_MESSAGE_ARCHETYPE:
        return "private message"
    post_type = post.get("post_type", REGULAR_POST_TYPE)
    if post_type != REGULAR_POST_TYPE:
        return (
            f"post_type {_shown(post_type)} is not a regular post "
            "(2 moderator, 3 small action, 4 whisper)"
        )
    if post.get("hidden"):
        return "hidden post"
    if post.get("deleted_at") or post.get("user_deleted"):
        return "deleted post"
    return None


def _shown(value: Any) -> str:
    """A payload value quoted for a message: ASCII (a lone surrogate cannot be sent back
    as JSON), and short."""
    text = ascii(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _same_user(post: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    if post.get("user_id") is not None and other.get("id") is not None:
        return bool(post["user_id"] == other["id"])
    return str(post.get("username", "")).lower() == str(other.get("username", "")).lower()


def _post_payload(post: Mapping[str, Any]) -> dict[str, Any]:
    """The few post fields worth keeping with an event (never the post's text)."""
    keys = ("id", "topic_id", "post_number", "reply_to_post_number", "category_id")
    return {f"post_{k}" if k == "id" else k: post.get(k) for k in keys if post.get(k) is not None}


def _record(
    event_type: EventType,
    post_id: int,
    member: str,
    counterpart: str | None,
    occurred_at: str,
    *,
    payload: dict[str, Any],
    liker_user_id: int | None = None,
) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "id": discourse_event_ids(event_type, post_id, liker_user_id),
        "type": event_type.value,
        "member": discourse_alias(member),
        "counterpart": discourse_alias(counterpart) if counterpart else None,
        "occurred_at": occurred_at,
        "payload": payload,
    }


def _object(parent: Mapping[str, Any], key: str, where: str = "") -> Mapping[str, Any]:
    value = parent.get(key)
    if not isinstance(value, Mapping):
        raise DiscoursePayloadInvalid(f"{where}{key}: missing or not an object")
    return value


def _int(parent: Mapping[str, Any], key: str, where: str) -> int:
    value = parent.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise DiscoursePayloadInvalid(f"{where}.{key}: missing or not an integer")
    return value


def _str(parent: Mapping[str, Any], key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DiscoursePayloadInvalid(f"{where}.{key}: missing or not a string")
    return value
