"""The ingest service: one door for every source, nothing lost, everything explained."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from systok.core.times import parse_utc_us
from systok.db.engine import run_transaction
from systok.db.tables import Event, IngestBatch, QuarantinedEvent
from systok.ingest import repository as repo
from systok.ingest.service import Ingestor, Outcome
from systok.policy_files import load_policy
from tests.ingest.counters import batch_totals

POLICY = load_policy("stk-2025-12")
NOW_US = parse_utc_us("2026-01-14T12:00:00Z")


def event(id_, type_="SectionCompleted", member="m1", at="2026-01-14T09:00:00Z", **extra):
    return json.dumps(
        {"source": "test", "id": id_, "type": type_, "member": member, "occurred_at": at, **extra}
    )


def ingest(engine, records, live=True):
    return run_transaction(
        engine,
        lambda s: Ingestor(s, policy=POLICY, clock=lambda: NOW_US).ingest(
            records, source="test", live=live
        ),
    )


def count(engine, model):
    return run_transaction(
        engine, lambda s: s.execute(select(func.count()).select_from(model)).scalar_one()
    )


@pytest.fixture
def members(engine):
    run_transaction(engine, lambda s: [repo.ensure_member(s, m, 0) for m in ("m1", "m2")])
    return engine


def test_every_record_gets_an_answer_in_order(members):
    engine = members
    batch = ingest(
        engine,
        [
            event("a"),
            event("a"),  # duplicate within the batch
            "{not json",
            event("b", type_="SectionRead"),
            json.dumps({"source": "test", "id": "c", "type": "ExerciseSave"}),
            event("d", at="2026-01-14 09:00:00"),
            event("e", at="2026-01-15T09:00:00Z"),  # a day in the future
            event("f", at="2025-10-01T09:00:00Z"),  # too old for a live source
            event("g", member="m999"),
            event("h", type_="ClubLikeReceived"),  # who gave it?
            event("i", type_="ClubLikeReceived", counterpart="m2"),
            event("j", member="discourse:ivan"),  # alias not linked yet: kept
        ],
    )
    outcomes = [(r.outcome.value, r.field) for r in batch.results]
    assert outcomes == [
        ("accepted", None),
        ("duplicate", None),
        ("quarantined", None),
        ("quarantined", "type"),
        ("quarantined", "member"),
        ("quarantined", "occurred_at"),
        ("quarantined", "occurred_at"),
        ("quarantined", "occurred_at"),
        ("quarantined", "member"),
        ("quarantined", "counterpart"),
        ("accepted", None),
        ("accepted", None),
    ]
    reasons = [r.reason for r in batch.results]
    assert "malformed JSON" in reasons[2]
    assert "unknown event type 'SectionRead'" in reasons[3]
    assert "member: Field required" in reasons[4] and "occurred_at: Field required" in reasons[4]
    assert "has no time zone" in reasons[5]
    assert "in the future" in reasons[6]
    assert "older than 30 days" in reasons[7]
    assert "unknown member 'm999'" in reasons[8]
    assert "must name who gave it" in reasons[9]
    assert batch.results[1].event_id == batch.results[0].event_id

    # Nothing lost: received = stored + duplicates + quarantined, in the database too.
    assert count(engine, Event) == 3 and count(engine, QuarantinedEvent) == 8
    totals = run_transaction(engine, batch_totals)
    assert totals == {
        "received": 12,
        "accepted": 3,
        "duplicates": 1,
        "conflicts": 0,
        "quarantined": 8,
    }

    again = ingest(engine, [event("a"), event("i", type_="ClubLikeReceived", counterpart="m2")])
    assert [r.outcome for r in again.results] == [Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert count(engine, Event) == 3


def test_history_is_accepted_from_backfills_not_from_live_sources(members):
    old = event("old", at="2025-05-14T09:03:11Z")
    assert ingest(members, [old], live=True).results[0].outcome is Outcome.QUARANTINED
    assert ingest(members, [old], live=False).results[0].outcome is Outcome.ACCEPTED


def test_days_are_utc_whatever_the_offset(members):
    ingest(members, [event("late", at="2026-01-14T01:30:00+03:00")])  # 2026-01-13 22:30 UTC
    day = run_transaction(
        members, lambda s: s.execute(text("SELECT occurred_day FROM events")).scalar_one()
    )
    assert day == parse_utc_us("2026-01-13T00:00:00Z") // 86_400_000_000


def test_linking_an_alias_attributes_waiting_events(members):
    engine = members
    ingest(
        engine,
        [
            event("x1", member="discourse:ivan"),
            event("x2", type_="ClubLikeReceived", member="m1", counterpart="discourse:ivan"),
        ],
    )
    attributed = run_transaction(
        engine,
        lambda s: Ingestor(s, policy=POLICY, clock=lambda: NOW_US).link_alias(
            "m2", "discourse", "ivan"
        ),
    )
    assert attributed == 2
    rows = run_transaction(
        engine,
        lambda s: s.execute(
            text("SELECT source_event_id, member_id, counterpart_member_id FROM events ORDER BY 1")
        ).all(),
    )
    assert [tuple(r) for r in rows] == [("x1", "m2", None), ("x2", "m1", "m2")]


def test_quarantine_retry_after_the_cause_is_fixed(members):
    engine = members
    ingest(engine, [event("q1", member="m3"), event("q2", member="m3"), event("q3", member="m4")])
    run_transaction(engine, lambda s: repo.ensure_member(s, "m3", 0))
    counts = run_transaction(
        engine, lambda s: Ingestor(s, policy=POLICY, clock=lambda: NOW_US).retry_quarantine()
    )
    assert counts == {"accepted": 2, "duplicate": 0, "conflict": 0, "still_quarantined": 1}
    statuses = run_transaction(
        engine,
        lambda s: sorted(
            (r.source_event_id, r.status, r.attempts)
            for r in s.execute(select(QuarantinedEvent.__table__))
        ),
    )
    assert statuses == [("q1", "accepted", 2), ("q2", "accepted", 2), ("q3", "open", 2)]


def test_ten_thousand_events_in_one_batch(members):
    records = [event(f"bulk-{i}", member="m1" if i % 2 else "m2") for i in range(10_000)]
    batch = ingest(members, records)
    assert batch.count(Outcome.ACCEPTED) == 10_000
    assert count(members, IngestBatch) == 1


def test_a_retried_record_that_contradicts_a_stored_event_becomes_a_conflict(engine):
    """Retrying used to mark it ``duplicate`` although its member differed."""
    run_transaction(engine, lambda s: repo.ensure_member(s, "m1", 0))
    ingest(engine, [event("q1", member="m3")])  # unknown member: quarantined
    ingest(engine, [event("q1", member="m1")])  # the same id, stored for m1
    run_transaction(engine, lambda s: repo.ensure_member(s, "m3", 0))
    counts = run_transaction(
        engine, lambda s: Ingestor(s, policy=POLICY, clock=lambda: NOW_US).retry_quarantine()
    )
    assert counts == {"accepted": 0, "duplicate": 0, "conflict": 1, "still_quarantined": 0}
    row = run_transaction(engine, lambda s: s.execute(select(QuarantinedEvent.__table__)).one())
    assert (row.status, row.field) == ("conflict", "member")
    assert "differs in member" in row.reason
