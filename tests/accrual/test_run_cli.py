"""``systok run``, ``report csv`` and ``explain`` through the real entry point."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine

from systok.accrual.schedule import last_closed_week
from systok.cli.main import main
from systok.core.weeks import IsoWeek
from tests.accrual.test_weekly_run import setup_community
from tests.ledger.test_audit import tamper


def cli_json(capsys, *argv: str):
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.mark.clock
def test_run_report_explain(cli_on, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    setup_community(cli_on)

    preview = cli_json(capsys, "run", "week", "2026-W05", "--dry-run")
    # No earlier runs yet: streak 1, 960 × 1.5 × 1.00 = 1440 STK.
    assert preview["week"] == "2026-W05" and preview["scale"] == 6
    assert preview["dry_run"] is True and preview["members"] == 1
    assert preview["rewards"] == [
        {"member": "m1", "points": "1440", "units": 1_440_000_000, "vesting_units": 0}
    ]
    assert preview["rewards_units"] == 1_440_000_000 and preview["adjustments"] == []
    assert cli_json(capsys, "run", "status") == [], "a dry run leaves no run behind"

    settled = [cli_json(capsys, "run", "week", w) for w in ("2026-W02", "2026-W03", "2026-W04")]
    assert main(["run", "week", "2026-W05"]) == 0
    out = capsys.readouterr().out
    assert "stage done" in out and "Merkle root" in out
    status = cli_json(capsys, "run", "status")
    assert [(r["week"], r["stage"]) for r in status] == [
        (w, "done") for w in ("2026-W05", "2026-W04", "2026-W03", "2026-W02")
    ]
    assert [r["merkle_root"] for r in status[1:]] == [s["merkle_root"] for s in reversed(settled)]
    assert status[0]["rewards_units"] == 1_584_000_000

    assert main(["report", "csv", "2026-W05"]) == 0
    assert capsys.readouterr().out == "date,user_id,points\n2026-02-01,m1,1584\n"

    assert main(["explain", "m1", "2026-W05"]) == 0
    out = capsys.readouterr().out
    assert "1584 points → 1584.000000 STK" in out
    assert "ClubPostCreated" in out and "consistency:" in out
    explained = cli_json(capsys, "explain", "m1", "2026-W05")
    assert explained["scored_by"] == "uniform" and explained["matches"] is True

    tamper(
        cli_on,
        "UPDATE accrual_rewards SET units = units + 1 WHERE member_id = 'm1' "
        "AND run_id = (SELECT id FROM accrual_runs WHERE week = '2026-W05')",
    )
    assert main(["explain", "m1", "2026-W05"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # Rich wraps long lines
    assert "warning: re-scoring gives 1584 points, 1584.000000 STK, not what was" in out

    assert main(["explain", "m2", "2026-W05"]) == 1
    assert "earned nothing" in capsys.readouterr().err
    this_week = IsoWeek.containing(datetime.now(UTC))
    assert main(["run", "week", str(this_week)]) == 1
    assert "has not closed yet" in capsys.readouterr().err
    assert main(["run", "resume"]) == 0
    assert "nothing to resume" in capsys.readouterr().out


def test_last_closed_week_waits_for_the_grace_window():
    """Sunday closes a week; the run takes it two hours later, across years and leap days."""
    at = lambda *args: datetime(*args, tzinfo=UTC)  # noqa: E731
    assert last_closed_week(now=at(2027, 1, 4, 1, 59)) == IsoWeek(2026, 52)
    assert last_closed_week(now=at(2027, 1, 4, 2, 0)) == IsoWeek(2026, 53)
    assert last_closed_week(now=at(2027, 1, 10, 23, 59)) == IsoWeek(2026, 53)
    assert last_closed_week(now=at(2028, 2, 29, 12)) == IsoWeek(2028, 8)
    assert last_closed_week(now=at(2026, 1, 1)) == IsoWeek(2025, 52)  # 2025 has 52 weeks
    with time_machine.travel(at(2027, 1, 4, 3), tick=False):
        assert last_closed_week() == IsoWeek(2026, 53)


def test_a_week_is_run_only_once_it_has_closed(cli_on, capsys, monkeypatch, tmp_path):
    """Week 53 can be run from Monday 2027-01-04 02:00 UTC (its 2 h grace window, see
    tests/ops/test_grace_window.py), not a microsecond before."""
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    with time_machine.travel(datetime(2027, 1, 3, 23, 59, 59, 999_999, tzinfo=UTC), tick=False):
        assert main(["run", "week", "2026-W53"]) == 1
    assert "2026-W53 cannot run yet: it has not closed yet" in capsys.readouterr().err
    with time_machine.travel(datetime(2027, 1, 4, 2, tzinfo=UTC), tick=False):
        assert cli_json(capsys, "run", "week", "2026-W53")["stage"] == "done"
    with time_machine.travel(datetime(2027, 1, 4, 0, 30, tzinfo=UTC), tick=False):
        assert cli_json(capsys, "run", "week")["week"] == "2026-W52", "default: last closed"
