"""The 001 variant end to end: weeks under stk-2025-04 carry the rank from run to run."""

from __future__ import annotations

import json

from sqlalchemy import text

from systok.accrual.service import WeeklyRun
from systok.core.weeks import IsoWeek
from systok.db.engine import run_transaction
from systok.ingest import repository as ingest_repo
from systok.ingest.service import Ingestor
from systok.ledger.audit import audit_ledger
from systok.policy_files import load_policy, policy_for_week

POLICY = load_policy("stk-2025-04")
WEEKS = [IsoWeek(2025, 20), IsoWeek(2025, 21)]


def test_a_fully_active_week_raises_the_rank_for_the_next(engine, tmp_path, monkeypatch):
    monkeypatch.delenv("SYSTOK_POLICY", raising=False)
    assert policy_for_week(WEEKS[0]).version == POLICY.version  # 001 governs spring 2025

    def setup(session):
        ingest_repo.ensure_member(session, "m1", 0)
        ingest_repo.replace_member_history(session, "m1", [(19_000, 1)], [(19_000, None)])
        lines = [
            json.dumps(
                {
                    "source": "t",
                    "id": f"{week}-{day}",
                    "type": "SectionCompleted",
                    "member": "m1",
                    "occurred_at": f"{day.isoformat()}T10:00:00Z",
                }
            )
            for week in WEEKS
            for day in week.days()
        ]
        Ingestor(session, policy=POLICY).ingest(lines, source="t", live=False)

    run_transaction(engine, setup)
    for week in WEEKS:
        WeeklyRun(engine, POLICY, reports_dir=tmp_path).run(week)
    rows = run_transaction(
        engine,
        lambda s: [
            tuple(r)
            for r in s.execute(
                text(
                    "SELECT r.week, w.rank_step, w.units FROM accrual_rewards w "
                    "JOIN accrual_runs r ON r.id = w.run_id ORDER BY r.week"
                )
            ).all()
        ],
    )
    (week1, step1, units1), (week2, step2, units2) = rows
    assert (week1, week2) == ("2025-W20", "2025-W21")
    assert step2 == step1 + 1, "a week active every day raises the rank one step"
    assert units2 > units1 > 0, "the higher rank pays more for the same activity"
    assert run_transaction(engine, audit_ledger).ok
