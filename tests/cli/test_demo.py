"""``systok demo``: the weekly run on a synthetic community, end to end, at a small size.

The demo's weeks come from the clock (or ``--today``), so these tests read its
``--json`` summary, never its tables, and are marked ``clock``: CI runs them at
frozen dates too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from systok.accrual.schedule import last_closed_week
from systok.cli.main import main
from systok.config import get_settings

SMALL = ["demo", "--members", "40", "--free-users", "200", "--seed", "7", "--json"]


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SYSTOK_DATABASE_URL", raising=False)
    monkeypatch.delenv("SYSTOK_POLICY", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run_demo(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert main([*SMALL, *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.clock
def test_demo_runs_every_week_and_verifies(capsys, isolated):
    summary = run_demo(capsys, "--weeks", "3")
    weeks = summary["weeks"]
    assert weeks[-1] == str(last_closed_week()) and len(weeks) == 3
    assert summary["people_imported"] == 240
    assert summary["events"]["accepted"] > 0 and "quarantined" in summary["events"]
    assert any(f["account"] == "pool:rewards@STK" for f in summary["funds"])
    assert summary["audit"]["ok"] and summary["verified_weeks"] == weeks
    assert [r["week"] for r in summary["roots"]] == weeks
    assert all(len(r["merkle_root"]) == 64 for r in summary["roots"])
    version = summary["policy_version"]
    assert summary["reports"] == [f"rewards-{w}-{version}.csv" for w in weeks]
    assert summary["chain"]["wallets_units"] == summary["chain"]["supply_units"] > 0
    assert len(list((isolated / "reports").glob("rewards-*.csv"))) == 3
    # The same seed gives the same community and the same roots.
    again = run_demo(capsys, "--weeks", "3")
    assert again["roots"] == summary["roots"]


def test_today_picks_the_weeks_whatever_the_clock(capsys):
    """``--today`` fixes the weeks: week 53 of 2026 is settled and verified on any later date."""
    with time_machine.travel(datetime(2027, 1, 6, 9, tzinfo=UTC), tick=True):
        summary = run_demo(capsys, "--weeks", "2", "--today", "2027-01-05")
    assert summary["today"] == "2027-01-05"
    assert summary["weeks"] == ["2026-W52", "2026-W53"]
    assert summary["verified_weeks"] == ["2026-W52", "2026-W53"]
    assert summary["events"]["accepted"] > 0
    assert len({r["merkle_root"] for r in summary["roots"]}) == 2, "two weeks, two roots"
    with time_machine.travel(datetime(2031, 7, 1, tzinfo=UTC), tick=True):
        later = run_demo(capsys, "--weeks", "2", "--today", "2027-01-05")
    assert later["roots"] == summary["roots"]


def test_today_must_be_a_past_date(capsys):
    assert main([*SMALL, "--today", "05.01.2027"]) == 2
    assert "--today" in capsys.readouterr().err
    with time_machine.travel(datetime(2027, 1, 4, 9, tzinfo=UTC), tick=True):
        assert main([*SMALL, "--today", "2027-01-05"]) == 2
    error = " ".join(capsys.readouterr().err.split())
    assert "2027-01-05 is after today (2027-01-04)" in error
