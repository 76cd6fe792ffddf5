"""``[schedule]`` enforced: each weekly-run stage against its Monday deadline, shown by
``systok run status`` (ADR 0036)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine

from systok.accrual.schedule import stage_deadlines
from systok.cli.main import main
from systok.core.times import datetime_to_us
from systok.core.weeks import IsoWeek
from systok.policy_files import policy_for_week
from tests.accrual.test_weekly_run import setup_community

W05 = IsoWeek(2026, 5)  # Monday 2026-01-26 … Sunday 2026-02-01; its Monday is 2026-02-02


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 2, 2, hour, minute, tzinfo=UTC)


def test_deadlines_are_the_monday_hours_of_the_policy() -> None:
    """stk-2025-12: aggregate by 2, score by 4, report by 6, payout by 8, notify at 8.
    collect finished 01:59 (on time), score exactly at 04:00 (on time: "by" includes the
    hour), report 06:01 (late); confirm never finished and 08:00 has passed at 09:00
    (late); notify at 08:00 not reached at 07:00 (pending, None)."""
    policy = policy_for_week(W05)
    finished = {
        "collect": datetime_to_us(at(1, 59)),
        "score": datetime_to_us(at(4)),
        "report": datetime_to_us(at(6, 1)),
    }
    found = stage_deadlines(W05, policy, finished, at(9))
    assert [(d.stage, d.key, d.deadline, d.on_time) for d in found] == [
        ("collect", "aggregate_by_hour", at(2), True),
        ("score", "score_by_hour", at(4), True),
        ("report", "report_by_hour", at(6), False),
        ("confirm", "payout_by_hour", at(8), False),
        ("notify", "notify_at_hour", at(8), False),
    ]
    pending = stage_deadlines(W05, policy, finished, at(7))
    assert [d.on_time for d in pending][3:] == [None, None]


def test_run_status_shows_each_stage_against_its_deadline(
    cli_on: Engine,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The week runs at Monday 02:30 (after its 2 h grace window), every stage stamped
    02:30: collect is 30 minutes past aggregate_by_hour (late), the rest are early."""
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    setup_community(cli_on)
    with time_machine.travel(at(2, 30), tick=False):
        assert main(["run", "week", str(W05)]) == 0
        capsys.readouterr()
        assert main(["run", "status", "--json"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert main(["run", "status"]) == 0
        assert "late: collect" in capsys.readouterr().out
    deadlines = status[0]["deadlines"]
    assert [(d["stage"], d["on_time"]) for d in deadlines] == [
        ("collect", False),
        ("score", True),
        ("report", True),
        ("confirm", True),
        ("notify", True),
    ]
    assert deadlines[0]["deadline"] == "2026-02-02T02:00:00+00:00"
    assert deadlines[0]["finished_at"].startswith("2026-02-02T02:30:00")
