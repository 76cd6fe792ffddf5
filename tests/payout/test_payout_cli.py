"""``systok payout …`` through the real entry point, on the embedded chain in the data dir."""

from __future__ import annotations

import json
import re

import pytest
from solders.keypair import Keypair

from systok.cli.main import main
from systok.config import get_settings
from systok.db.engine import run_transaction
from systok.ingest import repository as ingest_repo
from systok.payout.adapters import embedded_chain_for, make_adapter
from systok.payout.chain import token_account
from tests.payout.chain_hooks import set_account_data
from tests.payout.test_rpc_adapter import AMOUNT, custody, fund_members


@pytest.fixture
def chain_cli(cli_on, tmp_path, monkeypatch):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SYSTOK_PAYOUT_ADAPTER", "litesvm")
    get_settings.cache_clear()
    run_transaction(cli_on, lambda s: ingest_repo.ensure_member(s, "m1", 0))
    return cli_on


def link_by_cli(capsys, tmp_path, member="m1"):
    wallet = Keypair()
    key_file = tmp_path / f"{member}-wallet.json"
    key_file.write_text(json.dumps(list(bytes(wallet))))
    assert main(["payout", "challenge", member, str(wallet.pubkey())]) == 0
    out = capsys.readouterr().out
    nonce = re.search(r"nonce: ([0-9a-f]{32})", out).group(1)
    message = out[out.index("SysTok: link") :].rstrip("\n")
    message_file = tmp_path / "message.txt"
    message_file.write_text(message)
    assert main(["payout", "sign", str(key_file), str(message_file)]) == 0
    signature = capsys.readouterr().out.strip()
    code = main(["payout", "link", member, "--nonce", nonce, "--signature", signature])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    return wallet


def test_link_withdraw_reconcile_and_a_tampered_balance(chain_cli, capsys, tmp_path):
    assert main(["payout", "withdraw", "m1"]) == 1  # no wallet: a clear refusal
    assert "has no linked wallet" in capsys.readouterr().err

    wallet = link_by_cli(capsys, tmp_path)
    assert main(["payout", "wallets", "--json"]) == 0
    [linked] = json.loads(capsys.readouterr().out)
    assert (linked["member"], linked["address"]) == ("m1", str(wallet.pubkey()))
    fund_members(chain_cli, "m1")
    assert main(["payout", "withdraw", "m1"]) == 0
    assert "withdrawn" in capsys.readouterr().out
    assert custody(chain_cli, "m1") == (0, 0, AMOUNT)
    assert main(["payout", "withdraw", "m1"]) == 1
    assert "no custodial balance" in capsys.readouterr().err

    assert main(["payout", "reconcile"]) == 0
    assert "chain and ledger agree" in capsys.readouterr().out
    assert (tmp_path / "chain" / "payer.json").exists()
    assert (tmp_path / "chain" / "litesvm-state.json").exists()

    settings = get_settings()
    chain = embedded_chain_for(settings)
    account = token_account(wallet.pubkey(), make_adapter(settings).token().mint)
    data = bytearray(chain.account_data(account))
    data[64:72] = (AMOUNT - 5).to_bytes(8, "little")
    set_account_data(chain, account, bytes(data))
    assert main(["payout", "reconcile"]) == 2
    err = capsys.readouterr().err
    assert f"wrong amount: token account of {wallet.pubkey()}" in err
    assert "difference -5" in err
    assert err.count("wrong amount") == 1, "only the altered account differs"


def test_the_payer_key_never_reaches_output_or_database(chain_cli, capsys, tmp_path):
    link_by_cli(capsys, tmp_path)
    fund_members(chain_cli, "m1")
    assert main(["payout", "withdraw", "m1"]) == 0
    capsys.readouterr()
    assert main(["payout", "status", "--json"]) == 0
    out = capsys.readouterr().out
    [batch] = json.loads(out)
    assert (batch["members"], batch["amount_units"], batch["status"]) == (1, AMOUNT, "confirmed")
    payer = Keypair.from_bytes(bytes(json.loads((tmp_path / "chain" / "payer.json").read_text())))
    secret = bytes(payer)[:32]
    assert str(payer) not in out and secret.hex() not in out
    with chain_cli.connect() as connection:
        tables = [
            r[0]
            for r in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                if chain_cli.dialect.name == "sqlite"
                else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        ]
        for table in tables:
            for row in connection.exec_driver_sql(f"SELECT * FROM {table}"):
                for value in row:
                    blob = value if isinstance(value, bytes) else str(value).encode()
                    assert secret not in blob and str(payer).encode() not in blob, table


def test_custodial_adapter_refuses_withdrawals(chain_cli, capsys, tmp_path, monkeypatch):
    link_by_cli(capsys, tmp_path)
    monkeypatch.setenv("SYSTOK_PAYOUT_ADAPTER", "custodial")
    get_settings.cache_clear()
    assert main(["payout", "withdraw", "m1"]) == 1
    assert "custodial" in capsys.readouterr().err
    monkeypatch.setenv("SYSTOK_PAYOUT_ADAPTER", "carrier-pigeon")
    get_settings.cache_clear()
    assert main(["payout", "withdraw", "m1"]) == 78
    assert "use one of custodial, litesvm, rpc" in capsys.readouterr().err


@pytest.mark.parametrize("encoding", ["base64", "hex"])
def test_link_with_a_saved_message_file_and_another_encoding(chain_cli, capsys, tmp_path, encoding):
    """The message saved as editors and `>` save it (a trailing newline), signed and checked."""
    import base64

    from solders.signature import Signature

    wallet = Keypair()
    key_file = tmp_path / "wallet.json"
    key_file.write_text(json.dumps(list(bytes(wallet))))
    assert main(["payout", "challenge", "m1", str(wallet.pubkey())]) == 0
    out = capsys.readouterr().out
    nonce = re.search(r"nonce: ([0-9a-f]{32})", out).group(1)
    message_file = tmp_path / "message.txt"
    message_file.write_text(out[out.index("SysTok: link") :])  # ends with "\n", as printed
    assert message_file.read_text().endswith("expires: " + out.split("expires: ")[1])
    assert main(["payout", "sign", str(key_file), str(message_file)]) == 0
    raw = bytes(Signature.from_string(capsys.readouterr().out.strip()))
    signature = base64.b64encode(raw).decode() if encoding == "base64" else raw.hex()
    args = ["payout", "link", "m1", "--nonce", nonce, "--signature", signature]
    code = main([*args, "--message-file", str(message_file)])
    assert code == 0, capsys.readouterr().err
    from systok.payout import repository as payout_repo

    wallets = run_transaction(chain_cli, payout_repo.list_wallets)
    assert [(w.member_id, w.address) for w in wallets] == [("m1", str(wallet.pubkey()))]
