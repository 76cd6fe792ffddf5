"""A late event is paid exactly once, in the next run, as an adjustment."""

from __future__ import annotations

import json

from sqlalchemy import text

from systok.accrual.service import WeeklyRun
from systok.accrual.verify import verify_week
from systok.core.ledger import member_account
from systok.core.weeks import IsoWeek
from systok.db.engine import run_transaction
from systok.ingest.service import Ingestor
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from tests.accrual.test_weekly_run import POLICY, WEEKS, run_all, setup_community
from tests.ledger.conftest import snapshot

NEXT, AFTER = IsoWeek(2026, 6), IsoWeek(2026, 7)


def balance(engine) -> int:
    return run_transaction(engine, lambda s: Ledger(s).balance(member_account("m1")).posted_units)


def adjustments(engine):
    return run_transaction(
        engine,
        lambda s: [
            tuple(r)
            for r in s.execute(
                text(
                    "SELECT r.week, a.week, a.member_id, a.delta_units FROM accrual_adjustments a "
                    "JOIN accrual_runs r ON r.id = a.paying_run_id ORDER BY 1, 2"
                )
            )
        ],
    )


def test_a_late_event_is_paid_once_in_the_next_run(engine, tmp_path):
    setup_community(engine)
    run_all(engine, tmp_path)
    before = balance(engine)
    late = json.dumps(
        {
            "source": "t",
            "id": "late-exercise",
            "type": "ExerciseSave",
            "member": "m1",
            "occurred_at": "2026-01-21T10:00:00Z",
        }
    )  # 2026-W04
    run_transaction(
        engine, lambda s: Ingestor(s, policy=POLICY).ingest([late], source="t", live=False)
    )

    WeeklyRun(engine, POLICY, reports_dir=tmp_path).run(NEXT)
    # W04 was 50 points × 1.5 × 1.05 (3rd week); the exercise adds 100 × 1.5 × 1.05 = 157.5.
    assert adjustments(engine) == [("2026-W06", "2026-W04", "m1", 157_500_000)]
    assert balance(engine) == before + 157_500_000

    settled = snapshot(engine)
    WeeklyRun(engine, POLICY, reports_dir=tmp_path).run(NEXT)
    assert snapshot(engine) == settled, "running the paying week again changes nothing"
    WeeklyRun(engine, POLICY, reports_dir=tmp_path).run(AFTER)
    assert adjustments(engine) == [("2026-W06", "2026-W04", "m1", 157_500_000)], "paid once"
    assert balance(engine) == before + 157_500_000
    assert run_transaction(engine, audit_ledger).ok
    assert verify_week(engine, POLICY, WEEKS[2]) == [], "the old week replays what it collected"


def test_a_retracted_event_already_paid_becomes_a_negative_adjustment(engine, tmp_path):
    setup_community(engine)
    run_all(engine, tmp_path)
    before = balance(engine)
    event_id = run_transaction(
        engine,
        lambda s: s.execute(
            text("SELECT id FROM events WHERE source_event_id = '2026-W05-ClubPostCreated-0'")
        ).scalar_one(),
    )
    from systok.ingest.repository import retract_events

    run_transaction(engine, lambda s: retract_events(s, [event_id], 2**62))  # retracted "now"
    # The run's collect must come after the retraction for it to count as known.
    WeeklyRun(engine, POLICY, reports_dir=tmp_path, clock=lambda: 2**62 + 1).run(NEXT)
    # W05 lost its post: 200 points × 1.5 × 1.10 = 330 STK taken back.
    assert adjustments(engine) == [("2026-W06", "2026-W05", "m1", -330_000_000)]
    assert balance(engine) == before - 330_000_000
    assert run_transaction(engine, audit_ledger).ok
