"""Discourse REST backfill against a stand-in ``/user_actions.json``.

The stand-in derives each user's action stream from a small forum (posts and likes)
the way Discourse's stream query does: ``target_*`` is the stream's owner,
``username``/``user_id`` the post's author, ``acting_*`` who acted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, select

from systok.core.times import parse_utc_us
from systok.db.engine import run_transaction
from systok.db.tables import Event
from systok.ingest.http import PullFailed
from systok.ingest.schemas import IncomingEvent
from systok.ingest.service import Ingestor
from systok.ingest.sources import discourse_rest
from tests.ingest.stand_in import Sleeps, policy, serve, settings

USERS = {"anna": 1, "boris": 2, "vera": 3}
SINCE = parse_utc_us("2025-05-12T00:00:00Z")
UNTIL = parse_utc_us("2025-05-19T00:00:00Z")
PAGE_ROWS = 3  # the stand-in pages small, so every user takes several pages


@dataclass
class Post:
    id: int
    author: str
    post_number: int
    created_at: str
    reply_to: str | None = None  # author of the post replied to
    category_id: int | None = 5  # None: a private message
    post_type: int = 1
    hidden: bool = False


@dataclass
class Like:
    post_id: int
    liker: str
    created_at: str


@dataclass
class Forum:
    posts: dict[int, Post] = field(default_factory=dict)
    likes: list[Like] = field(default_factory=list)
    calls: int = 0
    limit_first_call: bool = False
    failing_user: str | None = None


forum = Forum()


def _row(owner: str, action: int, post: Post, acting: str, created_at: str) -> dict[str, Any]:
    return {
        "action_type": action,
        "created_at": created_at,
        "excerpt": "…",
        "topic_id": 800 + post.id // 10,
        "post_id": post.id,
        "post_number": post.post_number,
        "reply_to_post_number": 1 if post.post_number > 1 else None,
        "username": post.author,
        "name": post.author.title(),
        "user_id": USERS[post.author],
        "acting_username": acting,
        "acting_name": acting.title(),
        "acting_user_id": USERS[acting],
        "target_username": owner,
        "target_name": owner.title(),
        "target_user_id": USERS[owner],
        "title": "Python basics",
        "category_id": post.category_id,
        "deleted": False,
        "hidden": post.hidden,
        "post_type": post.post_type,
        "action_code": None,
        "closed": False,
        "archived": False,
    }


def stream(owner: str, actions: set[int]) -> list[dict[str, Any]]:
    rows = []
    for like in forum.likes:
        post = forum.posts[like.post_id]
        if like.liker == owner and 1 in actions:
            rows.append(_row(owner, 1, post, like.liker, like.created_at))
        if post.author == owner and 2 in actions:
            rows.append(_row(owner, 2, post, like.liker, like.created_at))
    for post in forum.posts.values():
        if post.author == owner and post.post_number == 1 and 4 in actions:
            rows.append(_row(owner, 4, post, owner, post.created_at))
        if post.author == owner and post.post_number > 1 and 5 in actions:
            rows.append(_row(owner, 5, post, owner, post.created_at))
        if post.reply_to == owner and post.author != owner and 6 in actions:
            rows.append(_row(owner, 6, post, post.author, post.created_at))
    return sorted(rows, key=lambda r: r["created_at"], reverse=True)


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/user_actions.json")
    def user_actions(request: Request) -> JSONResponse:
        forum.calls += 1
        assert request.headers["api-key"] == "secret-key"
        assert request.headers["api-username"] == "system"
        if forum.limit_first_call and forum.calls == 1:
            body = {
                "errors": ["slow down"],
                "error_type": "rate_limit",
                "extras": {"wait_seconds": 2},
            }
            return JSONResponse(body, 429)
        username = request.query_params["username"]
        if username not in USERS:
            return JSONResponse({"errors": ["not found"]}, 404)
        if username == forum.failing_user:
            return JSONResponse({"errors": ["oops"]}, 502)
        actions = {int(a) for a in request.query_params["filter"].split(",")}
        offset = int(request.query_params.get("offset", 0))
        rows = stream(username, actions)[offset : offset + PAGE_ROWS]
        return JSONResponse({"user_actions": rows})

    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(_app()) as url:
        yield url


def build_forum() -> Forum:
    day = "2025-05-14T"
    return Forum(
        posts={
            100: Post(100, "anna", 1, day + "10:00:00.000Z"),
            101: Post(101, "boris", 2, day + "10:05:00.000Z", reply_to="anna"),
            102: Post(102, "vera", 3, day + "10:10:00.000Z", reply_to="boris"),
            103: Post(103, "boris", 1, day + "11:00:00.000Z", category_id=None),  # PM
            104: Post(104, "vera", 4, day + "11:05:00.000Z", reply_to="anna", post_type=4),
            105: Post(105, "anna", 5, day + "11:10:00.000Z", reply_to="anna"),  # self-reply
            106: Post(106, "anna", 1, "2025-05-01T09:00:00.000Z"),  # before the range
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
    ]
    run_transaction(
        engine,
        lambda s: Ingestor(s, policy=policy()).ingest(webhook_like, source="discourse", live=False),
    )
    summary = pull(engine, base_url, usernames=["anna", "boris", "vera"])
    assert summary.duplicates >= 2
    assert summary.accepted == len(EXPECTED) - 2
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
