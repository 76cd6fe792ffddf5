"""Approving the shipped policy's ``burn`` rule, which has no ``step_bps``: the approver
gives the amount (``--amount STK``), bounded by the treasury's available balance
(ADR 0041). The ledger is ``tests.quarter.health_world``'s (treasury 2 100 base units,
velocity 240/1109 ≈ 0.216); the shipped rule fires below 0.2, so only its trigger is
raised to 0.3 here — its step stays the shipped ``None``."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import Engine

from systok.cli.main import main
from systok.core.policy import Policy
from systok.db.engine import run_transaction
from systok.ledger.service import Ledger
from tests.quarter.health_world import NOW
from tests.quarter.test_run import every_table
from tests.quarter.test_stabilise import (
    TREASURY,
    run_q1,
    stored,
    supply_and_audit,
    with_burn,
)
from tests.quarter.world import POLICY


def shipped_burn(*, automatic: bool = False) -> Policy:
    """The shipped burn rule (no step), firing on this ledger's velocity."""
    rules = dict(POLICY.stabilisation)
    assert rules["burn"].step_bps is None  # as shipped in policies/*.toml
    rules["burn"] = replace(rules["burn"], trigger_below=Decimal("0.3"), automatic=automatic)
    return replace(POLICY, stabilisation=rules)


def approve(*extra: str, proposal: int) -> int:
    with time_machine.travel(NOW, tick=False):
        return main(["stabilise", "approve", str(proposal), "--by", "ann", "--json", *extra])


def test_the_approver_gives_the_amount(cli_on: Engine, capsys) -> None:
    """--amount 0.0005 STK = 500 base units: treasury 2 100 → 1 600, supply − 500."""
    run_q1(cli_on, shipped_burn())
    burn = stored(cli_on)["burn"]
    assert (burn["status"], burn["step_bps"]) == ("proposed", None)
    supply, ok = supply_and_audit(cli_on)
    assert ok
    assert approve("--amount", "0.0005", proposal=burn["id"]) == 0, capsys.readouterr().err
    document = json.loads(capsys.readouterr().out)
    assert (document["status"], document["amount_units"]) == ("executed", 500)
    assert document["transaction_id"] is not None
    treasury = run_transaction(cli_on, lambda s: Ledger(s).balance(TREASURY).posted_units)
    assert treasury == 1600
    assert supply_and_audit(cli_on) == (supply - 500, True)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ((), "amount: the policy's burn has no step_bps"),
        (("--amount", "0.002101"), "amount: 0.002101 STK is more than the 0.002100 STK"),
        (("--amount", "0"), "amount: '0' STK is not positive"),
        (("--amount", "0.0000001"), "amount:"),
        (("--amount", "x"), "amount:"),
    ],
)
def test_refusals_name_amount_and_write_nothing(cli_on: Engine, capsys, extra, needle) -> None:
    run_q1(cli_on, shipped_burn())
    before = every_table(cli_on)
    assert approve(*extra, proposal=stored(cli_on)["burn"]["id"]) != 0
    assert needle in capsys.readouterr().err
    assert every_table(cli_on) == before


def test_with_a_policy_step_the_amount_is_refused(cli_on: Engine, capsys) -> None:
    run_q1(cli_on, with_burn())
    before = every_table(cli_on)
    assert approve("--amount", "0.0001", proposal=stored(cli_on)["burn"]["id"]) != 0
    assert "amount: only a burn whose policy has no step_bps" in capsys.readouterr().err
    assert every_table(cli_on) == before


def test_an_automatic_burn_without_a_step_waits_for_an_approver(engine: Engine) -> None:
    run_q1(engine, shipped_burn(automatic=True))
    burn = stored(engine)["burn"]
    assert (burn["status"], burn["decided_by"], burn["transaction_id"]) == ("proposed", None, None)
