"""Discourse backfill and reconciliation through the REST API (``/user_actions.json``).

Why: webhooks can be missed (the site may not retry them) and Discourse sends no
"unlike" webhook, so a like given and removed within the week would still be paid.
This pull re-reads a time range per user, stores what the webhooks missed, and marks
likes that are gone as retracted.

How (INTEGRATIONS.md §2.3): for each user, ``GET /user_actions.json?username=<u>&
filter=1,2,4,5,6&offset=<n>`` with ``Api-Key``/``Api-Username``; rows come newest
first, paged by ``offset += len(page)`` until a page is empty or older than the range.
Each row field is read as the stream query names it: ``target_*`` is the user whose
stream it is, ``username``/``user_id`` the post's author, ``acting_*`` who acted.

=========================  ==================================================  =================
action type                events (member ← counterpart)                        whose stream
=========================  ==================================================  =================
1 LIKE (likes given)       ClubLikeGiven (liker); ClubLikeReceived (author ←   the liker
                           liker)
2 WAS_LIKED                the same two events                                 the author
4 NEW_TOPIC                ClubPostCreated (author), keyed by the topic's      the author
                           first post
5 REPLY                    ClubCommentCreated (replier); for a reply to the    the replier
                           topic as a whole also ClubCommentReceived (topic's
                           author ← replier)
6 RESPONSE                 ClubCommentReceived (replied-to ← replier)          the replied-to
=========================  ==================================================  =================

Ids are the webhook's (``discourse_webhook.discourse_event_ids``), so an event stored by
a webhook is a duplicate here and the other way round. Both sides of a like are built
from either row, so a like is complete when either person is reconciled.

What Discourse really sends (``UserAction.stream`` and ``UserActionSerializer``):
``NEW_TOPIC`` rows are logged with ``target_post_id = -1``, so they arrive with
``post_id``, ``post_type`` and ``hidden`` null and ``post_number`` 1; the topic's first
post (its id, type, hidden flag, time) and author are read from ``/t/{id}.json``
(``discourse_topics``, once per topic and run). ``reply_to_post_number`` is sent on
``REPLY`` rows only; null there means a reply to the topic as a whole, for which
Discourse writes no ``RESPONSE`` row, so its receiver (the topic's author) is read the
same way. Such a reply is found only in the *replier's* stream: a replier who is not
read (not linked, not named) leaves it to the webhook.

Skipped (counted, never ingested): private messages (the stream row has no
``category_id``), non-regular posts (``post_type`` ≠ 1), hidden or deleted posts,
self-likes and self-replies, topics Discourse no longer shows (404). A reply in one's
own topic is still ``ClubCommentCreated`` (for a reply to a post the stream does not say
whose post it answers; ``RESPONSE`` rows, which Discourse never writes for oneself,
carry the received side).

Removed likes: after *every* user of the run was read completely, each stored,
unretracted like event of the range that involves one of those users (as liker or
author, by their ``discourse:<username>`` alias) and that the run did not find is
marked retracted (``events.retracted_at_us``) and listed in the summary. Paying it is
then the weekly run's concern (not paid; a negative adjustment when paid already). A
user who could not be read (HTTP 404) is left out of the reconciliation.

Backfills are not live: the age limit for live sources does not apply.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.clock import now_us
from systok.config import Settings
from systok.core.events import EventType
from systok.core.policy import Policy
from systok.core.times import TimeError, parse_utc_us
from systok.db.engine import run_transaction
from systok.errors import ConfigurationError, PullFailed
from systok.ingest import repository as repo
from systok.ingest.http import HTTP_NOT_FOUND, RetryingClient, Sleep, client_from_settings
from systok.ingest.pulls import PullSummary
from systok.ingest.service import BatchResult, Ingestor
from systok.ingest.sources.discourse_topics import (
    TopicCache,
    TopicFacts,
    TopicLookup,
    is_json_int,
    json_int_or_none,
)
from systok.ingest.sources.discourse_webhook import (
    REGULAR_POST_TYPE,
    SOURCE,
    discourse_alias,
    discourse_event_ids,
)

LIKE, WAS_LIKED, NEW_TOPIC, REPLY, RESPONSE = 1, 2, 4, 5, 6
ACTION_FILTER = "1,2,4,5,6"
PAGE_LIMIT = 30
"""Rows per page asked for (Discourse's default; newer versions may cap it)."""
LIKE_TYPES = (EventType.CLUB_LIKE_GIVEN.value, EventType.CLUB_LIKE_RECEIVED.value)


def client_for(settings: Settings, *, sleep: Sleep = time.sleep) -> RetryingClient:
    """A Discourse client from settings (URL and admin API key must be set)."""
    if not settings.discourse_api_key:
        raise ConfigurationError("discourse_api_key is not set (SYSTOK_DISCOURSE_API_KEY)")
    return client_from_settings(
        settings,
        settings.discourse_url,
        setting_name="discourse_url",
        headers={
            "Api-Key": settings.discourse_api_key,
            "Api-Username": settings.discourse_api_username,
            "Accept": "application/json",
        },
        sleep=sleep,
    )


def linked_usernames(session: Session) -> list[str]:
    """Every Discourse username linked to a member (the default set to reconcile)."""
    return repo.aliases_at_source(session, SOURCE)


def pull_discourse(
    engine: Engine,
    settings: Settings,
    policy: Policy,
    *,
    since_us: int,
    until_us: int,
    usernames: Sequence[str] | None = None,
    client: RetryingClient | None = None,
    clock: Callable[[], int] = now_us,
    on_user: Callable[[str, PullSummary], None] | None = None,
) -> PullSummary:
    """Backfill ``[since, until)`` for users and mark removed likes retracted.

    Args:
        usernames: users to read; None means every linked ``discourse`` alias.
        on_user: called after each user's events were committed.

    Raises:
        PullFailed: Discourse kept failing for a user (or for a topic it needed to read);
            users committed before stay committed, and no like is marked retracted (the
            picture is incomplete).
    """
    names = (
        sorted({u.strip().lower() for u in usernames if u.strip()})
        if usernames is not None
        else run_transaction(engine, linked_usernames)
    )
    summary = PullSummary()
    seen_ids: set[str] = set()
    reconciled: list[str] = []
    own_client = client is None
    http = client if client is not None else client_for(settings)
    topics = TopicCache(http)
    try:
        for username in names:
            try:
                rows = list(_user_rows(http, username, since_us, until_us))
            except PullFailed as error:
                if error.status != HTTP_NOT_FOUND:
                    raise
                summary.notes.append(f"user {username!r} not found on Discourse; skipped")
                continue
            records: dict[str, dict[str, Any]] = {}
            for row in rows:
                built = records_of_row(row, topics)
                if not built:
                    summary.skipped += 1
                for record in built:
                    records.setdefault(record["id"], record)
            records = {k: r for k, r in records.items() if k not in seen_ids}
            seen_ids.update(records)  # both sides of a like appear in two users' streams

            if records:
                store = partial(_store, policy=policy, clock=clock, records=list(records.values()))
                summary.add(run_transaction(engine, store))
            summary.pages += 1
            reconciled.append(username)
            if on_user is not None:
                on_user(username, summary)
    finally:
        if own_client:
            http.close()
    summary.retracted = run_transaction(
        engine,
        lambda session: retract_missing_likes(
            session,
            usernames=reconciled,
            since_us=since_us,
            until_us=until_us,
            found_ids=seen_ids,
            now_us=clock(),
        ),
    )
    return summary


def _store(
    session: Session,
    *,
    policy: Policy,
    clock: Callable[[], int],
    records: list[dict[str, Any]],
) -> BatchResult:
    """One user's events in one unit of work (not live: this is a backfill)."""
    return Ingestor(session, policy=policy, clock=clock).ingest(records, source=SOURCE, live=False)


def _user_rows(
    http: RetryingClient, username: str, since_us: int, until_us: int
) -> Iterator[dict[str, Any]]:
    """A user's action rows within ``[since, until)``, paging until older than ``since``."""
    offset = 0
    while True:
        page = http.get_json(
            "/user_actions.json",
            params={
                "username": username,
                "filter": ACTION_FILTER,
                "offset": offset,
                "limit": PAGE_LIMIT,
            },
        )
        rows = page.get("user_actions") if isinstance(page, dict) else None
        if not rows:
            return
        older_seen = False
        for row in rows:
            if not isinstance(row, dict):
                continue
            created_us = _time_us(row.get("created_at"))
            if created_us is None:
                continue
            if created_us < since_us:
                older_seen = True
            elif created_us < until_us:
                yield row
        if older_seen:  # newest first: every later page is older still
            return
        offset += len(rows)


def _time_us(value: Any) -> int | None:
    try:
        return parse_utc_us(str(value))
    except TimeError:
        return None


def records_of_row(  # noqa: PLR0911, PLR0912 - one early return per skip rule reads best
    row: dict[str, Any], topic_of: TopicLookup | None = None
) -> list[dict[str, Any]]:
    """The incoming records one ``user_actions`` row yields ([] when it earns nothing).

    Args:
        topic_of: reads a topic's first post and author (``/t/{id}.json``), needed for a
            ``NEW_TOPIC`` row (its ``post_id`` is null) and for a reply to the topic as a
            whole (no ``RESPONSE`` row names its receiver). None: such rows yield less.
    """
    if row.get("category_id") is None:  # private messages have no category
        return []
    action = row.get("action_type")
    topic_id = json_int_or_none(row.get("topic_id"))
    facts: TopicFacts | None = None
    post_id = json_int_or_none(row.get("post_id"))
    occurred_at = str(row.get("created_at"))
    post_type = row.get("post_type", REGULAR_POST_TYPE)
    hidden = row.get("hidden")
    if action == NEW_TOPIC and post_id is None:
        # Logged with target_post_id = -1: the stream's LEFT JOIN leaves post_id,
        # post_type and hidden null. The first post, as the webhook keys it, is read.
        if topic_of is None or topic_id is None:
            return []
        facts = topic_of(topic_id)
        if facts is None:
            return []
        post_id, post_type, hidden = (
            facts.first_post_id,
            facts.first_post_type,
            facts.first_post_hidden,
        )
        occurred_at = facts.first_post_created_at or occurred_at
    if (post_type if post_type is not None else REGULAR_POST_TYPE) != REGULAR_POST_TYPE:
        return []
    if hidden or row.get("deleted"):
        return []
    if post_id is None:
        return []
    key_post_id = post_id
    acting, author = row.get("acting_username"), row.get("username")
    acting_id, author_id = row.get("acting_user_id"), row.get("user_id")
    if not isinstance(acting, str) or not isinstance(author, str):
        return []
    payload = {
        k: row[k]
        for k in ("topic_id", "post_number", "reply_to_post_number", "category_id")
        if row.get(k) is not None
    } | {"post_id": key_post_id}

    def record(event_type: EventType, member: str, counterpart: str | None) -> dict[str, Any]:
        liker = acting_id if event_type in LIKE_TYPES else None
        return {
            "source": SOURCE,
            "id": discourse_event_ids(event_type, key_post_id, liker),
            "type": event_type.value,
            "member": discourse_alias(member),
            "counterpart": discourse_alias(counterpart) if counterpart else None,
            "occurred_at": occurred_at,
            "payload": payload,
        }

    if action in (LIKE, WAS_LIKED):
        if not is_json_int(acting_id) or _same(acting, acting_id, author, author_id):
            return []  # a like without its liker's id cannot match a webhook's; self-like
        return [
            record(EventType.CLUB_LIKE_GIVEN, acting, None),
            record(EventType.CLUB_LIKE_RECEIVED, author, acting),
        ]
    if action == NEW_TOPIC:
        return [record(EventType.CLUB_POST_CREATED, author, None)]
    if action == REPLY:
        created = [record(EventType.CLUB_COMMENT_CREATED, acting, None)]
        # The serializer sends reply_to_post_number on REPLY rows; null means a reply to
        # the topic as a whole, which Discourse answers with no RESPONSE row.
        if "reply_to_post_number" not in row or row["reply_to_post_number"] is not None:
            return created
        if topic_of is None or topic_id is None:
            return created
        facts = topic_of(topic_id)
        if facts is None or _same(acting, acting_id, facts.author_username, facts.author_user_id):
            return created  # topic gone, or a reply in one's own topic
        return [*created, record(EventType.CLUB_COMMENT_RECEIVED, facts.author_username, acting)]
    if action == RESPONSE:
        receiver, receiver_id = row.get("target_username"), row.get("target_user_id")
        if not isinstance(receiver, str) or _same(acting, acting_id, receiver, receiver_id):
            return []
        return [record(EventType.CLUB_COMMENT_RECEIVED, receiver, acting)]
    return []


def _same(name: str, user_id: Any, other_name: str, other_id: Any) -> bool:
    if isinstance(user_id, int) and isinstance(other_id, int):
        return user_id == other_id
    return name.lower() == other_name.lower()


def retract_missing_likes(
    session: Session,
    *,
    usernames: Sequence[str],
    since_us: int,
    until_us: int,
    found_ids: set[str],
    now_us: int,
) -> list[str]:
    """Mark stored like events of the range that the reconciliation did not find.

    Only likes involving a reconciled user (as actor or counterpart, by alias) are in
    scope: for anyone else the run has no evidence either way. Returns the
    ``source_event_id`` of each event newly marked, sorted.
    """
    if not usernames:
        return []
    stored = repo.unretracted_events_naming(
        session,
        source=SOURCE,
        event_types=LIKE_TYPES,
        aliases=sorted({u.lower() for u in usernames}),
        since_us=since_us,
        until_us=until_us,
    )
    missing = [(event_id, key) for event_id, key in stored if key not in found_ids]
    if missing:  # marked retracted and taken out of the daily counters together
        repo.retract_events(session, [event_id for event_id, _ in missing], now_us)
    return sorted(key for _, key in missing)
