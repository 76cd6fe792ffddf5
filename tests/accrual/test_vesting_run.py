"""Vested rewards: held from the run, released when due, cancelled when flagged."""

from __future__ import annotations

import json

from systok.accrual.repository import run_grants
from systok.accrual.service import WeeklyRun
from systok.accrual.verify import verify_week
from systok.accrual.vesting import flag_grant, release_due
from systok.core.ledger import AccountType, member_account, system_account
from systok.core.vesting import CancelReason
from systok.core.weeks import IsoWeek
from systok.db.engine import run_transaction
from systok.ingest import repository as ingest_repo
from systok.ingest.service import Ingestor
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from tests.accrual.test_weekly_run import POLICY
from tests.ledger.test_audit import tamper

WEEK = IsoWeek(2026, 5)
DAY_US = 86_400_000_000


def setup(engine) -> None:
    def work(session):
        for member in ("m1", "m2"):
            ingest_repo.ensure_member(session, member, 0)
            ingest_repo.replace_member_history(session, member, [(20_089, 1)], [(20_089, None)])
        lines = [
            json.dumps(
                {
                    "source": "t",
                    "id": f"{m}-{kind}",
                    "type": kind,
                    "member": m,
                    "occurred_at": "2026-01-27T10:00:00Z",
                }
            )
            for m in ("m1", "m2")
            for kind in ("SectionCompleted", "PeerReviewCompleted")
        ]
        Ingestor(session, policy=POLICY).ingest(lines, source="t", live=False)

    run_transaction(engine, work)


def balances(engine):
    def read(session):
        ledger = Ledger(session)
        return (
            ledger.balance(member_account("m1")).posted_units,
            ledger.balance(member_account("m2")).posted_units,
            ledger.balance(system_account(AccountType.POOL_REWARDS)).held_units,
        )

    return run_transaction(engine, read)


def test_peer_review_part_is_held_then_released_or_cancelled(engine, tmp_path):
    setup(engine)
    summary = WeeklyRun(engine, POLICY, reports_dir=tmp_path).run(WEEK)
    weight = POLICY.events["PeerReviewCompleted"].weight
    section = POLICY.events["SectionCompleted"].weight
    total = (section + weight) * 1_000_000  # level 1 (×1.0), first week (×1.00)
    vested = weight * 1_000_000
    grants = run_transaction(engine, lambda s: run_grants(s, summary.run_id))
    assert [(g.member_id, g.event_type, g.units, g.status) for g in grants] == [
        ("m1", "PeerReviewCompleted", vested, "held"),
        ("m2", "PeerReviewCompleted", vested, "held"),
    ]
    assert balances(engine) == (total - vested, total - vested, 2 * vested)
    unlock = grants[0].unlock_at_us
    assert unlock == grants[0].earned_at_us + 30 * DAY_US  # the policy's 30 days

    run_transaction(engine, lambda s: flag_grant(s, grants[1].id, CancelReason.WORK_FLAGGED))
    early = run_transaction(engine, lambda s: release_due(s, POLICY, clock=lambda: unlock - 1))
    assert (early.released, early.cancelled) == (0, 0)
    done = run_transaction(engine, lambda s: release_due(s, POLICY, clock=lambda: unlock))
    assert (done.released, done.cancelled) == (1, 1)
    assert balances(engine) == (total, total - vested, 0)
    again = run_transaction(engine, lambda s: release_due(s, POLICY, clock=lambda: unlock + DAY_US))
    assert (again.released, again.cancelled) == (0, 0)
    assert run_transaction(engine, audit_ledger).ok


def test_verify_replays_the_vesting_grants(engine, tmp_path):
    """A grant's amount is part of what a week paid: verify names a tampered one."""
    setup(engine)
    WeeklyRun(engine, POLICY, reports_dir=tmp_path).run(WEEK)
    assert verify_week(engine, POLICY, WEEK) == []
    tamper(engine, "UPDATE vesting_grants SET units = units - 1 WHERE member_id = 'm2'")
    vested = POLICY.events["PeerReviewCompleted"].weight * 1_000_000
    assert verify_week(engine, POLICY, WEEK) == [
        f"vesting of m2: stored {{'PeerReviewCompleted': {vested - 1}}}, "
        f"replay {{'PeerReviewCompleted': {vested}}}"
    ]


def test_vesting_cli_releases_by_the_clock(cli_on, capsys, monkeypatch, tmp_path):
    """``vesting release`` reads the clock: nothing before the unlock moment, all at it."""
    import time_machine

    from systok.cli.main import main
    from systok.core.times import us_to_datetime, us_to_iso

    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    setup(cli_on)
    WeeklyRun(cli_on, POLICY, reports_dir=tmp_path).run(WEEK)

    def listed():
        assert main(["vesting", "list", "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    grants = listed()
    unlock_at = grants[0]["unlock_at"]
    vested = POLICY.events["PeerReviewCompleted"].weight * 1_000_000
    assert [(g["member"], g["event_type"], g["units"], g["status"]) for g in grants] == [
        ("m2", "PeerReviewCompleted", vested, "held"),
        ("m1", "PeerReviewCompleted", vested, "held"),
    ]
    unlock_us = run_transaction(cli_on, lambda s: run_grants(s, 1))[0].unlock_at_us
    assert us_to_iso(unlock_us) == unlock_at
    with time_machine.travel(us_to_datetime(unlock_us - 1_000_000), tick=False):
        assert main(["vesting", "release"]) == 0
    assert "released 0 grant(s)" in capsys.readouterr().out
    assert {g["status"] for g in listed()} == {"held"}
    with time_machine.travel(us_to_datetime(unlock_us), tick=False):
        assert main(["vesting", "release"]) == 0
    assert "released 2 grant(s)" in capsys.readouterr().out
    assert {g["status"] for g in listed()} == {"released"}
