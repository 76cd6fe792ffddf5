"""The quarterly run's stabilise stage and ``systok stabilise`` on the hand-computed
ledger of ``tests.quarter.health_world`` (inflation 12 %/yr, critical; velocity
240/1109) with directive prices 10.00 RUB (2025-Q4) and 7.50 RUB (2026-Q1): a fall
of 25 %, more than the 20 % that fires the buyback rule (ADR 0030)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select, update

from systok.cli.main import main
from systok.core.ledger import AccountRef, AccountType
from systok.core.policy import Policy
from systok.core.times import datetime_to_us
from systok.db.engine import run_transaction
from systok.db.kit import quarter_prices_t, stabilisation_proposals_t
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from systok.quarter.service import QuarterRun
from systok.quarter.verify import verify_quarter
from systok.stabilisation.service import burn_units, record_quarter
from tests.quarter.health_world import NOW, build_health
from tests.quarter.test_run import every_table
from tests.quarter.world import POLICY
from tests.quarter.world import QUARTER as Q1

TREASURY = AccountRef(AccountType.FUND_TREASURY, "STK")
BURN = AccountRef(AccountType.BURN, "STK")


def set_prices(engine: Engine, prices: dict[str, int]) -> None:
    def work(session) -> None:
        for quarter, units in prices.items():
            session.execute(
                insert(quarter_prices_t).values(
                    quarter=quarter,
                    policy_version=POLICY.version,
                    policy_hash=POLICY.content_hash,
                    quote_asset="RUB",
                    price_units=units,
                    backing_units=units,
                    issued_units=1,
                    inputs="{}",
                    set_at_us=0,
                )
            )

    run_transaction(engine, work)


def with_burn(*, automatic: bool = False) -> Policy:
    """The policy with the burn rule firing on this ledger's velocity (< 0.3), 3.33 %."""
    rules = dict(POLICY.stabilisation)
    rules["burn"] = replace(
        rules["burn"], trigger_below=Decimal("0.3"), step_bps=333, automatic=automatic
    )
    if automatic:
        rules["emission_adjustment"] = replace(rules["emission_adjustment"], automatic=True)
    return replace(POLICY, stabilisation=rules)


def run_q1(engine: Engine, policy: Policy = POLICY) -> None:
    build_health(engine)
    set_prices(engine, {"2025-Q4": 1000, "2026-Q1": 750})
    QuarterRun(engine, policy, clock=lambda: datetime_to_us(NOW)).run(Q1)


def stored(engine: Engine) -> dict[str, dict]:
    with engine.connect() as connection:
        rows = connection.execute(select(stabilisation_proposals_t)).mappings()
        return {r["rule"]: dict(r) for r in rows}


def test_critical_inflation_and_a_25_percent_fall_propose_emission_and_buyback(
    engine: Engine,
) -> None:
    run_q1(engine)
    found = stored(engine)
    assert set(found) == {"buyback", "emission_adjustment"}
    buyback, emission = found["buyback"], found["emission_adjustment"]
    assert (buyback["metric"], buyback["numerator"], buyback["denominator"]) == (
        "price_change",
        "-25",
        "1",
    )
    assert (buyback["direction"], buyback["threshold"], buyback["step_bps"]) == (
        "below",
        "-20",
        None,
    )
    assert (emission["metric"], emission["numerator"], emission["denominator"]) == (
        "inflation_yearly",
        "12",
        "1",
    )
    assert (emission["direction"], emission["threshold"], emission["step_bps"]) == (
        "above",
        "10",
        2500,
    )
    for row in found.values():
        assert (row["status"], row["quarter"], row["automatic"]) == ("proposed", "2026-Q1", False)
        assert row["decided_by"] is None and row["transaction_id"] is None

    before = every_table(engine)
    QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(Q1)
    again = run_transaction(
        engine,
        lambda s: record_quarter(s, POLICY, Q1, run_id=1, now_us=datetime_to_us(NOW)),
    )
    assert again.proposals == ()
    assert every_table(engine) == before  # a settled quarter changes nothing


def test_no_previous_price_leaves_the_buyback_unevaluated(engine: Engine) -> None:
    build_health(engine)
    QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(Q1)
    assert set(stored(engine)) == {"emission_adjustment"}
    done = run_transaction(
        engine,
        lambda s: record_quarter(s, POLICY, Q1, run_id=1, now_us=datetime_to_us(NOW)),
    )
    assert [(u.rule, u.metric, u.reason) for u in done.unevaluated] == [
        ("buyback", "price_change", "no value for this period")
    ]


def supply_and_audit(engine: Engine) -> tuple[int, bool]:
    report = run_transaction(engine, audit_ledger, snapshot=True)
    return report.supply_units["STK"], report.ok


def test_approving_a_burn_burns_floor_of_treasury_times_step(cli_on: Engine, capsys) -> None:
    run_q1(cli_on, with_burn())
    burn_id = stored(cli_on)["burn"]["id"]
    assert stored(cli_on)["burn"]["numerator"] == "240"
    treasury = run_transaction(cli_on, lambda s: Ledger(s).balance(TREASURY).posted_units)
    supply, ok = supply_and_audit(cli_on)
    assert treasury == 2100 and ok
    burned = burn_units(treasury, 333)
    assert burned == 69  # floor(2 100 × 333 / 10 000) = floor(69.93)
    with time_machine.travel(NOW, tick=False):
        code = main(["stabilise", "approve", str(burn_id), "--by", "ann", "--json"])
        assert code == 0, capsys.readouterr().err
    document = json.loads(capsys.readouterr().out)
    assert (document["status"], document["decided_by"], document["amount_units"]) == (
        "executed",
        "ann",
        69,
    )
    assert document["transaction_id"] is not None
    after = run_transaction(
        cli_on, lambda s: (Ledger(s).balance(TREASURY).posted_units, Ledger(s).balance(BURN))
    )
    assert after[0] == treasury - burned
    new_supply, ok = supply_and_audit(cli_on)
    assert new_supply == supply - burned and ok


def test_approving_another_action_records_it_for_the_next_quarter(cli_on: Engine, capsys) -> None:
    run_q1(cli_on)
    emission_id = stored(cli_on)["emission_adjustment"]["id"]
    with time_machine.travel(NOW, tick=False):
        assert main(["stabilise", "approve", str(emission_id), "--by", "ann", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["status"], document["effective_quarter"], document["step_bps"]) == (
        "approved",
        "2026-Q2",
        2500,
    )
    assert document["transaction_id"] is None and document["amount_units"] is None
    with time_machine.travel(NOW, tick=False):
        assert main(["stabilise", "list", "--status", "proposed", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["rule"] for p in listed] == ["buyback"]
    assert listed[0]["value"] == {"numerator": "-25", "denominator": "1"}


def test_an_automatic_rule_executes_in_the_stage(engine: Engine) -> None:
    run_q1(engine, with_burn(automatic=True))
    found = stored(engine)
    assert (found["burn"]["status"], found["burn"]["decided_by"]) == ("executed", "policy")
    assert found["burn"]["amount_units"] == 69
    emission = found["emission_adjustment"]
    assert (emission["status"], emission["decided_by"]) == ("approved", "policy")
    assert found["buyback"]["status"] == "proposed"
    treasury = run_transaction(engine, lambda s: Ledger(s).balance(TREASURY).posted_units)
    assert treasury == 2100 - 69


LATE = datetime(2026, 7, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("argv", "when", "needle"),
    [
        (["stabilise", "approve", "999", "--by", "ann"], NOW, "id: no stabilisation proposal"),
        (["stabilise", "approve", "{id}"], NOW, "by:"),
        (["stabilise", "reject", "{id}", "--by", "ann"], NOW, "reason:"),
        (["stabilise", "approve", "{decided}", "--by", "bob"], NOW, "already"),
        (["stabilise", "reject", "{decided}", "--by", "bob", "--reason", "x"], NOW, "already"),
        (["stabilise", "approve", "{id}", "--by", "ann"], LATE, "can no longer be approved"),
        (["stabilise", "list", "--status", "maybe"], NOW, "status:"),
        (["stabilise", "list", "--quarter", "2026-Q9"], NOW, "quarter:"),
    ],
)
def test_refusals_write_nothing(cli_on: Engine, capsys, argv, when, needle) -> None:
    run_q1(cli_on, with_burn())
    found = stored(cli_on)
    with time_machine.travel(NOW, tick=False):
        decided = str(found["emission_adjustment"]["id"])
        assert main(["stabilise", "reject", decided, "--by", "ann", "--reason", "no"]) == 0
    capsys.readouterr()
    argv = [a.format(id=found["burn"]["id"], decided=decided) for a in argv]
    before = every_table(cli_on)
    with time_machine.travel(when, tick=False):
        assert main(argv) != 0
    assert needle in capsys.readouterr().err
    assert every_table(cli_on) == before


def test_the_run_reports_proposals_and_unevaluated_rules(cli_on: Engine, capsys) -> None:
    build_health(cli_on)
    with time_machine.travel(NOW, tick=False):
        assert main(["run", "quarter", "2026-Q1", "--json"]) == 0, capsys.readouterr().err
    document = json.loads(capsys.readouterr().out)
    assert document["stabilisation"] == {
        "proposals": [
            {
                "id": 1,
                "rule": "emission_adjustment",
                "metric": "inflation_yearly",
                "status": "proposed",
            }
        ],
        "unevaluated": [
            {"rule": "buyback", "metric": "price_change", "reason": "no value for this period"}
        ],
    }


def not_price(differences: list[str]) -> list[str]:
    """``set_prices`` fabricates the quarters' prices (the goldens need a 25 % fall), so
    the price replay names them; the price check has its own tests (test_verify_tamper)."""
    return [d for d in differences if not d.startswith("price of ")]


def test_verify_quarter_checks_the_proposals(engine: Engine) -> None:
    run_q1(engine)
    assert not_price(verify_quarter(engine, POLICY, Q1)) == []
    with engine.begin() as connection:
        connection.execute(
            update(stabilisation_proposals_t)
            .where(stabilisation_proposals_t.c.rule == "buyback")
            .values(numerator="-30")
        )
    assert not_price(verify_quarter(engine, POLICY, Q1)) == [
        "stabilisation 2026-Q1 buyback: stored price_change = -30, "
        "the readings give price_change = -25"
    ]


@given(treasury=st.integers(min_value=0, max_value=10**18), step=st.integers(0, 10_000))
def test_burn_units_is_the_floor_and_never_exceeds_the_treasury(treasury: int, step: int) -> None:
    burned = burn_units(treasury, step)
    assert 0 <= burned <= treasury
    assert burned * 10_000 <= treasury * step < (burned + 1) * 10_000
