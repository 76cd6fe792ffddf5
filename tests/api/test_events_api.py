"""``POST /api/v1/events`` over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from systok.api.routes import events as events_api
from systok.db.engine import run_transaction
from systok.ingest.service import Ingestor
from systok.policy_files import default_policy
from tests.api.conftest import LiveServer, exercise_event, table_counts

# Events and tokens are made relative to the clock: CI reruns these at frozen dates.
pytestmark = pytest.mark.clock


def test_health_reports_the_database(live: LiveServer):
    response = live.client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_mixed_batch_answers_each_event_in_order(live: LiveServer):
    run_transaction(
        live.engine,
        lambda s: Ingestor(s, policy=default_policy()).link_alias("m001", "posthog", "known"),
    )
    key = live.make_key()
    headers = {"Authorization": f"Bearer {key}"}
    first = live.client.post(
        "/api/v1/events", json={"events": [exercise_event("e-0")]}, headers=headers
    )
    assert first.status_code == 200
    assert first.json()["accepted"] == 1

    events = [
        exercise_event("e-1", member="posthog:known"),  # accepted, attributed to m001
        exercise_event("e-0"),  # duplicate of the earlier request
        exercise_event("e-2", type="NoSuchType"),  # rejected: type
        exercise_event("e-1", member="posthog:known"),  # duplicate within the batch
        {"source": "posthog", "type": "ExerciseSave"},  # rejected: missing id
        exercise_event("e-3", occurred_at="2025-05-14T10:00:00"),  # rejected: no time zone
        "not an object",  # rejected
        exercise_event("e-4", member="m404"),  # rejected: unknown member
        exercise_event("e-5", source="platform", type="CourseCompleted", member="m001"),  # accepted
    ]
    response = live.client.post("/api/v1/events", json={"events": events}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    outcomes = [(r["index"], r["outcome"], r["id"]) for r in body["results"]]
    assert outcomes == [
        (0, "accepted", "e-1"),
        (1, "duplicate", "e-0"),
        (2, "rejected", "e-2"),
        (3, "duplicate", "e-1"),
        (4, "rejected", None),
        (5, "rejected", "e-3"),
        (6, "rejected", None),
        (7, "rejected", "e-4"),
        (8, "accepted", "e-5"),
    ]
    assert (body["received"], body["accepted"], body["duplicate"], body["rejected"]) == (
        9,
        2,
        2,
        5,
    )
    results = body["results"]
    assert results[1]["event_id"] == first.json()["results"][0]["event_id"]
    assert results[3]["event_id"] == results[0]["event_id"]
    assert results[2]["field"] == "type" and "NoSuchType" in results[2]["reason"]
    assert results[4]["field"] == "id"
    assert results[5]["field"] == "occurred_at" and "time zone" in results[5]["reason"]
    assert results[6]["field"] is None and "JSON object" in results[6]["reason"]
    assert results[7]["field"] == "member" and "m404" in results[7]["reason"]
    assert all(isinstance(r["quarantine_id"], int) for r in results if r["outcome"] == "rejected")

    counts = table_counts(live.engine)
    assert counts["events"] == 3
    assert counts["quarantine"] == 5
    assert counts["ingest_batches"] == 2
    assert counts["received"] == counts["accepted"] + counts["duplicates"] + counts["quarantined"]
    assert (counts["received"], counts["accepted"], counts["duplicates"]) == (10, 3, 2)
    with live.engine.connect() as connection:
        member = connection.execute(
            text("SELECT member_id FROM events WHERE source_event_id = 'e-1'")
        ).scalar_one()
    assert member == "m001"


def test_more_than_ten_thousand_events_is_413_and_stores_nothing(live: LiveServer):
    key = live.make_key()
    before = table_counts(live.engine)
    events = [exercise_event(f"big-{i}") for i in range(10_001)]
    response = live.client.post(
        "/api/v1/events", json={"events": events}, headers={"X-API-Key": key}
    )
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "PayloadTooLarge"
    assert "10001 events" in body["detail"] and "10000" in body["detail"]
    assert table_counts(live.engine) == before


def test_the_limit_itself_is_allowed(live: LiveServer, monkeypatch):
    """The boundary, with the limit lowered so the test stays fast (same code path)."""
    monkeypatch.setattr(events_api, "BATCH_EVENTS_MAX", 5)
    key = live.make_key()
    at_limit = [exercise_event(f"full-{i}") for i in range(5)]
    response = live.client.post(
        "/api/v1/events", json={"events": at_limit}, headers={"X-API-Key": key}
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 5
    over = live.client.post(
        "/api/v1/events",
        json={"events": [*at_limit, exercise_event("one-more")]},
        headers={"X-API-Key": key},
    )
    assert over.status_code == 413
    assert table_counts(live.engine)["events"] == 5


def test_a_body_without_events_is_422_naming_the_field(live: LiveServer):
    key = live.make_key()
    headers = {"Authorization": f"Bearer {key}"}
    response = live.client.post("/api/v1/events", json={"event": []}, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "RequestInvalid"
    assert "body.events" in body["detail"]
    assert body["fields"][0]["field"] == "body.events"
    broken = live.client.post(
        "/api/v1/events",
        content=b'{"events": [',
        headers=headers | {"Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    assert broken.json()["error"] == "RequestInvalid"
    assert table_counts(live.engine)["ingest_batches"] == 0


def test_unknown_route_renders_the_same_error_shape(live: LiveServer):
    response = live.client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "NotFound", "detail": "Not Found"}
