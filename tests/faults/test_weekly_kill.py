"""The weekly run SIGKILLed across all its stages, resumed, equals a clean run bit for bit.

Two PostgreSQL databases get the same input: a small synthetic community
(``systok.sim.community``), two closed weeks of its events, and wallets linked for some
members so that the payout and confirm stages pay them on the embedded LiteSVM chain
(its state file under each run's own data dir, one payer key shared by both so the
mint is the same address).

The clean database runs ``systok run week W`` once per week. The faulty one runs the
same command in a subprocess that a watcher SIGKILLs at seeded points: as soon as the
run reaches a stage (collect, score, report, post, payout, confirm) plus a seeded delay
of a few milliseconds; in the confirm stage once as it begins (the batches are signed
and saved, perhaps not sent yet) and once when a batch's transaction was sent but is
not settled (a payout in flight on the chain). After each kill ``systok run resume`` picks up; when
every kill point is spent, resume runs until the week is settled.

Then both sides must agree exactly: each week's CSV (the file and ``systok report
csv``), its Merkle root, every account's balance, the ledger's idempotency keys, the
payout batches, each wallet's tokens on chain and the reconciliation of the chain with
the ledger (which must find no difference on either side); the ledger audit passes on
both, and the faulty side's ``systok payout reconcile`` and ``systok audit`` exit 0.
The kill points come from
one printed seed (``SYSTOK_FAULTS_SEED``); which ones actually hit a running process is
printed, and at least one a week must have.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from solders.keypair import Keypair
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from systok.config import Settings
from systok.core.weeks import IsoWeek
from systok.db import migrate
from systok.db.engine import make_engine, run_transaction
from systok.ingest.files import import_member_lines
from systok.ingest.service import Ingestor
from systok.ledger.audit import audit_ledger
from systok.payout.adapters import LitesvmAdapter, make_adapter
from systok.payout.chain import token_account
from systok.payout.reconcile import reconcile
from systok.payout.wallets import issue_challenge, link_wallet, sign_message
from systok.policy_files import policy_for_week
from systok.sim.community import generate_community
from tests.conftest import POSTGRES_URL, reset_ledger
from tests.faults.processes import run_systok, sigkill, systok, systok_env

pytestmark = [pytest.mark.postgres, pytest.mark.faults, pytest.mark.timeout(900)]

SEED = int(os.environ.get("SYSTOK_FAULTS_SEED", "20261202"))
WEEKS = (IsoWeek(2026, 2), IsoWeek(2026, 3))
"""Closed long ago whatever today is; both under the policy stk-2025-12."""
KILL_STAGES = ("collect", "score", "report", "post", "payout", "confirm")
STAGE_ORDER = (*KILL_STAGES, "notify", "done")
MEMBERS, FREE_USERS, WALLET_EVERY = 40, 40, 3
LINKED_AT_US = 1_767_225_600_000_000  # 2026-01-01, before the weeks: links are history
RUN_SECONDS_MAX = 120.0
POLL_SECONDS = 0.003


@dataclass(frozen=True)
class KillPoint:
    """Kill the run once it reached ``stage`` (or a payout is in flight), after ``delay``."""

    stage: str
    delay_seconds: float
    in_flight: bool = False

    def __str__(self) -> str:
        what = "a payout in flight" if self.in_flight else f"stage {self.stage}"
        return f"{what} +{self.delay_seconds * 1000:.0f} ms"


@pytest.fixture
def clean_url() -> Iterator[str]:
    """A second scratch PostgreSQL database for the clean run (migrated, empty)."""
    admin_url = make_url(POSTGRES_URL).render_as_string(hide_password=False)
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1)
    name = f"systok_clean_{SEED}_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    reset_ledger(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _wallets() -> dict[str, Keypair]:
    community = _community()
    linked = sorted(str(p["id"]) for p in community.members)[::WALLET_EVERY]
    return {
        m: Keypair.from_seed(hashlib.sha256(f"systok-faults:{SEED}:{m}".encode()).digest())
        for m in linked
    }


def _community() -> Any:
    return generate_community(
        SEED, members=MEMBERS, free_users=FREE_USERS, weeks=list(WEEKS), bad_fraction=0
    )


def _load_input(engine: Engine) -> None:
    """The same people, wallets and events into a database (what both runs start from)."""
    community = _community()
    people = [*community.members, *community.free_users]
    report = import_member_lines(engine, ((n, json.dumps(p)) for n, p in enumerate(people, 1)))
    assert report.accepted == len(people)

    def link(session: Any) -> None:
        for member_id, keypair in _wallets().items():
            issued = issue_challenge(
                session, member_id, str(keypair.pubkey()), now_us=LINKED_AT_US, ttl_seconds=600
            )
            proof = sign_message(keypair, issued.message)
            link_wallet(session, member_id, issued.nonce, proof, now_us=LINKED_AT_US)

    run_transaction(engine, link)
    policy = policy_for_week(WEEKS[0])
    for week in WEEKS:
        records = list(community.events(week))
        run_transaction(
            engine,
            lambda s, records=records: Ingestor(s, policy=policy).ingest(
                records, source="sim", live=False
            ),
        )


def _kill_plan(rng: random.Random) -> list[KillPoint]:
    """Every stage once, in order, with seeded delays; then a payout in flight."""
    points = [KillPoint(stage, rng.uniform(0, 0.015)) for stage in KILL_STAGES]
    points.append(KillPoint("confirm", rng.uniform(0, 0.005), in_flight=True))
    return points


def _stage(engine: Engine, week: IsoWeek) -> str | None:
    with engine.connect() as connection:
        stage = connection.execute(
            text("SELECT stage FROM accrual_runs WHERE week = :week"), {"week": str(week)}
        ).scalar_one_or_none()
    return None if stage is None else str(stage)


def _payouts_sent(engine: Engine, week: IsoWeek) -> int:
    """Sends of the week's batches that are not settled yet (payouts in flight)."""
    with engine.connect() as connection:
        sent = connection.execute(
            text(
                "SELECT coalesce(sum(a.sends), 0) FROM payout_attempts a "
                "JOIN payout_batches b ON b.id = a.batch_id "
                "JOIN accrual_runs r ON r.id = b.run_id "
                "WHERE r.week = :week AND b.status = 'planned'"
            ),
            {"week": str(week)},
        ).scalar_one()
    return int(sent)


def _reachable(point: KillPoint, stage_at_start: str | None) -> bool:
    """Whether a process starting at this stage can still meet the point while working.

    A resumed process redoes its stage from the start, but the watcher cannot tell when
    it begins to (it would kill it while importing): only later stages count, and a
    payout in flight while the run is still confirming.
    """
    if stage_at_start is None:
        return True
    at, wanted = STAGE_ORDER.index(stage_at_start), STAGE_ORDER.index(point.stage)
    return at <= wanted if point.in_flight else at < wanted


def _reached(engine: Engine, week: IsoWeek, point: KillPoint, sent_at_start: int) -> bool:
    stage = _stage(engine, week)
    if stage is None or STAGE_ORDER.index(stage) < STAGE_ORDER.index(point.stage):
        return False
    if point.in_flight:
        return stage == "confirm" and _payouts_sent(engine, week) > sent_at_start
    return True


def _run_with_kills(
    engine: Engine, env: dict[str, str], cwd: Path, week: IsoWeek, plan: list[KillPoint]
) -> list[str]:
    """Run the week, SIGKILLing it at each point of ``plan`` it reaches; then settle it."""
    log: list[str] = []
    deadline = time.monotonic() + RUN_SECONDS_MAX * 3
    pending = list(plan)
    while True:
        assert time.monotonic() < deadline, log
        stage = _stage(engine, week)
        if stage == "done":
            if pending:
                log.append(f"not reached: {', '.join(map(str, pending))}")
            return log
        while pending and not _reachable(pending[0], stage):
            log.append(f"skipped {pending.pop(0)} (the run is at {stage})")
        sent_at_start = _payouts_sent(engine, week)
        args = ["run", "week", str(week)] if stage is None else ["run", "resume"]
        process = systok(args, env, cwd, cwd / "faulty.log")
        point = pending[0] if pending else None
        while process.poll() is None:
            if point is not None and _reached(engine, week, point, sent_at_start):
                time.sleep(point.delay_seconds)
                if process.poll() is None:
                    sigkill(process)
                    log.append(f"SIGKILL at {point}: the run was at {_stage(engine, week)}")
                else:
                    log.append(f"missed {point}: the process finished first")
                pending.pop(0)
                break
            time.sleep(POLL_SECONDS)
        try:
            code = process.wait(timeout=RUN_SECONDS_MAX)
        except Exception:
            sigkill(process)
            raise
        assert code in (0, -9), (cwd / "faulty.log").read_text(errors="replace")[-4000:]


def _state(engine: Engine) -> dict[str, Any]:
    """What must be equal: roots, balances, ledger keys, payout batches."""
    with engine.connect() as connection:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in connection.execute(text(sql))]

        return {
            "runs": rows(
                "SELECT week, policy_version, stage, merkle_root, emission_units, budget_units, "
                "rewards_units, prorata FROM accrual_runs ORDER BY week"
            ),
            "rewards": rows(
                "SELECT r.week, w.member_id, w.points, w.units, w.paid_units FROM accrual_rewards w "
                "JOIN accrual_runs r ON r.id = w.run_id ORDER BY r.week, w.member_id"
            ),
            "balances": rows(
                "SELECT type, owner, asset, posted_units, held_units FROM accounts "
                "ORDER BY type, owner, asset"
            ),
            "ledger_keys": rows("SELECT code, idempotency_key FROM transactions ORDER BY 2"),
            "batches": rows(
                "SELECT memo, members, amount_units, status FROM payout_batches ORDER BY memo"
            ),
        }


def _chain(env: dict[str, str], engine: Engine) -> dict[str, Any]:
    """The chain as each side sees it: wallets' tokens, supply, and the reconciliation."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=Path(env["SYSTOK_DATA_DIR"]),
        solana_keypair_path=Path(env["SYSTOK_SOLANA_KEYPAIR_PATH"]),
    )
    adapter = make_adapter(settings)
    assert isinstance(adapter, LitesvmAdapter)
    wallets = _wallets()
    mint = adapter.token().mint
    tokens = adapter.token_balances([token_account(wallets[m].pubkey(), mint) for m in wallets])
    result = reconcile(engine, adapter)
    return {
        "tokens": dict(zip(sorted(wallets), tokens, strict=True)),
        "differences": [str(d) for d in result.differences],
        "accounts_checked": result.accounts_checked,
        "transactions_checked": result.transactions_checked,
        "supply_units": result.supply_units,
    }


def test_weekly_runs_killed_at_every_stage_resume_to_the_clean_result(
    pg_engine: Engine, postgres_server_url: str, clean_url: str, tmp_path: Path
) -> None:
    print(f"weekly kill test seed {SEED} (set SYSTOK_FAULTS_SEED to replay)")
    started = time.monotonic()
    payer = tmp_path / "payer.json"
    payer.write_text(json.dumps(list(bytes(Keypair.from_seed(bytes(32))))))
    common = {
        "solana_keypair_path": str(payer),
        "payout_adapter": "litesvm",
        "payout_poll_seconds": "0.05",
        "payout_confirm_timeout_seconds": "60",
    }
    sides = {"clean": tmp_path / "clean", "faulty": tmp_path / "faulty"}
    for folder in sides.values():
        folder.mkdir()
    clean_env = systok_env(clean_url, sides["clean"] / "var", **common)
    faulty_env = systok_env(postgres_server_url, sides["faulty"] / "var", **common)
    clean_engine = make_engine(clean_url)
    try:
        for engine in (clean_engine, pg_engine):
            _load_input(engine)
        rng = random.Random(f"{SEED}:weekly-kills")
        kills = 0
        for week in WEEKS:
            done = run_systok(["run", "week", str(week)], clean_env, sides["clean"])
            assert done.returncode == 0, done.stdout + done.stderr
            plan = _kill_plan(rng)
            log = _run_with_kills(pg_engine, faulty_env, sides["faulty"], week, plan)
            print(f"{week}:\n  " + "\n  ".join(log))
            hits = sum(line.startswith("SIGKILL") for line in log)
            assert hits >= 1, f"no kill point of {week} hit a running process: {log}"
            kills += hits
        print(f"{kills} SIGKILLs; {time.monotonic() - started:.1f} s")

        for week in WEEKS:
            name = f"rewards-{week}-{policy_for_week(week).version}.csv"
            files = {
                side: (folder / "var" / "reports" / name).read_bytes()
                for side, folder in sides.items()
            }
            assert files["faulty"] == files["clean"], week
            assert files["clean"].count(b"\n") > 5, "a week with rewards to compare"
            printed = run_systok(["report", "csv", str(week)], faulty_env, sides["faulty"])
            assert printed.stdout == files["clean"].decode(), printed.stderr
        clean_state, faulty_state = _state(clean_engine), _state(pg_engine)
        assert [r[2] for r in clean_state["runs"]] == ["done", "done"]
        assert all(r[3] for r in clean_state["runs"]), "every week has a Merkle root"
        assert clean_state["batches"], "some members were paid on chain"
        for key in clean_state:
            assert faulty_state[key] == clean_state[key], key
        clean_chain, faulty_chain = _chain(clean_env, clean_engine), _chain(faulty_env, pg_engine)
        assert clean_chain["differences"] == []
        assert faulty_chain == clean_chain
        assert any(clean_chain["tokens"].values()), "tokens reached the wallets"
        for engine in (clean_engine, pg_engine):
            report = run_transaction(engine, audit_ledger, snapshot=True)
            assert report.ok, report.violations
        reconciled = run_systok(["payout", "reconcile"], faulty_env, sides["faulty"])
        assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
        audited = run_systok(["audit"], faulty_env, sides["faulty"])
        assert audited.returncode == 0, audited.stdout + audited.stderr
    finally:
        clean_engine.dispose()
