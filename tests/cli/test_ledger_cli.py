"""``systok db``, ``ledger``, ``audit`` and ``demo`` through the real entry point."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from systok.cli.main import main
from systok.config import get_settings


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Each test gets its own data folder and embedded database, and a wide terminal."""
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SYSTOK_DATABASE_URL", raising=False)
    monkeypatch.delenv("SYSTOK_POLICY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_commands_need_a_migrated_database(capsys, isolated):
    assert main(["audit"]) == 75
    err = capsys.readouterr().err
    assert "does not exist: run `systok db upgrade`" in err
    assert not (isolated / "systok.sqlite3").exists()  # not created empty by looking
    (isolated / "systok.sqlite3").touch()
    assert main(["audit"]) == 75
    err = capsys.readouterr().err
    assert "has no SysTok schema; run `systok db upgrade`" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_upgrade_then_audit_an_empty_ledger(capsys):
    from systok.db.migrate import MIGRATIONS_DIR

    newest = max(p.name.split("_")[0] for p in (MIGRATIONS_DIR / "versions").glob("0*.py"))
    assert main(["db", "upgrade"]) == 0
    assert f"migrated empty → {newest}" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert f"already at {newest}" in capsys.readouterr().out
    assert main(["audit"]) == 0
    assert "audit ok: 0 journal entries" in capsys.readouterr().out


def test_demo_runs_and_its_ledger_audits(capsys, isolated, monkeypatch):
    assert main(["ledger", "demo"]) == 0
    out = capsys.readouterr().out
    assert "minted one week of emission: 19178082.000000 STK" in out
    assert "replayed=True, same entry=True" in out
    assert "refused as expected, nothing written" in out
    assert "audit ok" in out
    demo_db = isolated / "demo.sqlite3"
    monkeypatch.setenv("SYSTOK_DATABASE_URL", f"sqlite:///{demo_db}")
    get_settings.cache_clear()
    assert main(["audit"]) == 0
    capsys.readouterr()
    assert main(["ledger", "balances", "--asset", "STK", "--json"]) == 0
    balances = {b["account"]: b for b in json.loads(capsys.readouterr().out)}
    assert balances["member:m001@STK"] | {"account": None} == {
        "account": None,
        "type": "member",
        "owner": "m001",
        "asset": "STK",
        "scale": 6,
        "posted_units": 1_383_000_000,
        "held_units": 0,
        "available_units": 1_383_000_000,
    }
    assert balances["pool:rewards@STK"]["held_units"] == 150_000_000, "the vesting hold"

    with sqlite3.connect(demo_db) as connection:  # tamper behind the ledger's back
        connection.execute(
            "UPDATE postings SET amount_units = amount_units + 1 "
            "WHERE transaction_id = 2 AND amount_units > 0"
        )
    assert main(["audit"]) == 2
    err = capsys.readouterr().err
    assert "audit failed" in err and "content does not match its digest" in err
    assert "Traceback" not in err


def test_demo_twice_starts_fresh(capsys):
    assert main(["ledger", "demo"]) == 0
    first = capsys.readouterr().out
    assert main(["ledger", "demo"]) == 0
    assert "6 journal entries" in first and "6 journal entries" in capsys.readouterr().out


def test_usage_errors_exit_2_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "systok.cli", "ledger", "nonsense"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "No such command" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [[], ["db"], ["ledger"], ["policy"], ["audit"], ["demo"]])
def test_help_everywhere(capsys, command):
    assert main([*command, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out


def test_expire_holds_command(capsys, isolated, monkeypatch):
    from systok.core.ledger import (
        AccountType,
        HoldDraft,
        TransactionCode,
        member_account,
        system_account,
    )
    from systok.db.engine import make_engine, run_transaction
    from systok.ledger.service import Ledger

    assert main(["db", "upgrade"]) == 0
    engine = make_engine(f"sqlite:///{isolated / 'systok.sqlite3'}")

    def setup(session):
        ledger = Ledger(session, clock=lambda: 1_000)
        ledger.ensure_assets({"STK": 6})
        ledger.transfer(
            system_account(AccountType.WORLD),
            member_account("a"),
            10,
            code=TransactionCode.EMISSION,
            idempotency_key="e",
        )
        ledger.create_hold(
            HoldDraft(
                TransactionCode.ESCROW,
                "h1",
                member_account("a"),
                member_account("b"),
                5,
                expires_at_us=2_000,
            )
        )
        ledger.create_hold(
            HoldDraft(
                TransactionCode.ESCROW,
                "h2",
                member_account("a"),
                member_account("b"),
                5,
                expires_at_us=None,
            )
        )

    run_transaction(engine, setup)
    capsys.readouterr()
    assert main(["ledger", "expire-holds"]) == 0
    assert "expired 1 hold(s)" in capsys.readouterr().out
    assert main(["ledger", "expire-holds"]) == 0
    assert "expired 0 hold(s)" in capsys.readouterr().out
    assert main(["audit"]) == 0
