"""Property: whatever arrives, received = stored + duplicates + conflicts + quarantined.

On both backends. Records repeat ids with the same or other content (type, member,
payload), within a batch and across batches: a repeat with the same content is a
duplicate, one that contradicts the stored event is a conflict naming the fields.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from systok.db.engine import run_transaction
from systok.db.tables import Event, QuarantinedEvent
from systok.ingest import repository as repo
from systok.ingest.service import Ingestor, Outcome
from tests.conftest import reset_ledger
from tests.ingest.counters import batch_totals
from tests.ingest.test_ingest_service import NOW_US, POLICY

GOOD = st.builds(
    lambda i, t, m, p: {
        "source": "p",
        "id": f"e{i}",
        "type": t,
        "member": m,
        "occurred_at": "2026-01-14T08:00:00Z",
        "payload": p,
    },
    st.integers(0, 15),
    st.sampled_from(["SectionCompleted", "ExerciseSave", "ClubPostCreated"]),
    st.sampled_from(["m1", "m2", "discourse:ivan"]),
    st.one_of(st.just({}), st.fixed_dictionaries({"n": st.integers(0, 2)})),
)
BAD = st.one_of(
    st.just("{broken"),
    st.just("[]"),
    st.builds(
        lambda i: {
            "source": "p",
            "id": f"b{i}",
            "type": "Nope",
            "member": "m1",
            "occurred_at": "2026-01-14T08:00:00Z",
        },
        st.integers(0, 5),
    ),
    st.builds(
        lambda i: {
            "source": "p",
            "id": f"c{i}",
            "type": "ExerciseSave",
            "member": "ghost",
            "occurred_at": "2026-01-14T08:00:00Z",
        },
        st.integers(0, 5),
    ),
    st.builds(
        lambda i: {
            "source": "p",
            "id": f"d{i}",
            "type": "ExerciseSave",
            "member": "m1",
            "occurred_at": "yesterday",
        },
        st.integers(0, 5),
    ),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=st.lists(st.lists(st.one_of(GOOD, BAD), max_size=25), min_size=1, max_size=4))
def test_received_equals_stored_plus_duplicates_plus_conflicts_plus_quarantined(engine, batches):
    reset_ledger(engine)
    run_transaction(engine, lambda s: [repo.ensure_member(s, m, 0) for m in ("m1", "m2")])
    seen: dict[str, dict[str, object]] = {}
    for records in batches:
        raw = [r if isinstance(r, str) else json.dumps(r) for r in records]
        batch = run_transaction(
            engine,
            lambda s, raw=raw: Ingestor(s, policy=POLICY, clock=lambda: NOW_US).ingest(
                raw, source="p", live=True
            ),
        )
        for record, result in zip(records, batch.results, strict=True):
            good = isinstance(record, dict) and record["id"].startswith("e")
            if not good:
                assert result.outcome is Outcome.QUARANTINED, (record, result)
            elif record["id"] in seen:
                first = seen[record["id"]]
                expected = tuple(
                    [k for k in ("type", "member") if first[k] != record[k]]
                    + [
                        f"payload.{k}"
                        for k in sorted(first["payload"].keys() & record["payload"].keys())
                        if first["payload"][k] != record["payload"][k]
                    ]
                )
                if expected:
                    assert result.outcome is Outcome.CONFLICT, (record, result)
                    assert result.differing == expected, (first, record, result)
                    assert result.quarantine_id is not None
                else:
                    assert result.outcome is Outcome.DUPLICATE, (record, result)
            else:
                assert result.outcome is Outcome.ACCEPTED, (record, result)
                seen[record["id"]] = record
    totals = run_transaction(engine, batch_totals)
    stored, quarantined, conflicts = run_transaction(
        engine,
        lambda s: (
            s.execute(select(func.count()).select_from(Event)).scalar_one(),
            s.execute(select(func.count()).where(QuarantinedEvent.status == "open")).scalar_one(),
            s.execute(
                select(func.count()).where(QuarantinedEvent.status == "conflict")
            ).scalar_one(),
        ),
    )
    assert totals["received"] == sum(len(b) for b in batches)
    assert totals["received"] == (
        totals["accepted"] + totals["duplicates"] + totals["conflicts"] + totals["quarantined"]
    )
    assert stored == totals["accepted"] == len(seen)
    assert quarantined == totals["quarantined"]
    assert conflicts == totals["conflicts"]
