"""``systok run week`` refuses a week still inside its late-event grace window.

The policy's ``ingestion.weekly_grace_hours`` (2 h in the shipped policies) lets events of
a week that arrive early on Monday still count in it; a run before the window ends would
settle the week without them. The refusal says when the week may run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import time_machine

from systok.cli.main import main
from systok.core.weeks import IsoWeek
from systok.policy_files import policy_for_week

WEEK = IsoWeek(2026, 53)  # closes Sunday 2027-01-03 23:59:59 UTC


def test_the_shipped_policy_has_a_two_hour_window():
    assert policy_for_week(WEEK).ingestion.weekly_grace_hours == 2


def test_a_closed_week_inside_its_grace_window_is_refused_with_the_time_it_may_run(
    cli_on, capsys, monkeypatch, tmp_path
):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    for moment in (datetime(2027, 1, 4, tzinfo=UTC), datetime(2027, 1, 4, 1, 59, 59, tzinfo=UTC)):
        with time_machine.travel(moment, tick=False):
            assert main(["run", "week", str(WEEK)]) == 1
        err = " ".join(capsys.readouterr().err.split())
        assert "2026-W53 cannot run yet" in err
        assert "inside its 2 h grace window" in err
        assert "it may run from 2027-01-04T02:00:00+00:00" in err
        assert "ingestion.weekly_grace_hours = 2" in err
    with time_machine.travel(datetime(2027, 1, 4, 1, 59, tzinfo=UTC), tick=False):
        assert main(["run", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [], "a refused run leaves no run behind"

    with time_machine.travel(datetime(2027, 1, 4, 2, tzinfo=UTC), tick=False):
        assert main(["run", "week", str(WEEK), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stage"] == "done"


def test_an_open_week_says_when_it_may_run(cli_on, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    with time_machine.travel(datetime(2027, 1, 1, 12, tzinfo=UTC), tick=False):
        assert main(["run", "week", str(WEEK)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "it has not closed yet (it ends 2027-01-04T00:00:00+00:00)" in err
    assert "it may run from 2027-01-04T02:00:00+00:00" in err


def test_the_default_week_is_the_last_one_past_its_window(cli_on, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    with time_machine.travel(datetime(2027, 1, 4, 1, tzinfo=UTC), tick=False):
        assert main(["run", "week", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["week"] == "2026-W52"
    with time_machine.travel(datetime(2027, 1, 4, 2, tzinfo=UTC), tick=False):
        assert main(["run", "week", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["week"] == "2026-W53"
