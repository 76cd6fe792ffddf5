"""Discourse webhooks over real HTTP: signatures, the mapping, retries stored once.

Payloads follow INTEGRATIONS.md §2.2 (``WebHookPostSerializer`` and
``WebHookLikeSerializer`` fields as Discourse sends them).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from systok.errors import DiscoursePayloadInvalid
from systok.ingest.sources.discourse_webhook import discourse_event_ids, map_webhook
from tests.api.conftest import LiveServer, discourse_headers, dumps, iso_ago, table_counts

# Events and tokens are made relative to the clock: CI reruns these at frozen dates.
pytestmark = pytest.mark.clock

URL = "/api/v1/webhooks/discourse"


def post(post_id=4711, *, number=3, user_id=57, username="anna", **changes):
    body = {
        "id": post_id,
        "user_id": user_id,
        "username": username,
        "name": "Анна",
        "created_at": iso_ago(600),
        "topic_id": 812,
        "topic_slug": "kak-nachat",
        "topic_title": "Как начать",
        "post_number": number,
        "reply_to_post_number": 2 if number > 1 else None,
        "post_type": 1,
        "raw": "Спасибо!",
        "cooked": "<p>Спасибо!</p>",
        "category_id": 5,
        "category_slug": "python",
        "topic_archetype": "regular",
        "topic_posts_count": number,
        "topic_filtered_posts_count": number,
        "hidden": False,
        "deleted_at": None,
        "user_deleted": False,
        "wiki": False,
        "trust_level": 1,
    }
    return body | changes


def like(post_body, liker_id=99, liker="boris"):
    return {
        "like": {
            "post": post_body,
            "user": {"id": liker_id, "username": liker, "name": "Борис", "avatar_template": "/x"},
        }
    }


def deliver(live: LiveServer, event, payload, delivery_id=1, signature=""):
    raw = dumps(payload)
    return live.client.post(
        URL, content=raw, headers=discourse_headers(raw, event, delivery_id, signature)
    )


def stored(live: LiveServer):
    with live.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT source_event_id, event_type, actor_alias, counterpart_alias "
                "FROM events ORDER BY id"
            )
        )
        return [tuple(r) for r in rows]


def test_ping_is_ok(live: LiveServer):
    response = deliver(live, None, {"ping": "OK"})
    assert response.status_code == 200
    assert response.json()["ignored"] == "ping"


def test_new_topic_is_a_post_created(live: LiveServer):
    response = deliver(live, "post_created", {"post": post(900, number=1)})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    assert stored(live) == [("post:900:created", "ClubPostCreated", "anna", None)]


def test_reply_earns_the_replier_and_the_replied_to(live: LiveServer):
    reply = post(4711, reply_to_user={"id": 12, "username": "Ivan", "avatar_template": "/y"})
    response = deliver(live, "post_created", {"post": reply})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    assert stored(live) == [
        ("post:4711:created", "ClubCommentCreated", "anna", None),
        ("post:4711:comment-received", "ClubCommentReceived", "ivan", "anna"),
    ]


def test_reply_without_reply_to_user_stores_only_the_comment(live: LiveServer):
    response = deliver(live, "post_created", {"post": post(4712)})
    assert response.status_code == 200
    assert "ClubCommentReceived not stored" in response.json()["ignored"]
    assert stored(live) == [("post:4712:created", "ClubCommentCreated", "anna", None)]


def test_like_earns_giver_and_receiver(live: LiveServer):
    response = deliver(live, "post_liked", like(post(4711)))
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    assert stored(live) == [
        ("like:4711:99:given", "ClubLikeGiven", "boris", None),
        ("like:4711:99:received", "ClubLikeReceived", "anna", "boris"),
    ]


NOTHING_EARNED = [
    ("post_created", {"post": post(5, topic_archetype="private_message")}, "private message"),
    ("post_created", {"post": post(6, post_type=4)}, "post_type 4"),
    ("post_created", {"post": post(7, hidden=True)}, "hidden"),
    ("post_created", {"post": post(8, deleted_at=iso_ago(60))}, "deleted"),
    ("post_created", {"post": post(9, reply_to_user={"id": 57, "username": "anna"})}, "own post"),
    ("post_created", {"post": post(9, reply_to_user={"username": "ANNA"})}, "own post"),
    ("post_liked", like(post(10), liker_id=57, liker="anna"), "own post"),
    ("post_liked", like(post(11, post_type=4)), "post_type 4"),
    ("post_liked", like(post(12, topic_archetype="private_message")), "private message"),
    ("topic_created", {"topic": {"id": 812}}, "earns nothing"),
]


def test_what_earns_nothing_is_answered_200_and_not_stored(live: LiveServer):
    """PMs, whispers, hidden/deleted posts, self-replies, self-likes, other events."""
    for delivery_id, (event, payload, why) in enumerate(NOTHING_EARNED):
        response = deliver(live, event, payload, delivery_id=delivery_id)
        assert response.status_code == 200, response.text
        body = response.json()
        assert why in body["ignored"], (event, payload)
        assert body["received"] == 0
    counts = table_counts(live.engine)
    assert (counts["events"], counts["quarantine"], counts["ingest_batches"]) == (0, 0, 0)


def test_retry_with_a_new_delivery_id_is_stored_once(live: LiveServer):
    payload = like(post(4711))
    first = deliver(live, "post_liked", payload, delivery_id=101)
    second = deliver(live, "post_liked", payload, delivery_id=102)
    assert first.json()["accepted"] == 2
    assert second.status_code == 200
    assert (second.json()["accepted"], second.json()["duplicate"]) == (0, 2)
    assert len(stored(live)) == 2
    counts = table_counts(live.engine)
    assert (counts["received"], counts["accepted"], counts["duplicates"]) == (4, 2, 2)
    assert counts["received"] == counts["accepted"] + counts["duplicates"] + counts["quarantined"]


def test_tampered_or_unsigned_deliveries_are_401_and_store_nothing(live: LiveServer):
    before = table_counts(live.engine)
    raw = dumps({"post": post(4711, number=1)})
    headers = discourse_headers(raw, "post_created", 7)
    tampered = raw.replace(b'"anna"', b'"mallory"')
    cases = [
        (tampered, headers),
        (raw, discourse_headers(raw, "post_created", 7, signature=None)),
        (raw, discourse_headers(raw, "post_created", 7, signature="sha256=" + "0" * 64)),
        (raw, discourse_headers(raw, "post_created", 7, signature="md5=abc")),
    ]
    for body, case_headers in cases:
        response = live.client.post(URL, content=body, headers=case_headers)
        assert response.status_code == 401
        assert response.json()["error"] == "WebhookSignatureInvalid"
    assert table_counts(live.engine) == before
    assert live.client.post(URL, content=raw, headers=headers).status_code == 200


@pytest.mark.parametrize("webhook_secret", [None])
def test_no_secret_configured_refuses_everything(live: LiveServer):
    raw = dumps({"post": post(4711, number=1)})
    response = live.client.post(URL, content=raw, headers=discourse_headers(raw, "post_created", 1))
    assert response.status_code == 401
    assert "no Discourse webhook secret" in response.json()["detail"]
    assert table_counts(live.engine)["events"] == 0


def test_signed_but_malformed_payload_is_422_naming_the_field(live: LiveServer):
    broken = post(4711)
    del broken["username"]
    response = deliver(live, "post_created", {"post": broken})
    assert response.status_code == 422
    assert response.json() == {
        "error": "DiscoursePayloadInvalid",
        "detail": "post.username: missing or not a string",
    }


def test_old_delivery_is_quarantined_not_lost(live: LiveServer):
    response = deliver(
        live, "post_created", {"post": post(77, number=1, created_at="2020-01-01T00:00:00Z")}
    )
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["outcome"] == "rejected" and result["field"] == "occurred_at"
    assert table_counts(live.engine)["quarantine"] == 1


def test_id_scheme_is_shared():
    assert discourse_event_ids("ClubPostCreated", 1) == "post:1:created"
    assert discourse_event_ids("ClubCommentReceived", 1) == "post:1:comment-received"
    assert discourse_event_ids("ClubLikeReceived", 1, 2) == "like:1:2:received"
    with pytest.raises(ValueError, match="liker"):
        discourse_event_ids("ClubLikeGiven", 1)
    with pytest.raises(ValueError, match="not a Discourse event type"):
        discourse_event_ids("ExerciseSave", 1)
    with pytest.raises(DiscoursePayloadInvalid):
        map_webhook("post_liked", {"like": {"post": post(1)}}, delivered_at=iso_ago())
