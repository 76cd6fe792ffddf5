"""A bank test in the Jepsen style: money under fire stays exact.

Concurrent clients transfer STK and buy services through a real ``systok serve``
subprocess on PostgreSQL for a bounded time, while a nemesis SIGKILLs (and restarts)
the server twice and terminates the server's database backends every ~2 s. A client
retries an operation with the same Idempotency-Key until it gets a definite answer
(2xx, or a refusal) or gives up. Afterwards the ledger must hold:

- every acknowledged operation exactly once, as the transaction the client was told;
- every unacknowledged one (the client gave up) at most once, every refused one never,
  and nothing that no client asked for;
- supply conserved (all balances sum to zero per asset, the world account unchanged);
- no negative balance but the world's, no held more than posted;
- the full audit (in process, and ``systok audit``'s exit code).

Randomness (members, amounts, the nemesis' timing) comes from one seed, printed, so a
failure can be replayed with ``SYSTOK_FAULTS_SEED``.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from systok.db.engine import run_transaction
from systok.economy.members import request_ledger_key
from systok.ledger.audit import audit_ledger
from systok.policy_files import default_policy
from tests.api.economy import AUDIENCE, ISSUER, STK, fund, mint, public_pem
from tests.faults.processes import ServerProcess, run_systok, systok_env

pytestmark = [pytest.mark.postgres, pytest.mark.faults, pytest.mark.timeout(900)]

SEED = int(os.environ.get("SYSTOK_FAULTS_SEED", "20261202"))
LOAD_SECONDS = 24.0
"""How long clients start new operations while the nemesis works."""
RETRY_SECONDS_MAX = 25.0
"""How long a client keeps retrying one operation before it gives up (unknown outcome)."""
CLIENTS = 6
MEMBERS = tuple(f"bank{n}" for n in range(5))
FUNDING_UNITS = 4_000 * STK
SERVER_APPLICATION_NAME = "systok-faults-server"
TERMINATE_EVERY_SECONDS = 2.0
SERVICES = ("mentor_session_1h", "course_basic")


@dataclass
class Operation:
    """One client operation and what the client learned about it."""

    kind: str  # "transfer" or "purchase"
    member: str
    key: str
    body: dict[str, str] | None
    path: str
    outcome: str = "unknown"  # "ok", "refused" or "unknown"
    transaction_id: int | None = None
    error: str | None = None
    attempts: int = 0
    statuses: list[int | str] = field(default_factory=list)


def _seed_members(engine: Engine) -> None:
    """Members with an open paid membership (transfers go between paid members)."""
    with engine.begin() as connection:
        for member_id in MEMBERS:
            connection.execute(
                text("INSERT INTO members (id, created_at_us) VALUES (:id, 0)"), {"id": member_id}
            )
            connection.execute(
                text(
                    "INSERT INTO member_memberships (member_id, starts_day, ends_day) "
                    "VALUES (:id, 0, NULL)"
                ),
                {"id": member_id},
            )
    for member_id in MEMBERS:
        fund(engine, member_id, FUNDING_UNITS)


def _draw(rng: random.Random, client: int, number: int) -> Operation:
    member = rng.choice(MEMBERS)
    key = f"bank-{SEED}-{client}-{number}"
    if rng.random() < 0.85:
        to = rng.choice([m for m in MEMBERS if m != member])
        amount = f"{rng.randint(1, 60)}.{rng.randint(0, 99):02d}"
        return Operation(
            "transfer", member, key, {"to": to, "amount": amount}, "/api/v1/tokenomics/transfer"
        )
    service = rng.choice(SERVICES)
    return Operation(
        "purchase", member, key, None, f"/api/v1/tokenomics/services/{service}/purchase"
    )


def _perform(client: httpx.Client, op: Operation, give_up_at: float) -> None:
    """Send ``op`` with its one key until a definite answer, or until ``give_up_at``."""
    token = mint(op.member)
    while time.monotonic() < give_up_at:
        op.attempts += 1
        try:
            response = client.post(
                op.path,
                json=op.body,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": op.key},
            )
        except httpx.TransportError as error:
            op.statuses.append(type(error).__name__)
            time.sleep(0.2)
            continue
        op.statuses.append(response.status_code)
        if response.status_code >= 500:
            time.sleep(0.2)
            continue
        if response.is_success:
            op.outcome = "ok"
            op.transaction_id = int(response.json()["transaction_id"])
        else:
            op.outcome = "refused"
            op.error = f"{response.status_code} {response.json().get('error')}"
        return


def _client(
    number: int, base_url: str, stop_at: float, operations: list[Operation], lock: threading.Lock
) -> None:
    rng = random.Random(f"{SEED}:client:{number}")
    with httpx.Client(base_url=base_url, timeout=10) as client:
        count = 0
        while time.monotonic() < stop_at:
            op = _draw(rng, number, count)
            count += 1
            with lock:
                operations.append(op)
            _perform(client, op, time.monotonic() + RETRY_SECONDS_MAX)


def _terminate_server_backends(engine: Engine) -> int:
    with engine.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": SERVER_APPLICATION_NAME},
        ).scalar_one()
    return int(killed)


def _nemesis(
    server: ServerProcess,
    engine: Engine,
    rng: random.Random,
    stop_at: float,
    log: list[str],
) -> None:
    """Kill the server at two seeded moments; terminate its backends every ~2 s."""
    started = time.monotonic()
    kills = sorted(
        started + LOAD_SECONDS * rng.uniform(low, high) for low, high in ((0.2, 0.4), (0.55, 0.75))
    )
    next_terminate = started + TERMINATE_EVERY_SECONDS
    while time.monotonic() < stop_at or kills:
        now = time.monotonic()
        if kills and now >= kills[0]:
            kills.pop(0)
            server.kill()
            log.append(f"{now - started:5.1f}s SIGKILL server")
            time.sleep(rng.uniform(0.1, 1.0))
            server.start()
            log.append(f"{time.monotonic() - started:5.1f}s server restarted")
        elif now >= next_terminate and now < stop_at:
            killed = _terminate_server_backends(engine)
            log.append(f"{now - started:5.1f}s terminated {killed} backend(s)")
            next_terminate = now + TERMINATE_EVERY_SECONDS * rng.uniform(0.75, 1.25)
        time.sleep(0.05)


def _ledger_keys(engine: Engine) -> Counter[str]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT idempotency_key FROM transactions")).scalars()
        return Counter(rows)


def _transaction_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT idempotency_key, id FROM transactions")).all()
    return {key: int(id_) for key, id_ in rows}


def test_acknowledged_money_survives_killed_servers_and_backends(
    pg_engine: Engine, postgres_server_url: str, tmp_path: Path
) -> None:
    print(f"bank test seed {SEED} (set SYSTOK_FAULTS_SEED to replay)")
    started = time.monotonic()
    _seed_members(pg_engine)
    with pg_engine.connect() as connection:
        world_before = dict(
            connection.execute(
                text("SELECT asset, posted_units FROM accounts WHERE type = 'world'")
            ).all()
        )
    url = (
        postgres_server_url
        + ("&" if "?" in postgres_server_url else "?")
        + f"application_name={SERVER_APPLICATION_NAME}"
    )
    env = systok_env(
        url,
        tmp_path / "var",
        jwt_public_key=public_pem(),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
    )
    server = ServerProcess(env, tmp_path, tmp_path / "server.log")
    server.start()
    operations: list[Operation] = []
    lock = threading.Lock()
    nemesis_log: list[str] = []
    stop_at = time.monotonic() + LOAD_SECONDS
    try:
        clients = [
            threading.Thread(
                target=_client, args=(n, server.base_url, stop_at, operations, lock), daemon=True
            )
            for n in range(CLIENTS)
        ]
        for thread in clients:
            thread.start()
        _nemesis(server, pg_engine, random.Random(f"{SEED}:nemesis"), stop_at, nemesis_log)
        for thread in clients:
            thread.join(timeout=RETRY_SECONDS_MAX + 30)
            assert not thread.is_alive(), "a client did not finish its last operation"
    finally:
        server.stop()
    print("\n".join(nemesis_log))

    outcomes = Counter(op.outcome for op in operations)
    statuses = Counter(s for op in operations for s in op.statuses)
    print(
        f"{len(operations)} operations: {dict(outcomes)}; responses {dict(statuses)}; "
        f"{time.monotonic() - started:.1f} s"
    )
    assert server.starts == 3, nemesis_log
    assert sum("terminated" in line for line in nemesis_log) >= 3, nemesis_log
    assert outcomes["ok"] >= 20, "too little acknowledged work to say anything"
    retried = [op for op in operations if op.attempts > 1]
    assert retried, "the nemesis never made a client retry: the test proves nothing"
    assert statuses[500] == 0, [op for op in operations if 500 in op.statuses][:3]
    refusals = Counter(op.error for op in operations if op.outcome == "refused")
    assert set(refusals) <= {"409 InsufficientFunds"}, refusals

    in_ledger = _ledger_keys(pg_engine)
    ids = _transaction_ids(pg_engine)
    asked = set()
    for op in operations:
        key = request_ledger_key(op.kind, op.member, op.key)
        asked.add(key)
        if op.outcome == "ok":
            assert in_ledger[key] == 1, op
            assert ids[key] == op.transaction_id, op
        elif op.outcome == "refused":
            assert in_ledger[key] == 0, op
        else:
            assert in_ledger[key] <= 1, op
    strangers = [k for k in in_ledger if not k.startswith("test-fund:") and k not in asked]
    assert strangers == [], "the ledger holds operations no client asked for"

    with pg_engine.connect() as connection:
        accounts = connection.execute(
            text("SELECT type, owner, asset, posted_units, held_units FROM accounts")
        ).all()
    for asset in {a.asset for a in accounts}:
        assert sum(a.posted_units for a in accounts if a.asset == asset) == 0, asset
    world_after = {a.asset: a.posted_units for a in accounts if a.type == "world"}
    assert world_after == world_before, "money was created or destroyed"
    negative = [a for a in accounts if a.type != "world" and a.posted_units - a.held_units < 0]
    assert negative == []
    assert all(a.held_units >= 0 for a in accounts)

    scales = {code: asset.scale for code, asset in default_policy().assets.items()}
    report = run_transaction(pg_engine, lambda s: audit_ledger(s, scales), snapshot=True)
    assert report.ok, report.violations
    audited = run_systok(["audit"], systok_env(postgres_server_url, tmp_path / "var"), tmp_path)
    assert audited.returncode == 0, audited.stdout + audited.stderr
