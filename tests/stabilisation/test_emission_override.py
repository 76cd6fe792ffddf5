"""An approved ``emission_adjustment`` slows every weekly emission of the next quarter;
the weekly run records the factor, ``run status --json`` shows it, ``verify week``
replays it (ADR 0034).

Golden: stk-2025-12 mints 19 178 082 000 000 units a week (7 × 2 739 726 000 000); the
2026-Q1 proposal's step is 2 500 bps, so a week of 2026-Q2 mints
19 178 082 000 000 × 7 500 / 10 000 = 14 383 561 500 000 and its pool budget takes the
pool's share of that.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import time_machine
from sqlalchemy import Engine, select, text

from systok.accrual.service import WeeklyRun
from systok.accrual.verify import verify_week
from systok.cli.main import main
from systok.core.emission import fund_split
from systok.core.times import datetime_to_us
from systok.core.weeks import IsoWeek
from systok.db.kit import runs_t, stabilisation_overrides_t
from tests.ledger.test_audit import tamper
from tests.quarter.test_run import every_table
from tests.quarter.test_stabilise import run_q1
from tests.quarter.world import POLICY
from tests.stabilisation.world import approve_rule

Q2_WEEK = IsoWeek(2026, 16)  # 2026-04-13 … 04-19, in 2026-Q2
Q1_WEEK = IsoWeek(2026, 13)  # Thursday 2026-03-26: 2026-Q1, before the override
LATER = datetime(2026, 4, 21, 12, tzinfo=UTC)
WEEK_UNITS = 19_178_082_000_000
SLOWED_UNITS = 14_383_561_500_000


def weekly(engine: Engine, week: IsoWeek, tmp_path: Path) -> None:
    WeeklyRun(engine, POLICY, reports_dir=tmp_path, clock=lambda: datetime_to_us(LATER)).run(week)


def run_row(engine: Engine, week: IsoWeek) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(select(runs_t).where(runs_t.c.week == str(week))).mappings()
        return dict(row.one())


def test_an_approved_step_slows_the_next_quarters_weeks(
    cli_on: Engine, tmp_path: Path, capsys
) -> None:
    run_q1(cli_on)
    done = approve_rule(cli_on, POLICY, "emission_adjustment")
    assert (done.status.value, str(done.effective_quarter)) == ("approved", "2026-Q2")
    with cli_on.connect() as connection:
        overrides = connection.execute(select(stabilisation_overrides_t)).mappings().all()
    assert [(o["quarter"], o["kind"], o["step_bps"]) for o in overrides] == [
        ("2026-Q2", "emission", 2500)
    ]

    weekly(cli_on, Q1_WEEK, tmp_path)
    weekly(cli_on, Q2_WEEK, tmp_path)
    before, after = run_row(cli_on, Q1_WEEK), run_row(cli_on, Q2_WEEK)
    assert (before["emission_units"], before["emission_factor_bps"]) == (WEEK_UNITS, 10_000)
    assert (after["emission_units"], after["emission_factor_bps"]) == (SLOWED_UNITS, 7500)
    with cli_on.connect() as connection:
        minted = connection.execute(
            text(
                "SELECT SUM(p.amount_units) FROM postings p JOIN transactions t ON "
                "t.id = p.transaction_id WHERE t.code = 'emission' AND p.amount_units > 0 "
                "AND t.reference LIKE :week"
            ),
            {"week": f"%{Q2_WEEK}%"},
        ).scalar_one()
    assert minted == SLOWED_UNITS  # only the slowed amount is minted
    with cli_on.connect() as connection:
        to_pool = connection.execute(
            text(
                "SELECT p.amount_units FROM postings p JOIN transactions t ON "
                "t.id = p.transaction_id JOIN accounts a ON a.id = p.account_id "
                "WHERE t.code = 'emission' AND a.type = 'pool:rewards' "
                "AND t.reference LIKE :week"
            ),
            {"week": f"%{Q2_WEEK}%"},
        ).scalar_one()
    pool_fund = next(name for name, f in POLICY.funds.split.items() if f.account == "pool:rewards")
    assert to_pool == fund_split(POLICY, SLOWED_UNITS)[pool_fund]  # the pool's share of it

    with time_machine.travel(LATER, tick=False):
        assert main(["run", "status", "--json"]) == 0
    status = {r["week"]: r for r in json.loads(capsys.readouterr().out) if "week" in r}
    assert status[str(Q2_WEEK)]["emission_factor_bps"] == 7500
    assert status[str(Q2_WEEK)]["emission_units"] == SLOWED_UNITS
    assert verify_week(cli_on, POLICY, Q2_WEEK) == []
    assert verify_week(cli_on, POLICY, Q1_WEEK) == []

    settled = every_table(cli_on)
    weekly(cli_on, Q2_WEEK, tmp_path)  # a settled week: nothing changes
    assert every_table(cli_on) == settled


def test_verify_week_names_a_tampered_override_and_emission(engine: Engine, tmp_path: Path) -> None:
    run_q1(engine)
    approve_rule(engine, POLICY, "emission_adjustment")
    weekly(engine, Q2_WEEK, tmp_path)
    tamper(engine, "UPDATE stabilisation_overrides SET step_bps = 2000")
    assert verify_week(engine, POLICY, Q2_WEEK) == [
        "emission factor: the run applied 7500 bps, the stored override of 2026-Q2 gives 8000 bps"
    ]
    tamper(engine, "UPDATE stabilisation_overrides SET step_bps = 2500")
    tamper(engine, "UPDATE accrual_runs SET emission_units = emission_units + 1")
    assert verify_week(engine, POLICY, Q2_WEEK) == [
        f"emission: stored {SLOWED_UNITS + 1}, replay {SLOWED_UNITS}"
    ]


def test_without_an_approval_the_policys_emission_stands(engine: Engine, tmp_path: Path) -> None:
    """A proposal still ``proposed`` (or rejected) stores no override."""
    run_q1(engine)
    weekly(engine, Q2_WEEK, tmp_path)
    row = run_row(engine, Q2_WEEK)
    assert (row["emission_units"], row["emission_factor_bps"]) == (WEEK_UNITS, 10_000)
