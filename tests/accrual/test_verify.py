"""``verify`` replays a settled week bit for bit and names every difference."""

from __future__ import annotations

import json

from systok.accrual.verify import verify_week
from systok.cli.main import main
from systok.db.engine import run_transaction
from systok.ingest.service import Ingestor
from tests.accrual.test_weekly_run import POLICY, WEEKS, run_all, setup_community
from tests.ledger.test_audit import tamper


def settled(engine, tmp_path):
    setup_community(engine)
    run_all(engine, tmp_path)
    assert verify_week(engine, POLICY, WEEKS[-1]) == []


def test_a_tampered_reward_is_named(engine, tmp_path):
    settled(engine, tmp_path)
    tamper(
        engine,
        "UPDATE accrual_rewards SET units = units + 1, paid_units = paid_units + 1 "
        "WHERE member_id = 'm1' AND run_id = (SELECT max(id) FROM accrual_runs)",
    )
    found = verify_week(engine, POLICY, WEEKS[-1])
    assert "reward of m1: units stored 1584000001, replay 1584000000" in found
    assert "reward of m1: paid_units stored 1584000001, replay 1584000000" in found


def test_a_tampered_event_is_named(engine, tmp_path):
    settled(engine, tmp_path)
    tamper(
        engine,
        "UPDATE events SET event_type = 'ExerciseSave' "
        "WHERE source_event_id = '2026-W05-SectionCompleted-0'",
    )
    found = verify_week(engine, POLICY, WEEKS[-1])
    assert (
        "sums of m1 (base points, counted, vesting events): "
        "collected (960, 19, 0), events say (1010, 19, 0)"
    ) in found
    assert any("reward of m1: points" in d for d in found), found


def test_a_tampered_collected_sum_is_named(engine, tmp_path):
    """The settle's fast path scored from the sums; verify recounts them from events."""
    settled(engine, tmp_path)
    tamper(
        engine,
        "UPDATE accrual_member_sums SET base_points = base_points + 1 "
        "WHERE member_id = 'm1' AND run_id = (SELECT max(id) FROM accrual_runs)",
    )
    found = verify_week(engine, POLICY, WEEKS[-1])
    assert found == [
        "sums of m1 (base points, counted, vesting events): "
        "collected (961, 19, 0), events say (960, 19, 0)"
    ]


def test_a_late_event_is_not_a_difference(engine, tmp_path):
    settled(engine, tmp_path)
    late = json.dumps(
        {
            "source": "t",
            "id": "late-1",
            "type": "ExerciseSave",
            "member": "m1",
            "occurred_at": "2026-01-27T10:00:00Z",
        }
    )
    run_transaction(
        engine, lambda s: Ingestor(s, policy=POLICY).ingest([late], source="t", live=False)
    )
    assert verify_week(engine, POLICY, WEEKS[-1]) == []


def test_verify_command_exit_codes(cli_on, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    settled(cli_on, tmp_path)
    assert main(["verify", "week", "2026-W05"]) == 0
    assert "replay exactly" in capsys.readouterr().out
    tamper(cli_on, "UPDATE accrual_runs SET merkle_root = 'ff' WHERE week = '2026-W05'")
    assert main(["verify", "week", "2026-W05"]) == 2
    assert "Merkle root: stored ff" in capsys.readouterr().err
