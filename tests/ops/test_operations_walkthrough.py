"""docs/operations.md followed step by step on a fresh PostgreSQL database.

The steps, in the doc's order: migrate, import members and events, link a wallet, run
a closed week with ``SYSTOK_PAYOUT_ADAPTER=rpc`` against a Solana JSON-RPC stand-in on
loopback (tests/payout/rpc_server.py, LiteSVM behind it), reconcile, back up with
``pg_dump -Fc``, restore with ``pg_restore`` into a second database, and there ``systok
audit``, ``systok verify week`` and ``systok payout reconcile`` pass. Then the doc's
warning: a backup taken *before* the payout, restored, is told apart by reconcile (exit 2
naming the week's memo on chain that the restored ledger does not know).

The CLI runs through its real entry point (``systok.cli.main.main``, what the console
script calls) with the settings in the environment, as the systemd units set them; the
PostgreSQL client tools run as subprocesses. Installing into a fresh venv is left out
(minutes): the doc's ``pip install`` line is what ``dev.py`` does, without ``[dev]``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from solders.keypair import Keypair
from sqlalchemy import text
from sqlalchemy.engine import make_url

from systok.cli.main import main
from systok.config import get_settings
from systok.db.engine import make_engine
from systok.payout.embedded import EmbeddedChain
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES
from tests.payout.rpc_server import LoopbackRpc
from tests.payout.test_payout_cli import link_by_cli

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
WEEK = "2025-W20"  # the week of docs/examples/events.jsonl, long closed


def libpq_url(database: str) -> str:
    """The URL the PostgreSQL client tools take (no SQLAlchemy driver suffix)."""
    url = make_url(POSTGRES_URL).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def systok_url(database: str) -> str:
    url = make_url(POSTGRES_URL).set(database=database)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def databases():
    """Three empty databases: production, the restored copy, an old backup restored."""
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (apt-get install postgresql-client)")
    admin = make_engine(
        make_url(POSTGRES_URL).render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        pool_size=1,
    )
    try:
        with admin.connect() as connection:
            server_major = connection.execute(text("SHOW server_version_num")).scalar_one()
    except Exception as error:
        admin.dispose()
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL not reachable at {POSTGRES_URL}: {error}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    dump_version = subprocess.run(
        ["pg_dump", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert f" {int(server_major) // 10000}." in dump_version, (
        f"pg_dump must match the server's major version: {dump_version.strip()} "
        f"vs server {server_major}"
    )
    tag = uuid.uuid4().hex[:8]
    names = [f"systok_ops_{tag}_{role}" for role in ("prod", "copy", "old")]
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield names
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def rpc():
    chain = EmbeddedChain()
    server = LoopbackRpc(chain).start()
    yield server
    server.stop()


def use_database(monkeypatch, name: str) -> None:
    monkeypatch.setenv("SYSTOK_DATABASE_URL", systok_url(name))
    get_settings.cache_clear()


def ok(capsys, *argv: str, exit_code: int = 0) -> str:
    code = main(list(argv))
    out = capsys.readouterr()
    assert code == exit_code, f"systok {' '.join(argv)} exited {code}: {out.err}"
    return out.out


def dump(name: str, path: Path) -> None:
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={path}", libpq_url(name)],
        check=True,
        timeout=120,
    )


def restore(path: Path, name: str) -> None:
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq_url(name)}", str(path)],
        check=True,
        timeout=120,
    )


def test_deploy_run_pay_back_up_restore_and_check_the_copy(
    databases, rpc, tmp_path, monkeypatch, capsys
):
    prod, copy, old = databases
    # The settings the doc's /etc/systok/systok.env holds (deploy/systok.env.example).
    payer = Keypair()
    rpc.chain.fund(payer.pubkey())
    key_file = tmp_path / "payer.json"
    key_file.write_text(json.dumps(list(bytes(payer))))
    key_file.chmod(0o600)
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SYSTOK_PAYOUT_ADAPTER", "rpc")
    monkeypatch.setenv("SYSTOK_SOLANA_RPC_URL", rpc.url)
    monkeypatch.setenv("SYSTOK_SOLANA_KEYPAIR_PATH", str(key_file))
    monkeypatch.setenv("SYSTOK_PAYOUT_POLL_SECONDS", "0")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("SYSTOK_POLICY", raising=False)
    use_database(monkeypatch, prod)

    # "Install and first start": migrate, import the members and their history.
    ok(capsys, "db", "upgrade")
    ok(capsys, "members", "import", str(EXAMPLES / "members.jsonl"))
    # The example holds one line of an unknown type on purpose: it is quarantined, the
    # rest stored, and the import says so with exit 3 (docs/cli.md) so a cron job notices.
    ok(capsys, "events", "import", str(EXAMPLES / "events.jsonl"), exit_code=3)
    wallet = link_by_cli(capsys, tmp_path, member="m042")
    dump(prod, tmp_path / "before-the-run.dump")  # the old backup of the last section

    # "What runs when": the Monday run of a closed week pays linked members on chain.
    assert main(["run", "week", WEEK, "--json"]) == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out)
    assert summary["stage"] == "done" and summary["rewards_units"] > 0
    batches = json.loads(ok(capsys, "payout", "status", "--json"))
    assert [b["status"] for b in batches] == ["confirmed"]
    assert batches[0]["memo"].startswith(f"SysTok {WEEK}")
    assert "chain and ledger agree" in ok(capsys, "payout", "reconcile")
    ok(capsys, "audit")
    wallets = json.loads(ok(capsys, "payout", "wallets", "--json"))
    assert [w["address"] for w in wallets] == [str(wallet.pubkey())]

    # "Backups": pg_dump of the live database, restored into a second one.
    dump(prod, tmp_path / "after-the-run.dump")
    restore(tmp_path / "after-the-run.dump", copy)
    use_database(monkeypatch, copy)
    ok(capsys, "db", "current")
    ok(capsys, "audit")
    verified = json.loads(ok(capsys, "verify", "week", WEEK, "--json"))
    assert verified == {"week": WEEK, "verified": True}
    assert "chain and ledger agree" in ok(capsys, "payout", "reconcile")
    assert (
        json.loads(ok(capsys, "run", "status", "--json"))[0]["merkle_root"]
        == (summary["merkle_root"])
    )

    # "Restoring an old backup after on-chain payouts": the chain paid what the
    # restored ledger does not know; reconcile says so and exits 2.
    restore(tmp_path / "before-the-run.dump", old)
    use_database(monkeypatch, old)
    ok(capsys, "audit")  # the old ledger is consistent in itself ...
    assert main(["payout", "reconcile"]) == 2  # ... but not with the chain
    err = " ".join(capsys.readouterr().err.split())
    assert f"memo 'SysTok {WEEK}" in err and "not planned" in err
    assert "supply" in err
    get_settings.cache_clear()
