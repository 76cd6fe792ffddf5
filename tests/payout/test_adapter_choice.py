"""No silent simulated chain (ADR 0012): outside the embedded database the adapter is chosen.

With the embedded SQLite database (the demo) an unset ``SYSTOK_PAYOUT_ADAPTER`` means
``litesvm``. With any other database every paying path refuses, naming the setting and
its choices, and changes nothing: ``payout withdraw``/``confirm``/``reconcile``/``info``
exit 78, and a weekly run stops before its payout stage, to go on with ``run resume``
once the setting is made. Run on SQLite (a file outside the data dir) and PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from systok.cli.main import main
from systok.config import Settings, get_settings
from systok.db.engine import make_engine
from systok.payout.adapters.choice import adapter_choice
from systok.payout.errors import PayoutAdapterNotChosen
from tests.accrual.test_weekly_run import setup_community
from tests.conftest import reset_ledger
from tests.payout.conftest import link
from tests.payout.test_rpc_adapter import AMOUNT, custody, fund_members

CHOICES = ("custodial", "litesvm", "rpc")
COUNTED = ("transactions", "postings", "holds", "payout_batches", "payout_attempts", "accounts")


def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def assert_names_the_setting(message: str) -> None:
    assert "SYSTOK_PAYOUT_ADAPTER" in message
    assert all(choice in message for choice in CHOICES), message


# --- the rule --------------------------------------------------------------------------


def test_unset_with_the_embedded_database_is_litesvm(tmp_path):
    assert adapter_choice(settings(data_dir=tmp_path)) == "litesvm"
    inside = f"sqlite:///{tmp_path / 'sub' / 'systok.sqlite3'}"
    assert adapter_choice(settings(data_dir=tmp_path, database_url=inside)) == "litesvm"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://systok@db.example.org:5432/systok",
        "sqlite:////elsewhere/systok.sqlite3",
        "sqlite:///:memory:",
        "not a url",
    ],
)
def test_unset_with_any_other_database_refuses_naming_the_setting(tmp_path, url):
    with pytest.raises(PayoutAdapterNotChosen) as refused:
        adapter_choice(settings(data_dir=tmp_path, database_url=url))
    assert_names_the_setting(refused.value.message)
    assert refused.value.exit_code == 78


@pytest.mark.parametrize("choice", CHOICES)
def test_a_chosen_adapter_is_used_with_any_database(tmp_path, choice):
    chosen = settings(data_dir=tmp_path, database_url="postgresql://x@h/db", payout_adapter=choice)
    assert adapter_choice(chosen) == choice


def test_an_unknown_adapter_is_refused_with_the_choices(tmp_path):
    with pytest.raises(PayoutAdapterNotChosen) as refused:
        adapter_choice(settings(data_dir=tmp_path, payout_adapter="carrier-pigeon"))
    assert_names_the_setting(refused.value.message)


# --- every paying path refuses and changes nothing --------------------------------------


def snapshot(engine) -> dict[str, object]:
    """Row counts and every account's balances: what a refusal must leave as it was."""
    with engine.connect() as connection:
        counts = {
            t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in COUNTED
        }
        accounts = connection.execute(
            text("SELECT type, owner, asset, posted_units, held_units FROM accounts ORDER BY id")
        ).all()
        wallets = connection.execute(text("SELECT member_id, address FROM wallets")).all()
    return {"counts": counts, "accounts": [tuple(a) for a in accounts], "wallets": wallets}


@pytest.fixture
def unchosen(cli_on, tmp_path, monkeypatch):
    """The CLI on a database outside the data dir (PostgreSQL, or SQLite elsewhere), no adapter."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(data_dir))
    monkeypatch.delenv("SYSTOK_PAYOUT_ADAPTER", raising=False)
    get_settings.cache_clear()
    assert not get_settings().uses_embedded_database()
    return cli_on, data_dir


def choose(monkeypatch, adapter: str) -> None:
    monkeypatch.setenv("SYSTOK_PAYOUT_ADAPTER", adapter)
    get_settings.cache_clear()


def test_withdraw_confirm_reconcile_info_refuse_and_change_nothing(unchosen, capsys, monkeypatch):
    engine, data_dir = unchosen
    link(engine, "m1")
    fund_members(engine, "m1")
    before = snapshot(engine)
    for command in (
        ["payout", "withdraw", "m1"],
        ["payout", "confirm"],
        ["payout", "reconcile"],
        ["payout", "info", "--json"],
    ):
        assert main(command) == 78, command
        captured = capsys.readouterr()
        assert_names_the_setting(captured.err)
        assert "withdrawn" not in captured.out and "agree" not in captured.out
        assert snapshot(engine) == before, f"{command} changed the database"
    assert custody(engine, "m1") == (AMOUNT, 0, 0)
    assert not (data_dir / "chain").exists(), "no simulated chain or payer key was created"

    choose(monkeypatch, "litesvm")  # chosen explicitly: the same database now pays
    assert main(["payout", "withdraw", "m1"]) == 0, capsys.readouterr().err
    assert custody(engine, "m1") == (0, 0, AMOUNT)
    assert main(["payout", "reconcile"]) == 0
    assert "chain and ledger agree" in capsys.readouterr().out


def run_status(capsys) -> list[dict[str, object]]:
    assert main(["run", "status", "--json"]) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def test_the_weekly_run_stops_before_paying_and_resumes_once_chosen(unchosen, capsys, monkeypatch):
    engine, data_dir = unchosen
    setup_community(engine)
    link(engine, "m1")
    assert main(["run", "week", "2026-W02"]) == 78
    assert_names_the_setting(capsys.readouterr().err)
    [run] = run_status(capsys)
    assert run["stage"] == "payout", "the stages before paying committed; the payout did not"
    stopped = snapshot(engine)
    assert stopped["counts"]["payout_batches"] == 0 and stopped["counts"]["holds"] == 0
    rewarded, held, paid = custody(engine, "m1")
    assert rewarded > 0 and (held, paid) == (0, 0)

    assert main(["run", "resume"]) == 78, "still not chosen: refused again, nothing written"
    capsys.readouterr()
    assert snapshot(engine) == stopped
    assert not (data_dir / "chain").exists()

    choose(monkeypatch, "litesvm")
    assert main(["run", "resume"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    [run] = run_status(capsys)
    assert run["stage"] == "done"
    assert custody(engine, "m1") == (0, 0, rewarded), "paid exactly what the run rewarded"
    assert main(["audit"]) == 0


def test_a_custodial_choice_runs_the_week_without_paying(unchosen, capsys, monkeypatch):
    engine, _data_dir = unchosen
    setup_community(engine)
    link(engine, "m1")
    choose(monkeypatch, "custodial")
    assert main(["run", "week", "2026-W02"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    [run] = run_status(capsys)
    assert run["stage"] == "done"
    rewarded, held, paid = custody(engine, "m1")
    assert rewarded > 0 and (held, paid) == (0, 0)


def test_the_embedded_database_still_pays_on_litesvm_by_default(
    sqlite_template: Path, tmp_path: Path, monkeypatch, capsys
):
    """The demo's setting: no database URL, so SQLite in the data dir, and litesvm."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "systok.sqlite3")
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(data_dir))
    monkeypatch.delenv("SYSTOK_DATABASE_URL", raising=False)
    monkeypatch.delenv("SYSTOK_PAYOUT_ADAPTER", raising=False)
    get_settings.cache_clear()
    embedded = make_engine(get_settings().resolved_database_url())
    try:
        reset_ledger(embedded)
        link(embedded, "m1")
        fund_members(embedded, "m1")
        assert main(["payout", "withdraw", "m1"]) == 0, capsys.readouterr().err
        assert custody(embedded, "m1") == (0, 0, AMOUNT)
        assert (data_dir / "chain" / "litesvm-state.json").exists()
    finally:
        embedded.dispose()
        get_settings.cache_clear()
