"""The daily counters always equal a recount from the raw events, whatever happens."""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from systok.db import migrate
from systok.db.engine import make_engine, run_transaction
from systok.db.tables import Event
from systok.ingest import repository as repo
from systok.ingest.service import Ingestor
from tests.conftest import reset_ledger
from tests.ingest.counters import day_count_mismatches
from tests.ingest.test_ingest_service import NOW_US, POLICY

PEOPLE = ["m1", "m2", "discourse:ivan", "discourse:olga"]
TYPES = ["SectionCompleted", "ClubLikeReceived", "ClubCommentReceived", "ExerciseSave"]


def record(i: int, kind: str, member: str, counterpart: str, day: int) -> str:
    body = {
        "source": "t",
        "id": f"e{i}",
        "type": kind,
        "member": member,
        "occurred_at": f"2026-01-{10 + day:02d}T08:00:00Z",
    }
    if kind.endswith("Received"):
        body["counterpart"] = counterpart  # may equal member: a self-interaction
    return json.dumps(body)


operation = st.one_of(
    st.tuples(
        st.just("ingest"),
        st.lists(
            st.tuples(
                st.integers(0, 30),
                st.sampled_from(TYPES),
                st.sampled_from(PEOPLE),
                st.sampled_from(PEOPLE),
                st.integers(0, 3),
            ),
            max_size=12,
        ),
    ),
    st.tuples(st.just("link"), st.sampled_from(["ivan", "olga"]), st.sampled_from(["m1", "m2"])),
    st.tuples(st.just("retract"), st.lists(st.integers(1, 40), max_size=5)),
)


def mismatches(engine) -> list[str]:
    return run_transaction(engine, day_count_mismatches)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=8))
def test_counters_equal_a_recount(engine, operations):
    reset_ledger(engine)
    run_transaction(engine, lambda s: [repo.ensure_member(s, m, 0) for m in ("m1", "m2")])
    for op in operations:
        if op[0] == "ingest":
            lines = [record(*args) for args in op[1]]
            run_transaction(
                engine,
                lambda s, lines=lines: Ingestor(s, policy=POLICY, clock=lambda: NOW_US).ingest(
                    lines, source="t", live=True
                ),
            )
        elif op[0] == "link":
            _, alias, member = op
            owner = run_transaction(
                engine, lambda s, alias=alias: repo.alias_owner(s, "discourse", alias)
            )
            if owner in (None, member):
                run_transaction(
                    engine,
                    lambda s, alias=alias, member=member: Ingestor(
                        s, policy=POLICY, clock=lambda: NOW_US
                    ).link_alias(member, "discourse", alias),
                )
        else:
            ids = op[1]
            run_transaction(engine, lambda s, ids=ids: repo.retract_events(s, ids, NOW_US))
        assert mismatches(engine) == [], op


@pytest.mark.postgres
def test_concurrent_ingests_of_the_same_counters_add_up(pg_engine):
    run_transaction(pg_engine, lambda s: [repo.ensure_member(s, m, 0) for m in ("m1", "m2")])
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for batch in range(10):
                lines = [
                    record(
                        n * 10_000 + batch * 100 + i,
                        "SectionCompleted",
                        "m1" if i % 2 else "m2",
                        "m1",
                        i % 4,
                    )
                    for i in range(50)
                ]
                run_transaction(
                    pg_engine,
                    lambda s, lines=lines: Ingestor(s, policy=POLICY, clock=lambda: NOW_US).ingest(
                        lines, source="t", live=True
                    ),
                )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:2]
    assert mismatches(pg_engine) == []
    total = run_transaction(
        pg_engine, lambda s: s.execute(text("SELECT sum(count) FROM event_day_counts")).scalar_one()
    )
    assert total == 4 * 10 * 50


def test_the_migration_counts_events_stored_before_it(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    migrate.upgrade(engine, "0003")
    events = Event.__table__
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO members (id, created_at_us) VALUES ('m1', 0), ('m2', 0)")
        )
        rows = [
            dict(
                source="t",
                source_event_id=f"e{i}",
                event_type="SectionCompleted",
                member_id=member,
                counterpart_member_id=counterpart,
                occurred_at_us=0,
                occurred_day=day,
                received_at_us=0,
                retracted_at_us=retracted,
                payload="{}",
            )
            for i, (member, counterpart, day, retracted) in enumerate(
                [
                    ("m1", None, 1, None),
                    ("m1", None, 1, None),
                    ("m1", "m1", 1, None),
                    ("m2", None, 2, 5),
                    ("m2", None, 2, None),
                    (None, None, 3, None),
                ]
            )
        ]
        connection.execute(events.insert(), rows)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        counts = sorted(
            tuple(r)
            for r in connection.execute(
                text("SELECT member_id, day, event_type, count FROM event_day_counts")
            )
        )
    assert counts == [("m1", 1, "SectionCompleted", 2), ("m2", 2, "SectionCompleted", 1)]
    assert run_transaction(engine, day_count_mismatches) == []
