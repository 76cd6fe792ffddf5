"""Weeks at the calendar's edges, settled, verified and reported through the CLI.

ISO week 53, a week across two months and two quarters, a week across an emission
year boundary and across a halving, and the week of 29 February. The clock is frozen
after all of them (a week can only be run once it has closed), so these tests do not
depend on the day they run.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from systok.cli.main import main
from systok.core.weeks import IsoWeek
from systok.db.engine import run_transaction
from systok.ingest import repository as ingest_repo
from systok.ingest.service import Ingestor
from systok.policy_files import policy_for_week

AFTER_EVERY_WEEK = datetime(2030, 6, 3, 10, tzinfo=UTC)
MICRO_STK = 10**6
HALVING_DAILY_STK = 1_000_000_000 // 365  # stk-2025-12: yearly / 365, floored = 2 739 726
HALVED_DAILY_STK = 1_000_000_000 // (2 * 365)  # after the first halving = 1 369 863


def quarter_days(amount_units: int, days: int) -> list[int]:
    """A quarter's amount spread over its days: floor each, remainder to the earliest."""
    base, extra = divmod(amount_units, days)
    return [base + (1 if index < extra else 0) for index in range(days)]


# stk-2025-04 (quarterly decay from 2025-04-01): 500 000 STK in Q2 2025 (91 days), then
# floor(20 500 000 × 500 000 / 21 000 000) = 488 095 STK in Q3 2025 (92 days).
Q2_2025 = quarter_days(500_000 * MICRO_STK, 91)
Q3_2025 = quarter_days(488_095 * MICRO_STK, 92)

EDGES = {
    # name: (week, Monday, Sunday, the week's emission in base units)
    "iso-week-53": (
        "2026-W53",
        date(2026, 12, 28),
        date(2027, 1, 3),
        7 * HALVING_DAILY_STK * MICRO_STK,
    ),
    "two-months-two-quarters": (
        "2026-W27",
        date(2026, 6, 29),
        date(2026, 7, 5),
        7 * HALVING_DAILY_STK * MICRO_STK,
    ),
    "two-quarters-of-quarterly-emission": (
        "2025-W27",
        date(2025, 6, 30),
        date(2025, 7, 6),
        Q2_2025[-1] + sum(Q3_2025[:6]),
    ),
    # Genesis 2025-12-15, emission years of 365 days: year 1 starts Tue 2026-12-15.
    "emission-year-boundary": (
        "2026-W51",
        date(2026, 12, 14),
        date(2026, 12, 20),
        7 * HALVING_DAILY_STK * MICRO_STK,
    ),
    # Year 4 (the first halving) starts 4 × 365 days after genesis: Fri 2029-12-14.
    "halving": (
        "2029-W50",
        date(2029, 12, 10),
        date(2029, 12, 16),
        (4 * HALVING_DAILY_STK + 3 * HALVED_DAILY_STK) * MICRO_STK,
    ),
    "leap-day": (
        "2028-W09",
        date(2028, 2, 28),
        date(2028, 3, 5),
        7 * HALVING_DAILY_STK * MICRO_STK,
    ),
}


def ingest_every_day(engine, week: IsoWeek) -> None:
    """m1 completes one section on each of the week's seven days, at 23:30 UTC."""
    policy = policy_for_week(week)
    records = [
        json.dumps(
            {
                "source": "t",
                "id": f"{week}-{day}",
                "type": "SectionCompleted",
                "member": "m1",
                "occurred_at": f"{day.isoformat()}T23:30:00Z",
            }
        )
        for day in week.days()
    ]

    def work(session):
        ingest_repo.ensure_member(session, "m1", 0)
        ingest_repo.replace_member_history(session, "m1", [(20_089, 3)], [(20_089, None)])
        Ingestor(session, policy=policy).ingest(records, source="t", live=False)

    run_transaction(engine, work)


def cli_json(capsys, *argv: str):
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("edge", list(EDGES))
def test_edge_week_is_settled_verified_and_reported(cli_on, capsys, monkeypatch, tmp_path, edge):
    name, monday, sunday, emission_units = EDGES[edge]
    week = IsoWeek.parse(name)
    assert (week.monday, week.days()[-1]) == (monday, sunday)
    assert list(week.days()) == [monday + timedelta(days=n) for n in range(7)]
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    with time_machine.travel(AFTER_EVERY_WEEK, tick=True):
        ingest_every_day(cli_on, week)
        run = cli_json(capsys, "run", "week", name)
        assert (run["week"], run["stage"], run["members"]) == (name, "done", 1)
        assert run["emission_units"] == emission_units
        assert run["merkle_root"] and len(run["merkle_root"]) == 64

        assert cli_json(capsys, "verify", "week", name) == {"week": name, "verified": True}

        explained = cli_json(capsys, "explain", "m1", name)
        days = [d["calendar_date"] for d in explained["breakdown"]["days"]]
        assert days == [d.isoformat() for d in week.days()], "each of the 7 days is its own day"
        assert explained["units"] == run["rewards_units"] > 0

        assert main(["report", "csv", name]) == 0
        assert capsys.readouterr().out == (
            f"date,user_id,points\n{sunday.isoformat()},m1,{explained['points']}\n"
        )
        status = cli_json(capsys, "run", "status")
        assert [(r["week"], r["stage"], r["merkle_root"]) for r in status] == [
            (name, "done", run["merkle_root"])
        ]


def test_a_streak_runs_through_week_53_into_the_new_year(cli_on, capsys, monkeypatch, tmp_path):
    """2026-W52 → 2026-W53 → 2027-W01 are consecutive: the streak grows 1, 2, 3."""
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    weeks = ["2026-W52", "2026-W53", "2027-W01"]
    assert IsoWeek.parse(weeks[2]).previous() == IsoWeek.parse(weeks[1])
    with time_machine.travel(AFTER_EVERY_WEEK, tick=True):
        for name in weeks:
            ingest_every_day(cli_on, IsoWeek.parse(name))
        streaks = []
        for name in weeks:
            assert cli_json(capsys, "run", "week", name)["stage"] == "done"
            explained = cli_json(capsys, "explain", "m1", name)
            streaks.append(explained["breakdown"]["consistency"]["streak_weeks"])
            assert cli_json(capsys, "verify", "week", name)["verified"]
    assert streaks == [1, 2, 3]
