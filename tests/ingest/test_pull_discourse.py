"""Discourse REST backfill against a stand-in forum served over loopback.

The stand-in (``tests.ingest.discourse_forum``) answers as Discourse does: each user's
action stream from ``UserAction.stream`` through ``UserActionSerializer`` (NEW_TOPIC
rows with ``post_id`` null, ``reply_to_post_number`` on REPLY rows only, no RESPONSE row
for a reply to the topic as a whole) and ``/t/{id}.json`` from ``TopicViewSerializer``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from systok.api.app import create_app
from systok.clock import now_us
from systok.config import Settings
from systok.core.times import parse_utc_us, us_to_iso
from systok.db.engine import run_transaction
from systok.db.tables import Event
from systok.errors import BadTime, PullFailed
from systok.ingest.files import import_member_lines
from systok.ingest.schemas import IncomingEvent
from systok.ingest.service import Ingestor
from systok.ingest.sources import discourse_rest
from systok.policy_files import default_policy
from tests.api.conftest import WEBHOOK_SECRET, discourse_headers, dumps
from tests.api.conftest import serve as serve_systok
from tests.ingest import discourse_forum
from tests.ingest.discourse_forum import NEW_TOPIC, USERS, Forum, Like, Post, Topic, forum
from tests.ingest.stand_in import Sleeps, assert_nothing_lost, policy, serve, settings

SINCE = parse_utc_us("2025-05-12T00:00:00Z")
UNTIL = parse_utc_us("2025-05-19T00:00:00Z")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(discourse_forum.app()) as url:
        yield url


def build_forum() -> Forum:
    day = "2025-05-14T"
    return Forum(
        topics={
            810: Topic(810, "anna", day + "10:00:00.000Z"),
            811: Topic(811, "boris", day + "11:00:00.000Z", category_id=None),  # a PM
            812: Topic(812, "anna", "2025-05-01T09:00:00.000Z"),  # before the range
            813: Topic(813, "vera", day + "13:00:00.000Z"),
        },
        posts={
            100: Post(100, 810, "anna", 1, day + "10:00:00.000Z"),
            101: Post(101, 810, "boris", 2, day + "10:05:00.000Z", reply_to_post_number=1),
            102: Post(102, 810, "vera", 3, day + "10:10:00.000Z", reply_to_post_number=2),
            103: Post(103, 811, "boris", 1, day + "11:00:00.000Z"),
            104: Post(104, 810, "vera", 4, day + "11:05:00.000Z", 1, post_type=4),  # whisper
            105: Post(105, 810, "anna", 5, day + "11:10:00.000Z", reply_to_post_number=1),
            106: Post(106, 812, "anna", 1, "2025-05-01T09:00:00.000Z"),
            107: Post(107, 813, "vera", 1, day + "13:00:00.000Z"),
            108: Post(108, 813, "boris", 2, day + "13:05:00.000Z"),  # to the topic as a whole
            109: Post(109, 813, "vera", 3, day + "13:10:00.000Z"),  # same, in her own topic
            110: Post(110, 810, "vera", 6, day + "13:20:00.000Z", hidden=True),  # flagged
        },
        likes=[
            Like(100, "boris", day + "12:00:00.000Z"),
            Like(100, "vera", day + "12:01:00.000Z"),
            Like(101, "anna", day + "12:02:00.000Z"),
            Like(100, "anna", day + "12:03:00.000Z"),  # self-like
            Like(106, "boris", "2025-05-02T09:00:00.000Z"),  # before the range
        ],
    )


EXPECTED = {
    "post:100:created": ("ClubPostCreated", "anna", None),
    "post:101:created": ("ClubCommentCreated", "boris", None),
    "post:101:comment-received": ("ClubCommentReceived", "anna", "boris"),
    "post:102:created": ("ClubCommentCreated", "vera", None),
    "post:102:comment-received": ("ClubCommentReceived", "boris", "vera"),
    "post:105:created": ("ClubCommentCreated", "anna", None),
    "post:107:created": ("ClubPostCreated", "vera", None),
    "post:108:created": ("ClubCommentCreated", "boris", None),
    "post:108:comment-received": ("ClubCommentReceived", "vera", "boris"),
    "post:109:created": ("ClubCommentCreated", "vera", None),
    "like:100:2:given": ("ClubLikeGiven", "boris", None),
    "like:100:2:received": ("ClubLikeReceived", "anna", "boris"),
    "like:100:3:given": ("ClubLikeGiven", "vera", None),
    "like:100:3:received": ("ClubLikeReceived", "anna", "vera"),
    "like:101:1:given": ("ClubLikeGiven", "anna", None),
    "like:101:1:received": ("ClubLikeReceived", "boris", "anna"),
}


@pytest.fixture(autouse=True)
def _fresh_forum() -> None:
    forum.__dict__.update(build_forum().__dict__)


def stored(engine: Engine) -> dict[str, Any]:
    return run_transaction(
        engine,
        lambda s: {
            e.source_event_id: e
            for e in s.execute(select(Event).where(Event.source == "discourse")).scalars()
        },
    )


def pull(engine: Engine, base_url: str, sleeps: Sleeps | None = None, **kwargs: Any) -> Any:
    config = settings(discourse_url=base_url, discourse_api_key="secret-key")
    with discourse_rest.client_for(config, sleep=sleeps if sleeps is not None else Sleeps()) as c:
        return discourse_rest.pull_discourse(
            engine, config, policy(), since_us=SINCE, until_us=UNTIL, client=c, **kwargs
        )


def link_everyone(engine: Engine) -> None:
    def work(session: Any) -> None:
        ingestor = Ingestor(session, policy=policy())
        for name in USERS:
            ingestor.link_alias(f"m-{name}", "discourse", name)

    run_transaction(engine, work)


def test_backfill_of_linked_users_builds_the_webhook_ids(engine: Engine, base_url: str) -> None:
    link_everyone(engine)
    forum.limit_first_call = True
    sleeps = Sleeps()
    summary = pull(engine, base_url, sleeps)
    events = stored(engine)
    assert set(events) == set(EXPECTED)
    for key, (event_type, member, counterpart) in EXPECTED.items():
        event = events[key]
        assert event.event_type == event_type, key
        assert (event.actor_alias, event.member_id) == (member, f"m-{member}"), key
        assert event.counterpart_alias == counterpart, key
    assert events["like:100:3:given"].occurred_at_us == parse_utc_us("2025-05-14T12:01:00Z")
    assert summary.accepted == len(EXPECTED)
    assert summary.quarantined == 0
    assert summary.retracted == []
    assert summary.skipped > 0  # the PM, the whisper, the self-like
    assert sleeps == [3.0]  # extras.wait_seconds + 1
    assert sorted(set(forum.topic_calls)) == [810, 813]  # once per topic and run
    assert len(forum.topic_calls) == 2
    assert events["post:100:created"].occurred_at_us == parse_utc_us("2025-05-14T10:00:00Z")
    assert json.loads(events["post:107:created"].payload)["post_id"] == 107
    assert_nothing_lost(engine, "discourse", received=summary.received)


def test_stand_in_rows_are_what_discourse_sends() -> None:
    """Guards the stand-in itself: NEW_TOPIC is a LEFT JOIN miss, RESPONSE is never topic-wide."""
    topic_rows = discourse_forum.stream("vera", {NEW_TOPIC})
    assert [(r["post_id"], r["post_type"], r["hidden"], r["post_number"]) for r in topic_rows] == [
        (None, None, None, 1)
    ]
    assert "reply_to_post_number" not in topic_rows[0]
    responses = discourse_forum.stream("vera", {6})
    assert responses == []  # boris answered her topic as a whole: no RESPONSE row
    replies = discourse_forum.stream("boris", {5})
    assert {r["post_id"]: r["reply_to_post_number"] for r in replies} == {101: 1, 108: None}


def test_webhook_events_are_duplicates_on_backfill(engine: Engine, base_url: str) -> None:
    webhook_like = [
        IncomingEvent(
            source="discourse",
            id="like:100:3:given",
            type="ClubLikeGiven",
            member="discourse:vera",
            occurred_at="2025-05-14T12:01:02Z",  # the delivery time, not the like's
        ),
        IncomingEvent(
            source="discourse",
            id="post:100:created",
            type="ClubPostCreated",
            member="discourse:anna",
            occurred_at="2025-05-14T10:00:00Z",
        ),
        IncomingEvent(  # the webhook of boris's reply to vera's topic as a whole
            source="discourse",
            id="post:108:comment-received",
            type="ClubCommentReceived",
            member="discourse:vera",
            counterpart="discourse:boris",
            occurred_at="2025-05-14T13:05:00Z",
        ),
    ]
    run_transaction(
        engine,
        lambda s: Ingestor(s, policy=policy()).ingest(webhook_like, source="discourse", live=False),
    )
    summary = pull(engine, base_url, usernames=["anna", "boris", "vera"])
    assert summary.duplicates >= 3
    assert summary.accepted == len(EXPECTED) - 3
    assert set(stored(engine)) == set(EXPECTED)


def test_a_removed_like_is_marked_retracted(engine: Engine, base_url: str) -> None:
    users = ["anna", "boris", "vera"]
    pull(engine, base_url, usernames=users)
    outsider = IncomingEvent(  # a like between people this run does not reconcile
        source="discourse",
        id="like:900:77:given",
        type="ClubLikeGiven",
        member="discourse:dmitry",
        occurred_at="2025-05-15T08:00:00Z",
    )
    run_transaction(
        engine,
        lambda s: Ingestor(s, policy=policy()).ingest([outsider], source="discourse", live=False),
    )
    forum.likes = [like for like in forum.likes if like.liker != "vera"]  # vera unlikes
    summary = pull(engine, base_url, usernames=users)
    assert summary.retracted == ["like:100:3:given", "like:100:3:received"]
    assert (summary.accepted, summary.duplicates) == (0, len(EXPECTED) - 2)
    events = stored(engine)
    retracted = sorted(k for k, e in events.items() if e.retracted_at_us is not None)
    assert retracted == ["like:100:3:given", "like:100:3:received"]
    again = pull(engine, base_url, usernames=users)
    assert again.retracted == []  # marked once


def test_unknown_user_is_skipped_and_a_failing_user_retracts_nothing(
    engine: Engine, base_url: str
) -> None:
    summary = pull(engine, base_url, usernames=["ghost", "vera"])
    assert any("ghost" in note for note in summary.notes)
    assert summary.accepted > 0
    forum.likes = []
    forum.failing_user = "vera"
    with pytest.raises(PullFailed):
        pull(engine, base_url, usernames=["anna", "vera"])
    assert all(e.retracted_at_us is None for e in stored(engine).values())


def _recent_forum() -> None:
    """Vera's topic and Boris's reply to it as a whole, minutes ago (webhooks are live)."""
    now = now_us()

    def ago(minutes: int) -> str:
        return us_to_iso(now - minutes * 60_000_000)

    forum.topics = {900: Topic(900, "vera", ago(30))}
    forum.posts = {
        9000: Post(9000, 900, "vera", 1, ago(30)),
        9001: Post(9001, 900, "boris", 2, ago(20)),  # the topic's own Reply button
        9002: Post(9002, 900, "anna", 3, ago(10), reply_to_post_number=2),  # answers boris
    }
    forum.likes = []


def _systok(engine: Engine, discourse_url: str | None) -> Any:
    config = Settings(  # type: ignore[call-arg]
        _env_file=None,
        discourse_webhook_secret=WEBHOOK_SECRET,
        discourse_url=discourse_url,
        discourse_api_key="secret-key" if discourse_url else None,
        policy=None,
    )
    return serve_systok(create_app(engine, config, default_policy(config)), engine)


def _deliver(live: Any, post_id: int, delivery_id: int) -> dict[str, Any]:
    raw = dumps(discourse_forum.webhook_post(post_id))
    response = live.client.post(
        "/api/v1/webhooks/discourse",
        content=raw,
        headers=discourse_headers(raw, "post_created", delivery_id),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


TOPIC_EVENTS = {
    "post:9000:created": ("ClubPostCreated", "vera", None),
    "post:9001:created": ("ClubCommentCreated", "boris", None),
    "post:9001:comment-received": ("ClubCommentReceived", "vera", "boris"),
    "post:9002:created": ("ClubCommentCreated", "anna", None),
    "post:9002:comment-received": ("ClubCommentReceived", "boris", "anna"),
}


def _recent_pull(engine: Engine, base_url: str) -> Any:
    config = settings(discourse_url=base_url, discourse_api_key="secret-key")
    now = now_us()
    with discourse_rest.client_for(config, sleep=Sleeps()) as c:
        return discourse_rest.pull_discourse(
            engine,
            config,
            policy(),
            since_us=now - 86_400_000_000,
            until_us=now + 60_000_000,
            client=c,
            usernames=sorted(USERS),
        )


def test_webhook_and_backfill_of_one_topic_are_one_event(engine: Engine, base_url: str) -> None:
    """Both paths over loopback: the topic and the topic-wide reply keep one id each."""
    _recent_forum()
    with _systok(engine, base_url) as live:
        answers = [_deliver(live, post_id, n) for n, post_id in enumerate((9000, 9001, 9002))]
    assert [a["accepted"] for a in answers] == [1, 2, 2]
    assert forum.topic_calls == [900]  # only the topic-wide reply asked for its author
    webhook_events = stored(engine)
    assert {
        k: (e.event_type, e.actor_alias, e.counterpart_alias) for k, e in webhook_events.items()
    } == TOPIC_EVENTS

    summary = _recent_pull(engine, base_url)
    assert (summary.accepted, summary.quarantined) == (0, 0)
    assert summary.duplicates == len(TOPIC_EVENTS)
    assert set(stored(engine)) == set(TOPIC_EVENTS)
    assert_nothing_lost(engine, "discourse", received=5 + summary.received)


@pytest.mark.parametrize("discourse_api", ["not configured", "down"])
def test_topic_wide_reply_without_its_author_is_completed_by_the_backfill(
    engine: Engine, base_url: str, discourse_api: str
) -> None:
    _recent_forum()
    forum.topic_down = discourse_api == "down"
    with _systok(engine, base_url if discourse_api == "down" else None) as live:
        answer = _deliver(live, 9001, 1)
    assert answer["accepted"] == 1
    assert "ClubCommentReceived not stored" in answer["ignored"]
    assert "--since" in answer["ignored"]
    assert set(stored(engine)) == {"post:9001:created"}

    forum.topic_down = False
    summary = _recent_pull(engine, base_url)
    assert summary.duplicates == 1
    assert set(stored(engine)) == set(TOPIC_EVENTS)
    received = stored(engine)["post:9001:comment-received"]
    assert (received.actor_alias, received.counterpart_alias) == ("vera", "boris")
    assert_nothing_lost(engine, "discourse", received=1 + summary.received)


def test_a_member_with_two_discourse_names_gets_both(engine: Engine, base_url: str) -> None:
    """A members file may list names (``"discourse": ["a", "b"]``), as the platform's profiles do."""
    line = {"id": "m-ab", "aliases": {"discourse": ["Anna", "boris"], "posthog": "d-1"}}
    report = import_member_lines(engine, [(1, json.dumps(line))])
    assert (report.accepted, report.quarantined) == (1, 0), report.problems
    pull(engine, base_url, usernames=["anna", "boris"])
    events = stored(engine)
    mine = {k for k, e in events.items() if e.member_id == "m-ab"}
    assert mine == {k for k, (_, member, _) in EXPECTED.items() if member in ("anna", "boris")}
    assert events["post:100:created"].member_id == "m-ab"  # the name came as "Anna"


def test_cli_safety_net_takes_a_window(
    engine: Engine, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`systok ingest discourse --since 2d` (the documented cron line) stores what webhooks missed."""
    from typer.testing import CliRunner

    from systok.cli.pull import app, parse_moment_us
    from systok.config import get_settings
    from tests.ingest.stand_in import POLICY_FILE

    now = parse_utc_us("2028-02-29T12:00:00Z")
    assert parse_moment_us("2d", "--since", now=now) == parse_utc_us("2028-02-27T12:00:00Z")
    assert parse_moment_us("36h", "--since", now=now) == parse_utc_us("2028-02-28T00:00:00Z")
    assert parse_moment_us("2028-02-29", "--since", now=now) == parse_utc_us("2028-02-29T00:00:00Z")
    with pytest.raises(BadTime, match="2d"):
        parse_moment_us("2 days", "--since", now=now)

    _recent_forum()
    monkeypatch.setenv("SYSTOK_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SYSTOK_DISCOURSE_URL", base_url)
    monkeypatch.setenv("SYSTOK_DISCOURSE_API_KEY", "secret-key")
    monkeypatch.setenv("SYSTOK_POLICY_DIR", str(POLICY_FILE.parent))
    monkeypatch.delenv("SYSTOK_POLICY", raising=False)
    get_settings.cache_clear()
    try:
        args = ["discourse", "--since", "2d", *(f"--username={u}" for u in sorted(USERS))]
        result = CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert set(stored(engine)) == set(TOPIC_EVENTS)
    assert_nothing_lost(engine, "discourse", received=len(TOPIC_EVENTS))
