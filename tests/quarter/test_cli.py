"""``systok run quarter`` and ``systok verify quarter`` through the real entry point."""

from __future__ import annotations

import json

import pytest
import time_machine
from sqlalchemy import update

from systok.cli.main import main
from systok.db.engine import run_transaction
from systok.db.kit import quarter_redistributions_t
from systok.quarter.schemas import Stage
from tests.quarter.crash import CrashingQuarterRun, SimulatedCrash
from tests.quarter.test_run import every_table
from tests.quarter.world import NOW, POLICY, QUARTER, build


def cli_json(capsys, *argv: str):
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_run_and_verify_quarter(cli_on, capsys) -> None:
    build(cli_on)
    with time_machine.travel(NOW, tick=False):
        before = every_table(cli_on)
        preview = cli_json(capsys, "run", "quarter", "--dry-run")  # default: 2026-Q1
        assert every_table(cli_on) == before
        assert preview["quarter"] == "2026-Q1" and preview["dry_run"] is True
        assert preview["run"] is None and preview["due_units"] == 3_399_500

        assert main(["run", "quarter", "2026-Q2"]) == 1
        assert "2026-Q2 is still open" in capsys.readouterr().err
        assert every_table(cli_on) == before

        settled = cli_json(capsys, "run", "quarter", "2026-Q1")
        assert settled["stage"] == "done" and settled["moved_units"] == 3_339_500
        assert settled["wallet_units"] == 5_000_000 and settled["warnings"] == 2
        assert settled["redistributions"][0] == {
            "member": "d",
            "from_days": 365,
            "to_days": None,
            "rate_bps": 1500,
            "warn": False,
            "due_units": 1_500_000,
            "moved_units": 1_500_000,
            "transaction": settled["redistributions"][0]["transaction"],
        }
        assert main(["run", "quarter", "2026-Q1"]) == 0
        out = capsys.readouterr().out
        assert "Out of reach: 5.000000 STK in members' own Solana wallets" in out

        assert cli_json(capsys, "verify", "quarter", "2026-Q1") == {
            "quarter": "2026-Q1",
            "verified": True,
        }
        assert main(["verify", "quarter", "2025-Q4"]) == 66
        capsys.readouterr()
        run_transaction(
            cli_on,
            lambda s: s.execute(
                update(quarter_redistributions_t)
                .where(quarter_redistributions_t.c.member_id == "c")
                .values(rate_bps=500)
            ),
        )
        assert main(["verify", "quarter", "2026-Q1"]) == 2
        assert "member c: rate_bps is 500, the snapshot gives 1000" in capsys.readouterr().err
        assert main(["run", "quarter", "2026-13"]) == 1
        assert "quarter '2026-13'" in capsys.readouterr().err


def test_status_and_resume_include_quarterly_runs(cli_on, capsys) -> None:
    """A quarterly run that crashed after its vest stage is listed by ``run status`` at
    stage ``price`` and finished by ``run resume``; the result verifies."""
    build(cli_on)
    with time_machine.travel(NOW, tick=False):
        crashing = CrashingQuarterRun(cli_on, POLICY, crash_after=Stage.VEST)
        with pytest.raises(SimulatedCrash):
            crashing.run(QUARTER)
        status = cli_json(capsys, "run", "status")
        assert [(r["kind"], r["quarter"], r["stage"]) for r in status] == [
            ("quarter", "2026-Q1", "price")
        ]
        assert status[0]["policy_version"] == POLICY.version
        assert status[0]["started_at"] == "2026-04-02T12:00:00.000000Z"
        resumed = cli_json(capsys, "run", "resume")
        assert [(r["kind"], r["quarter"], r["stage"]) for r in resumed] == [
            ("quarter", "2026-Q1", "done")
        ]
        assert resumed[0]["moved_units"] == 3_339_500
        status = cli_json(capsys, "run", "status")
        assert [(r["kind"], r["stage"]) for r in status] == [("quarter", "done")]
        assert cli_json(capsys, "run", "resume") == []
        assert main(["run", "resume"]) == 0
        assert "nothing to resume" in capsys.readouterr().out
        assert cli_json(capsys, "verify", "quarter", "2026-Q1")["verified"] is True
