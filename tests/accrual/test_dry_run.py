"""``systok run week --dry-run`` on a realistic week: it writes nothing, consumes no run
id, and answers exactly what the real run then stores and pays.

The week has every member shape of ``test_fast_path`` (a membership that lapses
mid-week, a promotion mid-week, no level, a free user, vesting peer reviews, a capped
day) and a late event of an earlier settled week, so the score stage takes the
reference path, splits vesting parts and pays an adjustment.
"""

from __future__ import annotations

import json

from sqlalchemy import Engine, text

from systok.accrual.report import report_path
from systok.cli.main import main
from systok.db.engine import run_transaction
from systok.db.tables import Base
from systok.ingest.service import Ingestor
from tests.accrual.test_fast_path import PROFILES, community
from tests.accrual.test_weekly_run import POLICY, WEEKS


def cli_json(capsys, *argv: str):
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def database_state(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, and where each id sequence stands (a sequence does not
    roll back: a dry run that took an id from one would show here)."""
    state: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(text(f"SELECT * FROM {table.name}"))
            state[table.name] = sorted(repr(tuple(row)) for row in rows)
        if engine.dialect.name == "postgresql":
            sequences = connection.execute(
                text("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
            )
        else:
            has_autoincrement = connection.execute(
                text("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")
            ).scalar_one()
            sequences = connection.execute(
                text("SELECT name, seq FROM sqlite_sequence ORDER BY 1")
                if has_autoincrement
                else text("SELECT 1 WHERE 0")
            )
        state["(sequences)"] = [repr(tuple(row)) for row in sequences]
    return state


def late_event_for_the_first_week(engine: Engine) -> None:
    """One more section on the first (settled) week, received now: an adjustment."""
    record = {
        "source": "t",
        "id": "late-section",
        "type": "SectionCompleted",
        "member": "uniform",
        "occurred_at": f"{WEEKS[0].days()[6].isoformat()}T10:00:00Z",
    }
    run_transaction(
        engine,
        lambda s: Ingestor(s, policy=POLICY).ingest([json.dumps(record)], source="t", live=False),
    )


def test_a_dry_run_of_a_realistic_week_writes_nothing_and_equals_the_run(
    cli_on, capsys, monkeypatch, tmp_path
):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    community(cli_on)
    for week in WEEKS[:-1]:
        assert cli_json(capsys, "run", "week", str(week))["stage"] == "done"
    late_event_for_the_first_week(cli_on)
    week = str(WEEKS[-1])

    before = database_state(cli_on)
    dry = cli_json(capsys, "run", "week", week, "--dry-run")
    again = cli_json(capsys, "run", "week", week, "--dry-run")
    assert database_state(cli_on) == before, "a dry run leaves every table and sequence as is"
    assert dry == again
    assert not report_path(tmp_path / "reports", week, dry["policy_version"]).exists()

    # The week really has the shapes that used to crash the dry run.
    by_member = {r["member"]: r for r in dry["rewards"]}
    assert set(PROFILES) - {"free"} <= set(by_member)
    assert by_member["reviewer"]["vesting_units"] > 0, "peer reviews vest"
    assert [(a["week"], a["member"]) for a in dry["adjustments"]] == [(str(WEEKS[0]), "uniform")]
    assert dry["adjustments"][0]["delta_units"] > 0

    real = cli_json(capsys, "run", "week", week)
    assert real["run"] == len(WEEKS), "the dry runs consumed no run id"
    for field in (
        "week",
        "policy_version",
        "members",
        "scale",
        "emission_units",
        "budget_units",
        "rewards_units",
        "prorata",
        "merkle_root",
    ):
        assert dry[field] == real[field], field

    with cli_on.connect() as connection:
        stored = {
            member: {"member": member, "points": points, "units": paid, "vesting_units": 0}
            for member, points, paid in connection.execute(
                text(
                    "SELECT member_id, points, paid_units FROM accrual_rewards WHERE run_id = :run"
                ),
                {"run": real["run"]},
            )
        }
        for member, units in connection.execute(
            text(
                "SELECT member_id, SUM(units) FROM vesting_grants WHERE run_id = :run "
                "GROUP BY member_id"
            ),
            {"run": real["run"]},
        ):
            stored[member]["vesting_units"] = int(units)
        adjustments = [
            {"week": w, "member": m, "delta_units": int(d)}
            for w, m, d in connection.execute(
                text(
                    "SELECT week, member_id, delta_units FROM accrual_adjustments "
                    "WHERE paying_run_id = :run ORDER BY week, member_id"
                ),
                {"run": real["run"]},
            )
        ]
    assert by_member == stored
    assert dry["adjustments"] == adjustments
    assert [r["units"] for r in dry["rewards"]] == sorted(
        (r["units"] for r in dry["rewards"]), reverse=True
    ), "largest first"


def test_a_dry_run_of_a_week_that_has_a_run_is_refused(cli_on, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    community(cli_on)
    week = str(WEEKS[0])
    cli_json(capsys, "run", "week", week)
    before = database_state(cli_on)
    assert main(["run", "week", week, "--dry-run"]) == 1
    assert f"{week} already has a run (stage done)" in capsys.readouterr().err
    assert database_state(cli_on) == before
