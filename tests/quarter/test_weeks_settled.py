"""A quarterly run waits for the quarter's weeks to settle (ADR 0041): refused, naming
each week of the quarter (ISO weeks whose Thursday is in it) that has no ``done``
weekly run, once weekly runs exist; nothing written."""

from __future__ import annotations

from datetime import date

import time_machine
from sqlalchemy import Engine, insert, update

from systok.cli.main import main
from systok.core.quarters import Quarter
from systok.core.weeks import IsoWeek
from systok.db.kit import runs_t
from systok.quarter.weeks_settled import quarter_weeks
from tests.quarter.test_run import every_table
from tests.quarter.world import NOW, POLICY, build


def test_quarter_weeks_by_their_thursday() -> None:
    """2026-01-01 is a Thursday: 2026-Q1 is W01 … W13 (W14's Thursday is 04-02, Q2).
    2020-10-01 and 2020-12-31 are Thursdays: 2020-Q4 is W40 … W53, 14 weeks.
    2025-04-01 is a Tuesday: W14's Thursday 04-03 is in Q2, so 2025-Q2 starts at W14
    and ends at W26 (Thursday 06-26; W27's is 07-03)."""
    weeks = quarter_weeks(Quarter(2026, 1))
    assert (weeks[0], weeks[-1], len(weeks)) == (IsoWeek(2026, 1), IsoWeek(2026, 13), 13)
    weeks = quarter_weeks(Quarter(2020, 4))
    assert (weeks[0], weeks[-1], len(weeks)) == (IsoWeek(2020, 40), IsoWeek(2020, 53), 14)
    weeks = quarter_weeks(Quarter(2025, 2))
    assert (weeks[0], weeks[-1]) == (IsoWeek(2025, 14), IsoWeek(2025, 26))
    assert weeks[0].monday == date(2025, 3, 31)


def weekly_runs(engine: Engine, stages: dict[str, str]) -> None:
    with engine.begin() as connection:
        for week, stage in stages.items():
            connection.execute(
                insert(runs_t).values(
                    week=week,
                    policy_version=POLICY.version,
                    policy_hash=POLICY.content_hash,
                    stage=stage,
                    started_at_us=0,
                    updated_at_us=0,
                )
            )


def test_unsettled_weeks_refuse_the_run(cli_on: Engine, capsys) -> None:
    """Weekly runs from 2026-W03 on (W01, W02 predate them: not owed); W05 stopped at
    its ``emit`` stage, W09 never ran → refused naming 2026-W05 and 2026-W09, exit 1,
    dry run too; once both are done the run goes ahead."""
    build(cli_on)
    stages = {f"2026-W{n:02d}": "done" for n in range(3, 14) if n != 9}
    stages["2026-W05"] = "emit"
    weekly_runs(cli_on, stages)
    before = every_table(cli_on)
    with time_machine.travel(NOW, tick=False):
        for argv in (["run", "quarter", "2026-Q1"], ["run", "quarter", "2026-Q1", "--dry-run"]):
            assert main(argv) == 1
            assert "week(s) 2026-W05, 2026-W09 have no finished weekly run" in (
                capsys.readouterr().err
            )
        assert every_table(cli_on) == before
        with cli_on.begin() as connection:
            connection.execute(
                update(runs_t).where(runs_t.c.week == "2026-W05").values(stage="done")
            )
        weekly_runs(cli_on, {"2026-W09": "done"})
        assert main(["run", "quarter", "2026-Q1"]) == 0, capsys.readouterr().err


def test_without_weekly_runs_nothing_is_owed(cli_on: Engine, capsys) -> None:
    """The hand-built ledger posts its emission without weekly runs: the run goes ahead
    (the other quarterly tests rely on this); a weekly run of a later quarter only does
    not make this quarter's weeks owed either."""
    build(cli_on)
    weekly_runs(cli_on, {"2026-W20": "done"})
    with time_machine.travel(NOW, tick=False):
        assert main(["run", "quarter", "2026-Q1"]) == 0, capsys.readouterr().err
