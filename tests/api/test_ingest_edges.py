"""The ingest door's edges over real HTTP on both backends: text the database cannot
store, ids that look alike, and ids repeated with other content (conflicts).

Every case was a 500 on PostgreSQL (NUL: "PostgreSQL text fields cannot contain NUL";
lone surrogates: "surrogates not allowed") or two events for one id (NFC/NFD). Each
is now answered per event, naming the field and the reason, the same on SQLite and
PostgreSQL, and kept in the quarantine; the accounting holds.
"""

from __future__ import annotations

import json
import unicodedata

import pytest
from sqlalchemy import text

from systok.db.engine import run_transaction
from systok.errors import AliasInvalid
from systok.ingest.service import Ingestor
from systok.policy_files import default_policy
from tests.api.conftest import LiveServer, discourse_headers, exercise_event, iso_ago, table_counts
from tests.api.test_discourse_webhook import like, post

EVENTS_URL = "/api/v1/events"
WEBHOOK_URL = "/api/v1/webhooks/discourse"


def _send_raw(live: LiveServer, raw_json: str):
    """POST a body given as JSON text (``\\ud800`` escapes survive only this way)."""
    key = live.make_key()
    return live.client.post(
        EVENTS_URL,
        content=raw_json.encode("ascii"),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )


def _with_escape(event: dict, field: str, escape: str, nested: str | None = None) -> str:
    """The batch as JSON text with ``escape`` (e.g. ``\\u0000``) inside ``field``."""
    marker = "MARKER"
    if nested:
        event = event | {field: {nested: f"x{marker}y"}}
    else:
        event = event | {field: f"{event[field]}{marker}"}
    return json.dumps({"events": [event]}).replace(marker, escape)


def _accounting_holds(live: LiveServer) -> dict[str, int]:
    counts = table_counts(live.engine)
    assert counts["received"] == (
        counts["accepted"] + counts["duplicates"] + counts["conflicts"] + counts["quarantined"]
    )
    return counts


@pytest.mark.parametrize(
    ("field", "escape", "nested", "reason"),
    [
        ("id", "\\u0000", None, "NUL (U+0000)"),
        ("member", "\\u0000", None, "NUL (U+0000)"),
        ("source", "\\u0000", None, "NUL (U+0000)"),
        ("counterpart", "\\u0000", None, "NUL (U+0000)"),
        ("id", "\\ud800", None, "lone surrogate U+D800"),
        ("member", "\\udfff", None, "lone surrogate U+DFFF"),
        ("source", "\\ud800", None, "lone surrogate U+D800"),
        ("payload", "\\ud800", "note", "payload.note: contains a lone surrogate U+D800"),
        ("payload", "\\u0000", "note", "payload.note: contains NUL (U+0000)"),
        ("occurred_at", "\\u0000", None, "NUL (U+0000)"),
    ],
)
def test_unstorable_text_is_rejected_naming_the_field(
    live: LiveServer, field: str, escape: str, nested: str | None, reason: str
):
    event = (
        exercise_event("e-1", counterpart="posthog:giver")
        if field == "counterpart"
        else exercise_event("e-1")
    )
    response = _send_raw(live, _with_escape(event, field, escape, nested))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["received"], body["accepted"], body["rejected"]) == (1, 0, 1)
    [result] = body["results"]
    assert result["outcome"] == "rejected"
    assert result["field"] == field
    assert reason in result["reason"]
    counts = _accounting_holds(live)
    assert (counts["events"], counts["quarantine"]) == (0, 1)
    with live.engine.connect() as connection:
        raw = connection.execute(text("SELECT raw FROM quarantine")).scalar_one()
    assert escape in raw  # kept as the JSON escape it came as: visible, storable


@pytest.mark.parametrize(
    ("field", "char"),
    [
        ("id", "\u202e"),  # RIGHT-TO-LEFT OVERRIDE ("Trojan Source")
        ("id", "\u2066"),  # LEFT-TO-RIGHT ISOLATE
        ("member", "\u200f"),  # RIGHT-TO-LEFT MARK
        ("member", "\u061c"),  # ARABIC LETTER MARK
        ("source", "\u202a"),
        ("id", "\n"),  # a control character
    ],
)
def test_bidi_and_control_characters_are_refused_in_ids_and_aliases(
    live: LiveServer, field: str, char: str
):
    event = exercise_event("e-1")
    event[field] = event[field][:1] + char + event[field][1:]
    key = live.make_key()
    response = live.client.post(
        EVENTS_URL, json={"events": [event]}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert (result["outcome"], result["field"]) == ("rejected", field)
    assert f"U+{ord(char):04X}" in result["reason"]
    assert _accounting_holds(live)["events"] == 0


def test_nfc_and_nfd_spellings_of_an_id_are_one_event(live: LiveServer):
    nfc = unicodedata.normalize("NFC", "café-1")
    nfd = unicodedata.normalize("NFD", "café-1")
    assert nfc != nfd
    key = live.make_key()
    events = [
        exercise_event(nfc, member=unicodedata.normalize("NFD", "posthog:José")),
        exercise_event(nfd, member=unicodedata.normalize("NFC", "posthog:José")),
    ]
    response = live.client.post(
        EVENTS_URL, json={"events": events}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["outcome"] for r in body["results"]] == ["accepted", "duplicate"]
    assert body["results"][0]["event_id"] == body["results"][1]["event_id"]
    with live.engine.connect() as connection:
        row = connection.execute(text("SELECT source_event_id, actor_alias FROM events")).one()
    assert tuple(row) == (nfc, unicodedata.normalize("NFC", "José"))


def test_an_alias_linked_in_nfd_attributes_events_sent_in_nfc(live: LiveServer):
    key = live.make_key()
    name_nfc = unicodedata.normalize("NFC", "Zoë")
    live.client.post(
        EVENTS_URL,
        json={"events": [exercise_event("e-1", member=f"posthog:{name_nfc}")]},
        headers={"Authorization": f"Bearer {key}"},
    )
    attributed = run_transaction(
        live.engine,
        lambda s: Ingestor(s, policy=default_policy()).link_alias(
            "m001", "posthog", unicodedata.normalize("NFD", "Zoë")
        ),
    )
    assert attributed == 1
    with pytest.raises(AliasInvalid, match="U\\+202E"):
        run_transaction(
            live.engine,
            lambda s: Ingestor(s, policy=default_policy()).link_alias(
                "m001", "posthog", "ev\u202eil"
            ),
        )


def test_an_alias_source_longer_than_the_column_is_rejected_not_a_500(live: LiveServer):
    key = live.make_key()
    events = [
        exercise_event("e-1", member="s" * 40 + ":name"),
        exercise_event("e-2", member="posthog:" + "n" * 210),
    ]
    response = live.client.post(
        EVENTS_URL, json={"events": events}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    assert [(r["outcome"], r["field"]) for r in response.json()["results"]] == [
        ("rejected", "member"),
        ("rejected", "member"),
    ]


def _deliver_raw(live: LiveServer, event: str, raw: bytes):
    return live.client.post(WEBHOOK_URL, content=raw, headers=discourse_headers(raw, event, 1))


@pytest.mark.parametrize(
    ("escape", "reason"),
    [("\\u0000", "NUL (U+0000)"), ("\\ud800", "lone surrogate U+D800"), ("\\u202e", "U+202E")],
)
def test_signed_webhook_with_unstorable_username_is_quarantined(
    live: LiveServer, escape: str, reason: str
):
    raw = json.dumps({"post": post(username="annaMARKER", number=1)}).replace("MARKER", escape)
    response = _deliver_raw(live, "post_created", raw.encode("ascii"))
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert (result["outcome"], result["field"]) == ("rejected", "member")
    assert reason in result["reason"]
    counts = _accounting_holds(live)
    assert (counts["events"], counts["quarantine"]) == (0, 1)


def test_signed_webhook_with_a_5000_digit_integer_is_422(live: LiveServer):
    raw = json.dumps({"post": post(number=1)}).replace(
        '"topic_id": 812', '"topic_id": ' + "9" * 5000
    )
    response = _deliver_raw(live, "post_created", raw.encode("ascii"))
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "DiscoursePayloadInvalid"
    assert "digits" in response.json()["detail"]
    assert table_counts(live.engine)["received"] == 0


def test_signed_webhook_with_huge_ids_is_answered_per_event(live: LiveServer):
    """A post id of 300 digits makes an id longer than 200 characters; a topic id beyond
    64 bits is refused in the payload. Both were exceptions inside the mapping (500)."""
    big = 10**299
    response = _deliver_raw(
        live, "post_liked", json.dumps(like(post(post_id=big, topic_id=2**70))).encode()
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["outcome"], r["field"]) for r in results] == [("rejected", "id"), ("rejected", "id")]
    response = _deliver_raw(
        live, "post_liked", json.dumps(like(post(topic_id=2**70), liker_id=7)).encode()
    )
    results = response.json()["results"]
    assert [(r["outcome"], r["field"]) for r in results] == [
        ("rejected", "payload"),
        ("rejected", "payload"),
    ]
    assert "payload.topic_id: integer outside the 64-bit range" in results[0]["reason"]
    _accounting_holds(live)


def test_deeply_nested_payload_is_rejected(live: LiveServer):
    payload: dict = {}
    inner = payload
    for _ in range(40):
        inner["a"] = {}
        inner = inner["a"]
    key = live.make_key()
    response = live.client.post(
        EVENTS_URL,
        json={"events": [exercise_event("e-1", payload=payload)]},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert (result["outcome"], result["field"]) == ("rejected", "payload")
    assert "nested deeper than 32 levels" in result["reason"]


def test_a_repeated_id_with_other_content_is_a_conflict_naming_the_fields(live: LiveServer):
    key = live.make_key()
    headers = {"Authorization": f"Bearer {key}"}
    first = live.client.post(EVENTS_URL, json={"events": [exercise_event("e-1")]}, headers=headers)
    stored_id = first.json()["results"][0]["event_id"]
    events = [
        exercise_event("e-1"),  # duplicate: same content
        exercise_event("e-1", member="posthog:someone-else"),  # conflict: member
        exercise_event("e-1", type="SectionCompleted", payload={"exercise": "py-9"}),  # two fields
        exercise_event("e-2"),
        exercise_event("e-2", payload={"exercise": "py-1-3", "extra": 1}),  # more detail: duplicate
        exercise_event("e-2", occurred_at=iso_ago(3 * 86_400)),  # another day: conflict
    ]
    response = live.client.post(EVENTS_URL, json={"events": events}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("received", "accepted", "duplicate", "conflict", "rejected")} == {
        "received": 6,
        "accepted": 1,
        "duplicate": 2,
        "conflict": 3,
        "rejected": 0,
    }
    results = body["results"]
    assert [r["outcome"] for r in results] == [
        "duplicate",
        "conflict",
        "conflict",
        "accepted",
        "duplicate",
        "conflict",
    ]
    assert results[1]["fields"] == ["member"]
    assert results[2]["fields"] == ["type", "payload.exercise"]
    assert results[5]["fields"] == ["occurred_at"]
    assert results[1]["event_id"] == stored_id and results[5]["event_id"] == results[3]["event_id"]
    assert "differs in member" in results[1]["reason"]
    counts = _accounting_holds(live)
    assert (counts["events"], counts["conflicts"], counts["quarantine"]) == (2, 3, 3)
    with live.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT status, field, event_id FROM quarantine ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("conflict", "member", stored_id),
        ("conflict", "type, payload.exercise", stored_id),
        ("conflict", "occurred_at", results[3]["event_id"]),
    ]
    retried = run_transaction(
        live.engine, lambda s: Ingestor(s, policy=default_policy()).retry_quarantine()
    )
    assert retried == {"accepted": 0, "duplicate": 0, "conflict": 0, "still_quarantined": 0}
