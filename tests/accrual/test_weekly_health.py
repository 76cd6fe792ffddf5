"""The weekly health history: the weekly run's last stage stores its week's readings, so
``systok health --week W`` reads them and ``--history`` lists them (ADR 0036)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine

from systok.cli.main import main
from systok.core.weeks import IsoWeek
from systok.db.engine import run_transaction
from systok.health.schemas import WEEK, Period
from systok.health.service import verify_readings
from systok.policy_files import policy_for_week
from tests.accrual.test_weekly_run import setup_community
from tests.backing.helpers import every_table_count

MONDAY = datetime(2026, 2, 9, 3, tzinfo=UTC)  # after 2026-W06's grace window


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_runs_keep_the_weekly_history(
    cli_on: Engine,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    setup_community(cli_on)
    with time_machine.travel(MONDAY, tick=False):
        assert cli_json(capsys, "health", "--history") == []
        for text in ("2026-W04", "2026-W05"):
            cli_json(capsys, "run", "week", text)
        history = cli_json(capsys, "health", "--history")
        assert [h["period"] for h in history] == ["2026-W05", "2026-W04"]
        assert all(h["period_kind"] == "week" and len(h["readings"]) == 6 for h in history)
        before = every_table_count(cli_on)
        stored = cli_json(capsys, "health", "--week", "2026-W05")
        assert stored["computed_now"] is False, "the run stored it; nothing is recomputed"
        assert every_table_count(cli_on) == before
        assert stored["readings"] == history[0]["readings"]
        assert cli_json(capsys, "health", "--history", "--limit", "1")[0]["period"] == "2026-W05"
        assert main(["health", "--history"]) == 0
        table = capsys.readouterr().out
        assert "2026-W05" in table and "2026-W04" in table and "inflation_yearly" in table
        # The run's readings are the ledger's: a replay finds no difference.
        week = IsoWeek(2026, 5)
        differences = run_transaction(
            cli_on,
            lambda s: verify_readings(s, policy_for_week(week), Period(WEEK, week)),
        )
        assert differences == []
        # --history with a period, or a silly limit, is refused naming the option.
        assert main(["health", "--history", "--week", "2026-W05"]) == 65
        assert "--history" in capsys.readouterr().err
        assert main(["health", "--history", "--limit", "0"]) == 65
        assert "--limit" in capsys.readouterr().err
        assert every_table_count(cli_on) == before
