"""What a Discourse topic says about itself: its first post and its author (``/t/{id}.json``).

Why: two things Discourse leaves out elsewhere are needed to pay the right people.

* A ``NEW_TOPIC`` row of ``/user_actions.json`` has ``post_id: null`` (Discourse logs it
  with ``target_post_id = -1`` and the stream LEFT JOINs posts), yet the webhook keys
  the topic by its first post's id (``post:{post_id}:created``). The backfill reads the
  id here, so a topic stored by both paths is one event.
* A reply to the topic as a whole (the topic's own Reply button) has
  ``reply_to_post_number: null`` and no ``reply_to_user``, and Discourse writes no
  ``RESPONSE`` row for it. Its receiver is the topic's author, read here.

The answer is ``TopicViewSerializer`` (Discourse ``app/serializers/topic_view_serializer.rb``):
``details.created_by`` is a ``BasicUserSerializer`` (``id``, ``username``) of the topic's
owner (``topic_view_details_serializer.rb``); ``post_stream.posts`` holds the first chunk
of posts (``PostSerializer``: ``id``, ``post_number``, ``username``, ``user_id``,
``post_type``, ``hidden``, ``created_at``) and ``post_stream.stream`` every post id in
order (``post_stream_serializer_mixin.rb``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from systok.config import Settings
from systok.errors import PullFailed
from systok.ingest.http import HTTP_NOT_FOUND, RetryingClient, Sleep

WEBHOOK_LOOKUP_TIMEOUT_SECONDS = 5.0
"""A webhook's topic lookup must end well inside Discourse's 20 s delivery timeout."""


@dataclass(frozen=True)
class TopicFacts:
    """A topic's first post and its author, as Discourse reports them."""

    topic_id: int
    first_post_id: int
    author_username: str
    author_user_id: int | None
    first_post_created_at: str | None = None
    first_post_type: int | None = None
    first_post_hidden: bool = False


TopicLookup = Callable[[int], TopicFacts | None]
"""``topic_id`` → its facts, or None when Discourse cannot tell (gone, refused, down)."""


def topic_facts(body: Any, topic_id: int) -> TopicFacts | None:
    """The facts in a ``/t/{id}.json`` answer, or None when it lacks the first post or author."""
    if not isinstance(body, Mapping):
        return None
    stream = body.get("post_stream")
    posts = stream.get("posts") if isinstance(stream, Mapping) else None
    first = next(
        (
            p
            for p in (posts if isinstance(posts, list) else [])
            if isinstance(p, Mapping) and p.get("post_number") == 1
        ),
        None,
    )
    ids = stream.get("stream") if isinstance(stream, Mapping) else None
    first_id = first.get("id") if first is not None else None
    if not is_json_int(first_id) and isinstance(ids, list) and ids and is_json_int(ids[0]):
        first_id = ids[0]
    details = body.get("details")
    owner = details.get("created_by") if isinstance(details, Mapping) else None
    username = owner.get("username") if isinstance(owner, Mapping) else None
    user_id = owner.get("id") if isinstance(owner, Mapping) else None
    if not isinstance(username, str) and first is not None:
        username, user_id = first.get("username"), first.get("user_id")
    post_id = json_int_or_none(first_id)
    if post_id is None or not isinstance(username, str) or not username.strip():
        return None
    return TopicFacts(
        topic_id=topic_id,
        first_post_id=post_id,
        author_username=username,
        author_user_id=json_int_or_none(user_id),
        first_post_created_at=_str_or_none(first.get("created_at")) if first else None,
        first_post_type=json_int_or_none(first.get("post_type")) if first else None,
        first_post_hidden=bool(first.get("hidden")) if first else False,
    )


def fetch_topic(http: RetryingClient, topic_id: int) -> TopicFacts | None:
    """``GET /t/{topic_id}.json``; None for a topic Discourse no longer shows (404).

    Raises:
        PullFailed: Discourse kept failing or refused otherwise.
    """
    try:
        body = http.get_json(f"/t/{int(topic_id)}.json")
    except PullFailed as error:
        if error.status == HTTP_NOT_FOUND:
            return None
        raise
    return topic_facts(body, topic_id)


class TopicCache:
    """One lookup per topic and run (a busy topic has many replies in one backfill)."""

    def __init__(self, http: RetryingClient) -> None:
        self.http = http
        self.known: dict[int, TopicFacts | None] = {}

    def __call__(self, topic_id: int) -> TopicFacts | None:
        if topic_id not in self.known:
            self.known[topic_id] = fetch_topic(self.http, topic_id)
        return self.known[topic_id]


def webhook_topic_lookup(
    settings: Settings, *, sleep: Sleep = time.sleep
) -> Callable[[int], TopicFacts | None] | None:
    """A lookup for the webhook path, or None when the REST API is not configured.

    One try with a short timeout: a delivery must be answered within Discourse's 20 s,
    and a failed lookup only means the topic's author is credited by the backfill later
    (``systok ingest discourse --since``), never that the delivery fails.
    """
    if not settings.discourse_url or not settings.discourse_api_key:
        return None
    url, key, username = (
        settings.discourse_url,
        settings.discourse_api_key,
        settings.discourse_api_username,
    )

    def lookup(topic_id: int) -> TopicFacts | None:
        client = RetryingClient(
            url,
            headers={"Api-Key": key, "Api-Username": username, "Accept": "application/json"},
            timeout_seconds=min(settings.http_timeout_seconds, WEBHOOK_LOOKUP_TIMEOUT_SECONDS),
            retries_max=0,
            sleep=sleep,
        )
        try:
            with client:
                return fetch_topic(client, topic_id)
        except (PullFailed, ValueError):  # down, refused, or not JSON: the backfill adds it
            return None

    return lookup


def is_json_int(value: Any) -> bool:
    """A JSON integer (``true`` decodes to a Python int too, and is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def json_int_or_none(value: Any) -> int | None:
    return value if is_json_int(value) else None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
