"""Health readings on a hand-computed ledger (``tests.quarter.health_world``): the
quarterly run's health stage, ``systok health``, and the readings kept once."""

from __future__ import annotations

import json

import pytest
import time_machine
from sqlalchemy import Engine, insert, update

from systok.cli.main import main
from systok.core.times import datetime_to_us
from systok.db.engine import run_transaction
from systok.db.kit import health_readings_t, quarter_runs_t
from systok.health.schemas import QUARTER, Period
from systok.health.service import parse_period, period_health
from systok.ledger.service import Ledger
from systok.quarter.schemas import Stage
from systok.quarter.service import QuarterRun
from systok.quarter.verify import verify_quarter
from tests.quarter.crash import CrashingQuarterRun, SimulatedCrash
from tests.quarter.health_world import NOW, QUARTER_GOLDEN, WEEK_GOLDEN, build_health
from tests.quarter.test_run import every_table
from tests.quarter.world import POLICY, build
from tests.quarter.world import QUARTER as Q1


def golden_of(document: dict) -> dict:
    return {
        r["metric"]: (r["numerator"], r["denominator"], r["value"], r["status"])
        for r in document["readings"]
    }


def test_health_stage_stores_the_golden_readings(engine: Engine) -> None:
    build_health(engine)
    QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(Q1)
    found = run_transaction(
        engine,
        lambda s: period_health(s, POLICY, Period(QUARTER, Q1), now_us=datetime_to_us(NOW)),
    )
    assert not found.computed_now
    got = {
        r.metric: (r.value.numerator, r.value.denominator, r.status.value)
        for r in found.readings
        if r.value is not None
    }
    assert got == {m: (n, d, s) for m, (n, d, _, s) in QUARTER_GOLDEN.items()}


def test_systok_health_golden_quarter_and_week(cli_on, capsys) -> None:
    build_health(cli_on)
    with time_machine.travel(NOW, tick=False):
        assert main(["health", "--quarter", "2026-Q1", "--json"]) == 0, capsys.readouterr().err
        quarter = json.loads(capsys.readouterr().out)
        assert quarter["period"] == "2026-Q1" and quarter["computed_now"] is True
        assert golden_of(quarter) == QUARTER_GOLDEN
        inflation = quarter["readings"][0]
        assert (inflation["unit"], inflation["target_max"], inflation["critical_above"]) == (
            "percent",
            "5",
            "10",
        )
        before = every_table(cli_on)
        assert main(["health", "--quarter", "2026-Q1", "--json"]) == 0
        again = json.loads(capsys.readouterr().out)
        assert again["computed_now"] is False and again["readings"] == quarter["readings"]
        assert every_table(cli_on) == before  # stored readings never change

        assert main(["health", "--week", "2026-W05", "--json"]) == 0
        assert golden_of(json.loads(capsys.readouterr().out)) == WEEK_GOLDEN
        assert main(["health", "--week", "2026-W05"]) == 0
        assert "inflation_yearly" in capsys.readouterr().out


def test_health_refusals_write_nothing(cli_on, capsys) -> None:
    build_health(cli_on)
    before = every_table(cli_on)
    with time_machine.travel(NOW, tick=False):
        assert main(["health", "--quarter", "2026-Q2"]) == 1
        assert "period: 2026-Q2 is still open" in capsys.readouterr().err
        assert main(["health", "--week", "2026-W99"]) == 65
        assert "period: '2026-W99'" in capsys.readouterr().err
        assert main(["health", "--week", "2026-Q1"]) == 65
        assert "--week: '2026-Q1' is not an ISO week" in capsys.readouterr().err
        assert main(["health", "--week", "2026-W05", "--quarter", "2026-Q1"]) == 65
        capsys.readouterr()
    assert every_table(cli_on) == before


def test_default_is_the_last_closed_week(cli_on, capsys) -> None:
    build_health(cli_on)
    with time_machine.travel(NOW, tick=False):  # Thursday of 2026-W14
        assert main(["health", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["period"] == "2026-W13"
    assert str(parse_period(" 2026-w05 ")) == "2026-W05"


def table_rows(engine: Engine, name: str) -> list[tuple]:
    return every_table(engine)[name]


def test_price_and_health_stages_on_the_community(engine: Engine) -> None:
    """The run prices the quarter and stores its readings; a rerun and a crash after
    either stage leave the same rows."""
    build(engine)
    clock = lambda: datetime_to_us(NOW)  # noqa: E731
    with pytest.raises(SimulatedCrash):
        CrashingQuarterRun(engine, POLICY, clock=clock, crash_after=Stage.PRICE).run(Q1)
    assert len(table_rows(engine, "quarter_prices")) == 1
    assert table_rows(engine, "health_readings") == []
    QuarterRun(engine, POLICY, clock=clock).run(Q1)
    readings = table_rows(engine, "health_readings")
    assert len(readings) == 6
    before = every_table(engine)
    QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW) + 1).run(Q1)
    assert every_table(engine) == before


def test_no_stk_issued_means_no_price_and_the_run_goes_on(engine: Engine) -> None:
    """An empty ledger: the price stage stores no price, health stores `no_value`s."""
    run_transaction(
        engine, lambda s: Ledger(s).ensure_assets({c: a.scale for c, a in POLICY.assets.items()})
    )
    summary = QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(Q1)
    assert summary.stage == Stage.DONE
    assert table_rows(engine, "quarter_prices") == []
    found = run_transaction(
        engine,
        lambda s: period_health(s, POLICY, Period(QUARTER, Q1), now_us=datetime_to_us(NOW)),
    )
    statuses = {r.metric: r.status.value for r in found.readings}
    assert statuses == {
        "inflation_yearly": "no_value",
        "velocity": "no_value",
        "active_wallets": "no_value",
        "frozen_tokens": "no_value",
        "treasury": "no_value",
        "gini": "unrated",  # 0 when nobody holds
    }


def test_a_run_done_before_the_new_stages_stays_done(engine: Engine) -> None:
    build(engine)
    run_transaction(
        engine,
        lambda s: s.execute(
            insert(quarter_runs_t).values(
                quarter=str(Q1),
                policy_version=POLICY.version,
                policy_hash=POLICY.content_hash,
                stage=Stage.DONE.value,
                created_at_us=0,
                updated_at_us=0,
            )
        ),
    )
    before = every_table(engine)
    summary = QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(Q1)
    assert summary.stage == Stage.DONE
    assert every_table(engine) == before


def test_verify_quarter_names_a_tampered_reading(engine: Engine) -> None:
    build_health(engine)
    QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(Q1)
    assert verify_quarter(engine, POLICY, Q1) == []
    run_transaction(
        engine,
        lambda s: s.execute(
            update(health_readings_t)
            .where(health_readings_t.c.metric == "treasury")
            .values(numerator="2200", status="critical")
        ),
    )
    assert verify_quarter(engine, POLICY, Q1) == [
        "health 2026-Q1 treasury: stored value 2200/103, the ledger gives 2100/103",
        "health 2026-Q1 treasury: stored critical (percent), the policy gives ok (percent)",
    ]
