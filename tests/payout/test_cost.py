"""``systok payout cost``: fees and rent by arithmetic, members per transaction as packed."""

from __future__ import annotations

import json

import pytest
from solders.keypair import Keypair

from systok.cli.main import main
from systok.payout.chain import ChainToken, make_transfer, mint_address, pack_batches
from systok.payout.cost import members_per_transaction, payout_cost, rent_exempt_lamports

LABEL = "SysTok 2026-W05 stk-2025-12 batch"


def test_rent_is_solanas_formula_and_the_vms(chain):
    for data_len, lamports in ((165, 2_039_280), (82, 1_461_600)):  # token account, mint
        assert rent_exempt_lamports(data_len) == lamports == chain.rent_exempt_lamports(data_len)


@pytest.mark.parametrize("memo_len", [0, 43, 44, 45, 58, 59, 200])
@pytest.mark.parametrize("create", [False, True])
def test_members_per_transaction_is_what_packing_takes(memo_len, create):
    payer = Keypair()
    token = ChainToken(payer, mint_address(payer.pubkey()))
    transfers = [make_transfer(token, f"m{n}", Keypair().pubkey(), 1, create) for n in range(25)]
    memo = "x" * memo_len
    assert members_per_transaction(memo, create=create) == len(
        pack_batches(token, transfers, memo)[0]
    )


@pytest.mark.parametrize(
    ("members", "new", "transactions", "lamports"),
    [
        (500, 500, 50, 1_019_890_000),
        (500, 0, 25, 125_000),
        (50_000, 50_000, 5_000, 101_989_000_000),
        (50_000, 0, 2_500, 12_500_000),
    ],
)
def test_weekly_costs_in_the_docs(members, new, transactions, lamports):
    cost = payout_cost(LABEL, members, new)
    assert (cost.transactions, cost.total_lamports) == (transactions, lamports)


def test_the_command_prints_the_bill_as_json(capsys):
    assert main(["payout", "cost", "--members", "500", "--new", "500", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["members_per_transaction"] == {"existing": 20, "new": 10}
    assert (shown["transactions"], shown["total_sol"]) == (50, "1.019890000")
