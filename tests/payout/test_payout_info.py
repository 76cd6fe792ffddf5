"""``systok payout info``: the adapter, the cluster (secrets masked), the payer, the mint;
and ``SYSTOK_SOLANA_MINT``, which adopts an existing mint once its program, decimals and
authority are checked. Run on litesvm (the data dir's chain) and rpc (JSON-RPC on loopback).
"""

from __future__ import annotations

import json

import pytest
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import Transaction

from systok.cli.main import main
from systok.config import get_settings
from systok.payout.adapters import embedded_chain_for, mask_url, payer_key_path
from systok.payout.chain import (
    MINT_LEN,
    TOKEN_2022_PROGRAM_ID,
    TOKEN_PROGRAM_ID,
    ensure_keypair,
    initialize_mint_instruction,
    mint_address,
    token_account,
)
from systok.payout.embedded import EmbeddedChain, Executed
from tests.payout.conftest import link
from tests.payout.rpc_server import LoopbackRpc
from tests.payout.test_payout_cli import chain_cli  # noqa: F401 - the fixture
from tests.payout.test_rpc_adapter import AMOUNT, custody, fund_members

RPC_PASSWORD = "hunter2-rpc-password"
RPC_API_KEY = "k3y-0f-the-rpc-provider"


def info(capsys) -> dict[str, object]:
    code = main(["payout", "info", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    shown: dict[str, object] = json.loads(captured.out)
    return shown


def create_mint(
    chain: EmbeddedChain,
    payer: Keypair,
    *,
    decimals: int,
    authority: Pubkey,
    program: Pubkey = TOKEN_PROGRAM_ID,
) -> Pubkey:
    """A mint at a fresh address, made the way `spl-token create-token` makes one."""
    mint = Keypair()
    create = create_account(
        CreateAccountParams(
            from_pubkey=payer.pubkey(),
            to_pubkey=mint.pubkey(),
            lamports=chain.rent_exempt_lamports(MINT_LEN),
            space=MINT_LEN,
            owner=program,
        )
    )
    init = initialize_mint_instruction(mint.pubkey(), decimals, authority, program)
    blockhash, _ = chain.latest_blockhash()
    message = Message.new_with_blockhash([create, init], payer.pubkey(), blockhash)
    outcome = chain.process(bytes(Transaction([payer, mint], message, blockhash)))
    assert isinstance(outcome, Executed) and outcome.error is None, outcome
    return mint.pubkey()


def embedded_payer() -> tuple[EmbeddedChain, Keypair]:
    settings = get_settings()
    chain = embedded_chain_for(settings)
    payer = ensure_keypair(payer_key_path(settings))
    if chain.lamports(payer.pubkey()) == 0:
        chain.fund(payer.pubkey())
    return chain, payer


def test_litesvm_info_before_and_after_the_first_payout(chain_cli, capsys, tmp_path):  # noqa: F811
    shown = info(capsys)
    _chain, payer = embedded_payer()
    mint = mint_address(payer.pubkey())
    assert shown["adapter"] == "litesvm"
    assert shown["adapter_chosen_by"] == "SYSTOK_PAYOUT_ADAPTER"
    assert "embedded LiteSVM" in str(shown["cluster"]) and "simulated" in str(shown["cluster"])
    assert shown["payer"] == str(payer.pubkey())
    assert shown["payer_key_file"] == str(tmp_path / "chain" / "payer.json")
    assert isinstance(shown["payer_balance_lamports"], int) and shown["payer_balance_lamports"] > 0
    lamports = shown["payer_balance_lamports"]
    assert shown["payer_balance_sol"] == f"{lamports // 10**9}.{lamports % 10**9:09d}"
    assert (shown["mint"], shown["mint_source"]) == (str(mint), "derived from the payer")
    assert (shown["token_program"], shown["token_program_id"]) == (
        "spl-token",
        str(TOKEN_PROGRAM_ID),
    )
    assert shown["mint_exists"] is False and shown["decimals"] is None
    assert shown["policy_decimals"] == 6 and shown["problems"] == []

    link(chain_cli, "m1")
    fund_members(chain_cli, "m1")
    assert main(["payout", "withdraw", "m1"]) == 0
    capsys.readouterr()
    shown = info(capsys)
    assert shown["mint_exists"] is True
    assert (shown["decimals"], shown["supply_units"]) == (6, AMOUNT)
    assert shown["mint_authority"] == str(payer.pubkey())
    assert shown["payer_is_mint_authority"] is True and shown["freeze_authority"] is None
    assert shown["problems"] == []

    assert main(["payout", "info"]) == 0  # the table names the same mint
    assert str(mint) in capsys.readouterr().out


def test_custodial_info_has_no_chain(chain_cli, capsys, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SYSTOK_PAYOUT_ADAPTER", "custodial")
    get_settings.cache_clear()
    shown = info(capsys)
    assert (shown["adapter"], shown["on_chain"]) == ("custodial", False)
    assert shown["payer"] is None and shown["mint"] is None


@pytest.fixture
def rpc_cli(cli_on, tmp_path, monkeypatch):
    """The CLI on the rpc adapter against JSON-RPC on loopback, its URL holding secrets."""
    chain = EmbeddedChain(validity_blocks=3)
    server = LoopbackRpc(chain).start()
    payer = Keypair()
    chain.fund(payer.pubkey(), 5 * 10**9)
    key_file = tmp_path / "payer.json"
    key_file.write_text(json.dumps(list(bytes(payer))))
    host = server.url.removeprefix("http://")
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SYSTOK_PAYOUT_ADAPTER", "rpc")
    monkeypatch.setenv(
        "SYSTOK_SOLANA_RPC_URL", f"http://payout:{RPC_PASSWORD}@{host}/?api-key={RPC_API_KEY}"
    )
    monkeypatch.setenv("SYSTOK_SOLANA_KEYPAIR_PATH", str(key_file))
    get_settings.cache_clear()
    yield cli_on, chain, payer, host
    server.stop()


def test_rpc_info_masks_the_url_and_reads_the_cluster(rpc_cli, capsys):
    engine, _chain, payer, host = rpc_cli
    shown = info(capsys)
    assert shown["adapter"] == "rpc"
    assert shown["cluster"] == f"http://payout:***@{host}/?api-key=***"
    assert shown["payer"] == str(payer.pubkey())
    assert (shown["payer_balance_lamports"], shown["payer_balance_sol"]) == (
        5 * 10**9,
        "5.000000000",
    )
    assert shown["mint"] == str(mint_address(payer.pubkey())) and shown["mint_exists"] is False

    link(engine, "m1")
    fund_members(engine, "m1")
    assert main(["payout", "withdraw", "m1"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    shown = info(capsys)
    assert (shown["decimals"], shown["supply_units"]) == (6, AMOUNT)
    assert shown["payer_is_mint_authority"] is True and shown["problems"] == []
    assert shown["payer_balance_lamports"] < 5 * 10**9, "the payer paid fees and rent"

    for command in (["payout", "info"], ["payout", "info", "--json"]):
        assert main(command) == 0
        captured = capsys.readouterr()
        assert RPC_PASSWORD not in captured.out + captured.err
        assert RPC_API_KEY not in captured.out + captured.err


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://api.devnet.solana.com", "https://api.devnet.solana.com"),
        (
            "https://mainnet.helius-rpc.com/?api-key=abc123",
            "https://mainnet.helius-rpc.com/?api-key=***",
        ),
        ("https://u:p4ss@rpc.example.org:8899/", "https://u:***@rpc.example.org:8899/"),
        (
            "https://solana-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUvWx",
            "https://solana-mainnet.g.alchemy.com/v2/***",
        ),
        (
            "https://x.solana-devnet.quiknode.pro/0123456789abcdef0123456789abcdef/",
            "https://x.solana-devnet.quiknode.pro/***/",
        ),
    ],
)
def test_mask_url_hides_passwords_query_values_and_path_tokens(url, masked):
    assert mask_url(url) == masked


# --- adopting an existing mint (SYSTOK_SOLANA_MINT) ---------------------------------------


def adopt(monkeypatch, mint: Pubkey | str) -> None:
    monkeypatch.setenv("SYSTOK_SOLANA_MINT", str(mint))
    get_settings.cache_clear()


def test_an_adopted_mint_is_shown_and_paid_from(chain_cli, capsys, monkeypatch):  # noqa: F811
    chain, payer = embedded_payer()
    mint = create_mint(chain, payer, decimals=6, authority=payer.pubkey())
    adopt(monkeypatch, mint)
    shown = info(capsys)
    assert (shown["mint"], shown["mint_source"]) == (str(mint), "SYSTOK_SOLANA_MINT")
    assert (shown["mint_exists"], shown["decimals"], shown["supply_units"]) == (True, 6, 0)
    assert shown["payer_is_mint_authority"] is True and shown["problems"] == []

    wallet = link(chain_cli, "m1")
    fund_members(chain_cli, "m1")
    assert main(["payout", "withdraw", "m1"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    account = token_account(wallet.pubkey(), mint)
    assert chain.account_data(account) is not None
    assert info(capsys)["supply_units"] == AMOUNT
    assert chain.account_data(mint_address(payer.pubkey())) is None, "no derived mint made"
    assert main(["payout", "reconcile"]) == 0, capsys.readouterr().err


def refused_mint_cases(chain: EmbeddedChain, payer: Keypair) -> dict[str, tuple[Pubkey, str]]:
    return {
        "other decimals": (
            create_mint(chain, payer, decimals=9, authority=payer.pubkey()),
            "has 9 decimals; the policy's STK scale is 6",
        ),
        "other authority": (
            create_mint(chain, payer, decimals=6, authority=Keypair().pubkey()),
            "must be the mint authority",
        ),
        "another token program": (
            create_mint(
                chain, payer, decimals=6, authority=payer.pubkey(), program=TOKEN_2022_PROGRAM_ID
            ),
            "SYSTOK_SOLANA_TOKEN_PROGRAM",
        ),
        "no such account": (Keypair().pubkey(), "does not exist"),
    }


def test_a_mint_that_cannot_pay_is_refused_before_anything_moves(
    chain_cli,  # noqa: F811
    capsys,
    monkeypatch,
):
    chain, payer = embedded_payer()
    link(chain_cli, "m1")
    fund_members(chain_cli, "m1")
    for case, (mint, reason) in refused_mint_cases(chain, payer).items():
        adopt(monkeypatch, mint)
        shown = info(capsys)
        assert any(reason in problem for problem in shown["problems"]), (case, shown)
        assert main(["payout", "withdraw", "m1"]) == 1, case
        assert reason in capsys.readouterr().err, case
        assert custody(chain_cli, "m1") == (AMOUNT, 0, 0), f"{case}: nothing moved"

    adopt(monkeypatch, "not-an-address")
    assert main(["payout", "info"]) == 78
    assert "SYSTOK_SOLANA_MINT 'not-an-address' is not a Solana address" in capsys.readouterr().err
