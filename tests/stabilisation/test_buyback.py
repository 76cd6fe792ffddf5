"""A buyback approved with a budget: members sell STK to the treasury at the directive
price, the RUB paid leaves the backing book, the budget is a hard cap (ADR 0034).

Golden (``tests.stabilisation.buyback_world``: price 7.50 RUB = 750 kopecks per STK,
budget 30.00 RUB = 3 000 kopecks, backing 100 000 kopecks for 2026-Q2):

- ``a`` sells 2.5 STK: 2 500 000 × 750 / 10^6 = 1 875 kopecks; 1 125 left.
- ``a`` sells 1.333333 STK: 999.99975 → 999 kopecks (0.99975 stays in the fund);
  126 left; spent 2 874.
- 1 STK more would pay 750 > 126: refused. The book of 2026-Q2 holds
  100 000 − 2 874 = 97 126 kopecks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine, select

from systok.backing.service import backing_book
from systok.cli.main import main
from systok.core.ledger import AccountRef, AccountType, member_account
from systok.core.quarters import Quarter
from systok.db.engine import run_transaction
from systok.db.kit import stabilisation_buybacks_t
from systok.economy.members import freeze_member
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from tests.quarter.health_world import NOW
from tests.quarter.test_run import every_table
from tests.quarter.world import POLICY
from tests.stabilisation.buyback_world import BACKING_KOPECKS, buyback_world
from tests.stabilisation.world import proposal_id

TREASURY = AccountRef(AccountType.FUND_TREASURY, "STK")
Q2 = Quarter(2026, 2)


def cli(*argv: str) -> int:
    with time_machine.travel(NOW, tick=False):
        return main(list(argv))


def balances(engine: Engine) -> tuple[int, int]:
    return run_transaction(
        engine,
        lambda s: (
            Ledger(s).balance(member_account("a")).available_units,
            Ledger(s).balance(TREASURY).posted_units,
        ),
    )


def approved(engine: Engine, capsys) -> int:
    buyback_world(engine)
    found = proposal_id(engine, "buyback")
    assert cli("stabilise", "approve", str(found), "--by", "ann", "--budget", "30", "--json") == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["status"], document["effective_quarter"]) == ("approved", "2026-Q2")
    return found


def sell(capsys: Any, member: str, amount: str, reference: str) -> dict[str, Any]:
    code = cli("stabilise", "sell", member, amount, "--reference", reference, "--json")
    assert code == 0, capsys.readouterr().err
    return dict(json.loads(capsys.readouterr().out))


def test_sales_pay_the_price_floored_and_spend_the_budget(cli_on: Engine, capsys) -> None:
    found = approved(cli_on, capsys)
    with cli_on.connect() as connection:
        row = connection.execute(select(stabilisation_buybacks_t)).mappings().one()
    assert (row["proposal_id"], row["quarter"], row["price_units"]) == (found, "2026-Q2", 750)
    assert (row["budget_units"], row["spent_units"]) == (3000, 0)
    a_before, treasury_before = balances(cli_on)

    first = sell(capsys, "a", "2.5", "bb-1")
    assert (first["paid_units"], first["spent_units"], first["replayed"]) == (1875, 1875, False)
    assert (first["stk_units"], first["price_units"], first["asset"]) == (2_500_000, 750, "RUB")
    second = sell(capsys, "a", "1.333333", "bb-2")
    assert (second["paid_units"], second["spent_units"]) == (999, 2874)

    a_after, treasury_after = balances(cli_on)
    assert a_before - a_after == 3_833_333 == treasury_after - treasury_before
    book = run_transaction(cli_on, lambda s: backing_book(s, POLICY, Q2))
    assert (book.outflows_to_date_units, book.cumulative_units) == (2874, BACKING_KOPECKS - 2874)
    report = run_transaction(cli_on, audit_ledger, snapshot=True)
    assert report.ok
    assert cli("stabilise", "list", "--json") == 0
    listed = {p["rule"]: p for p in json.loads(capsys.readouterr().out)}
    assert (listed["buyback"]["budget_units"], listed["buyback"]["spent_units"]) == (3000, 2874)
    assert listed["emission_adjustment"]["budget_units"] is None

    settled = every_table(cli_on)
    again = sell(capsys, "a", "2.5", "bb-1")  # the same reference and content: a replay
    assert (again["replayed"], again["transaction_id"]) == (True, first["transaction_id"])
    assert every_table(cli_on) == settled


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["sell", "a", "1", "--reference", "bb-3"], "the buyback's budget has 1.26 left"),
        (["sell", "a", "2.5", "--reference", "bb-1"], "reference: 'bb-1' already names"),
        (["sell", "a", "0.000001", "--reference", "bb-4"], "pays less than one minor unit"),
        (
            ["sell", "b", "0.002", "--reference", "bb-5"],
            "amount: b has 0.000990 STK available, less than 0.002",
        ),
        (["sell", "a", "0", "--reference", "bb-6"], "amount: '0' STK is not positive"),
        (["sell", "a", "1.0000001", "--reference", "bb-7"], "amount:"),
        (["sell", "nobody", "1", "--reference", "bb-8"], "no member"),
        (["sell", "c", "0.0001", "--reference", "bb-9"], "the seller's account (c) is frozen"),
        (["sell", "a", "1", "--reference", " "], "reference: must be"),
    ],
)
def test_sale_refusals_write_nothing(cli_on: Engine, capsys, argv: list[str], needle: str) -> None:
    approved(cli_on, capsys)
    sell(capsys, "a", "1.5", "bb-1")
    sell(capsys, "a", "2.333333", "bb-2")  # 1 125 + 1 749 = 2 874 spent, 126 left
    run_transaction(cli_on, lambda s: freeze_member(s, "c", "fraud review", 0))
    before = every_table(cli_on)
    assert cli("stabilise", *argv) != 0
    assert needle in capsys.readouterr().err
    assert every_table(cli_on) == before


@pytest.mark.parametrize(
    ("rule", "budget", "needle"),
    [
        ("buyback", None, "budget: a buyback is approved with a budget in RUB"),
        ("buyback", "-5", "budget: '-5' RUB is not positive"),
        ("buyback", "1.001", "budget:"),
        ("buyback", "1000.01", "is more than the backing fund holds for 2026-Q2 (1000.00)"),
        ("emission_adjustment", "5", "budget: only a buyback takes a budget"),
    ],
)
def test_approval_refusals_write_nothing(
    cli_on: Engine, capsys, rule: str, budget: str | None, needle: str
) -> None:
    buyback_world(cli_on)
    before = every_table(cli_on)
    argv = ["stabilise", "approve", str(proposal_id(cli_on, rule)), "--by", "ann"]
    assert cli(*argv, *([] if budget is None else ["--budget", budget])) != 0
    assert needle in capsys.readouterr().err
    assert every_table(cli_on) == before


def test_no_buyback_runs_outside_its_quarter(cli_on: Engine, capsys) -> None:
    buyback_world(cli_on)
    before = every_table(cli_on)
    assert cli("stabilise", "sell", "a", "1", "--reference", "early") != 0
    assert "no buyback runs in 2026-Q2: none was approved for it" in capsys.readouterr().err
    assert every_table(cli_on) == before
