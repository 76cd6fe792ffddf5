"""A small Discourse forum served over loopback, shaped as Discourse itself answers.

Shapes are read from Discourse's source (discourse/discourse), not from our code:

- ``/user_actions.json``: ``UserAction.stream`` (app/models/user_action.rb) rows through
  ``UserActionSerializer`` (app/serializers/user_action_serializer.rb). Which rows
  exist comes from ``UserActionManager`` (app/services/user_action_manager.rb): a topic
  is logged as NEW_TOPIC with ``target_post_id = -1`` (so the stream's LEFT JOIN gives
  ``post_id``/``post_type``/``hidden`` null and ``post_number`` 1, and ``username`` is the
  topic's owner); each later post as REPLY; RESPONSE only through a ``replied``
  notification, which names the author of ``reply_to_post_number`` — none for a reply
  to the topic as a whole. ``reply_to_post_number`` is serialized on REPLY rows only
  (``include_reply_to_post_number?``). The stream hides hidden posts from other users
  (``apply_common_filters``: ``NOT COALESCE(p.hidden, false) OR p.user_id = :current``).
- ``/t/{id}.json``: ``TopicViewSerializer`` (topic_view_serializer.rb) with
  ``details.created_by`` (topic_view_details_serializer.rb, ``BasicUserSerializer``)
  and ``post_stream`` {``posts``, ``stream``} (post_stream_serializer_mixin.rb).
- webhook ``post``: ``WebHookPostSerializer`` (web_hook_post_serializer.rb) over
  ``PostSerializer`` (post_serializer.rb): ``reply_to_user`` is ``{username, name,
  avatar_template}`` (no id) and only when the post has one, i.e. when it answers a
  post (``reply_to_post_number`` set).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

USERS = {"anna": 1, "boris": 2, "vera": 3}
LIKE, WAS_LIKED, NEW_TOPIC, REPLY, RESPONSE = 1, 2, 4, 5, 6
POSTS_PER_CHUNK = 20  # TopicView's chunk size


@dataclass
class Topic:
    id: int
    author: str
    created_at: str
    category_id: int | None = 5  # None: a private message
    title: str = "Python basics"


@dataclass
class Post:
    id: int
    topic_id: int
    author: str
    post_number: int
    created_at: str
    reply_to_post_number: int | None = None  # None on a reply: to the topic as a whole
    post_type: int = 1
    hidden: bool = False


@dataclass
class Like:
    post_id: int
    liker: str
    created_at: str


@dataclass
class Forum:
    topics: dict[int, Topic] = field(default_factory=dict)
    posts: dict[int, Post] = field(default_factory=dict)
    likes: list[Like] = field(default_factory=list)
    calls: int = 0
    topic_calls: list[int] = field(default_factory=list)
    limit_first_call: bool = False
    failing_user: str | None = None
    topic_down: bool = False

    def post_at(self, topic_id: int, post_number: int) -> Post | None:
        return next(
            (
                p
                for p in self.posts.values()
                if p.topic_id == topic_id and p.post_number == post_number
            ),
            None,
        )

    def replied_to(self, post: Post) -> str | None:
        """Author of the post a reply answers (Post#reply_to_user), None for the topic."""
        if post.post_number == 1 or post.reply_to_post_number is None:
            return None
        target = self.post_at(post.topic_id, post.reply_to_post_number)
        return target.author if target else None


forum = Forum()


def _user(name: str) -> dict[str, Any]:
    """``BasicUserSerializer``."""
    return {"id": USERS[name], "username": name, "name": name.title(), "avatar_template": "/a"}


def _row(
    owner: str, action: int, *, topic: Topic, post: Post | None, acting: str, at: str
) -> dict[str, Any]:
    """One ``UserActionSerializer`` row; ``post`` None is the NEW_TOPIC LEFT JOIN miss."""
    author = post.author if post else topic.author  # COALESCE(p.user_id, t.user_id)
    row: dict[str, Any] = {
        "action_type": action,
        "created_at": at,
        "excerpt": "Как начать…",
        "avatar_template": "/a",
        "acting_avatar_template": "/a",
        "slug": "python-basics",
        "topic_id": topic.id,
        "target_user_id": USERS[owner],
        "target_name": owner.title(),
        "target_username": owner,
        "post_number": post.post_number if post else 1,
        "post_id": post.id if post else None,
        "username": author,
        "name": author.title(),
        "user_id": USERS[author],
        "acting_username": acting,
        "acting_name": acting.title(),
        "acting_user_id": USERS[acting],
        "title": topic.title,
        "deleted": False,
        "hidden": post.hidden if post else None,
        "post_type": post.post_type if post else None,
        "action_code": None,
        "category_id": topic.category_id,
        "closed": False,
        "archived": False,
    }
    if action == REPLY:
        row["reply_to_post_number"] = post.reply_to_post_number if post else None
    return row


def stream(owner: str, actions: set[int]) -> list[dict[str, Any]]:
    """A user's action stream, newest first, as an admin API key sees it."""
    rows: list[tuple[Post | None, dict[str, Any]]] = []
    for like in forum.likes:
        post = forum.posts[like.post_id]
        topic = forum.topics[post.topic_id]
        if topic.category_id is None:
            continue  # likes in PMs are not logged as LIKE/WAS_LIKED rows of a topic stream
        if like.liker == owner and LIKE in actions:
            rows.append(
                (
                    post,
                    _row(
                        owner, LIKE, topic=topic, post=post, acting=like.liker, at=like.created_at
                    ),
                )
            )
        if post.author == owner and WAS_LIKED in actions:
            rows.append(
                (
                    post,
                    _row(
                        owner,
                        WAS_LIKED,
                        topic=topic,
                        post=post,
                        acting=like.liker,
                        at=like.created_at,
                    ),
                )
            )
    for topic in forum.topics.values():
        if topic.author == owner and topic.category_id is not None and NEW_TOPIC in actions:
            rows.append(
                (
                    None,
                    _row(
                        owner, NEW_TOPIC, topic=topic, post=None, acting=owner, at=topic.created_at
                    ),
                )
            )
    for post in forum.posts.values():
        topic = forum.topics[post.topic_id]
        if post.post_number == 1:
            continue
        private = topic.category_id is None  # PMs log 12/13 instead of REPLY
        if post.author == owner and not private and REPLY in actions:
            rows.append(
                (post, _row(owner, REPLY, topic=topic, post=post, acting=owner, at=post.created_at))
            )
        replied = forum.replied_to(post)
        if replied == owner and post.author != owner and RESPONSE in actions:
            rows.append(
                (
                    post,
                    _row(
                        owner,
                        RESPONSE,
                        topic=topic,
                        post=post,
                        acting=post.author,
                        at=post.created_at,
                    ),
                )
            )
    visible = [row for post, row in rows if post is None or not post.hidden]
    return sorted(visible, key=lambda r: r["created_at"], reverse=True)


def post_json(post: Post) -> dict[str, Any]:
    """``PostSerializer`` fields the tests need (and the ones that may mislead)."""
    topic = forum.topics[post.topic_id]
    body: dict[str, Any] = {
        "id": post.id,
        "name": post.author.title(),
        "username": post.author,
        "avatar_template": "/a",
        "created_at": post.created_at,
        "cooked": "<p>…</p>",
        "post_number": post.post_number,
        "post_type": post.post_type,
        "updated_at": post.created_at,
        "reply_count": 0,
        "reply_to_post_number": post.reply_to_post_number if post.post_number > 1 else None,
        "quote_count": 0,
        "incoming_link_count": 0,
        "reads": 1,
        "score": 0,
        "topic_id": topic.id,
        "topic_slug": "python-basics",
        "display_username": post.author.title(),
        "version": 1,
        "user_id": USERS[post.author],
        "hidden": post.hidden,
        "trust_level": 1,
        "deleted_at": None,
        "user_deleted": False,
        "edit_reason": None,
        "wiki": False,
    }
    replied = forum.replied_to(post)
    if replied is not None:
        body["reply_to_user"] = {
            "username": replied,
            "name": replied.title(),
            "avatar_template": "/a",
        }
    return body


def webhook_post(post_id: int) -> dict[str, Any]:
    """The body of a ``post_created`` delivery (``WebHookPostSerializer``)."""
    post = forum.posts[post_id]
    topic = forum.topics[post.topic_id]
    in_topic = [p for p in forum.posts.values() if p.topic_id == topic.id]
    return {
        "post": post_json(post)
        | {
            "topic_title": topic.title,
            "category_id": topic.category_id,
            "raw": "…",
            "topic_posts_count": len(in_topic),
            "topic_filtered_posts_count": sum(p.post_type == 1 for p in in_topic),
            "topic_archetype": "private_message" if topic.category_id is None else "regular",
            "category_slug": "python" if topic.category_id is not None else "",
        }
    }


def topic_view(topic_id: int) -> dict[str, Any] | None:
    """``GET /t/{id}.json`` (``TopicViewSerializer``), the first chunk of posts."""
    topic = forum.topics.get(topic_id)
    if topic is None:
        return None
    posts = sorted(
        (p for p in forum.posts.values() if p.topic_id == topic_id), key=lambda p: p.post_number
    )
    return {
        "post_stream": {
            "posts": [post_json(p) for p in posts[:POSTS_PER_CHUNK]],
            "stream": [p.id for p in posts],
        },
        "timeline_lookup": [[1, 0]],
        "id": topic.id,
        "title": topic.title,
        "fancy_title": topic.title,
        "posts_count": len(posts),
        "created_at": topic.created_at,
        "views": 3,
        "reply_count": max(0, len(posts) - 1),
        "like_count": 0,
        "last_posted_at": posts[-1].created_at if posts else topic.created_at,
        "visible": True,
        "closed": False,
        "archived": False,
        "archetype": "private_message" if topic.category_id is None else "regular",
        "slug": "python-basics",
        "category_id": topic.category_id,
        "word_count": 42,
        "deleted_at": None,
        "user_id": USERS[topic.author],
        "highest_post_number": posts[-1].post_number if posts else 1,
        "chunk_size": POSTS_PER_CHUNK,
        "details": {
            "notification_level": 1,
            "created_by": _user(topic.author),
            "last_poster": _user(posts[-1].author if posts else topic.author),
            "can_edit": True,
        },
    }


def app() -> FastAPI:
    """The stand-in: ``/user_actions.json`` and ``/t/{id}.json`` with admin-key checks."""
    service = FastAPI()

    @service.get("/user_actions.json")
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
        username = request.query_params["username"].lower()
        if username not in USERS:
            return JSONResponse({"errors": ["not found"]}, 404)
        if username == forum.failing_user:
            return JSONResponse({"errors": ["oops"]}, 502)
        actions = {int(a) for a in request.query_params["filter"].split(",")}
        offset = int(request.query_params.get("offset", 0))
        limit = int(request.query_params.get("limit", 30))
        rows = stream(username, actions)[offset : offset + min(limit, PAGE_ROWS)]
        return JSONResponse({"user_actions": rows})

    @service.get("/t/{topic_id}.json")
    def topic(topic_id: int, request: Request) -> JSONResponse:
        assert request.headers["api-key"] == "secret-key"
        forum.topic_calls.append(topic_id)
        if forum.topic_down:
            return JSONResponse({"errors": ["maintenance"]}, 503)
        body = topic_view(topic_id)
        if body is None:
            return JSONResponse(
                {
                    "errors": ["The requested URL or resource could not be found."],
                    "error_type": "not_found",
                },
                404,
            )
        return JSONResponse(body)

    return service


PAGE_ROWS = 3  # the stand-in pages small, so every user takes several pages
