"""Concurrency on PostgreSQL: the Jepsen-style bank test.

Eight workers move random amounts among 50 accounts (so transfers in opposite
directions collide constantly) for a few seconds. Afterwards the total is conserved, no
balance is negative, the audit passes, and no caller ever saw an error other than
"insufficient funds" (deadlocks are prevented by the lock order and, should one
happen, retried inside ``run_transaction``).

A deliberately broken writer (no row lock, balance computed in the client) runs the
same load and must be caught by the audit: the check is only worth having if it fails
on a real bug.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from sqlalchemy import select, update

from systok.clock import now_us
from systok.core.ledger import (
    AccountType,
    EntryKind,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.db.engine import run_transaction
from systok.db.tables import Account
from systok.errors import InsufficientFunds
from systok.ledger import repository as repo
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger, PostingPath
from tests.ledger.own_transaction import post_in_own_transaction

pytestmark = pytest.mark.postgres

WORKERS = 8
ACCOUNTS = [member_account(f"m{i:02d}") for i in range(50)]
OPENING_UNITS = 1_000
RUN_SECONDS = 3.0


def _open(engine) -> None:
    world = system_account(AccountType.WORLD)
    draft = TransactionDraft(
        TransactionCode.EMISSION,
        "opening",
        (
            Posting(world, -OPENING_UNITS * len(ACCOUNTS)),
            *(Posting(ref, OPENING_UNITS) for ref in ACCOUNTS),
        ),
    )
    run_transaction(engine, lambda s: Ledger(s).post(draft))


def _hammer(engine, transfer) -> tuple[int, int, list[BaseException]]:
    """Run WORKERS threads of random transfers; returns (done, refused, unexpected errors)."""
    deadline = time.monotonic() + RUN_SECONDS
    done, refused, unexpected = [0], [0], []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        n = 0
        while time.monotonic() < deadline:
            source, target = rng.sample(ACCOUNTS, 2)
            amount = rng.randint(1, 400)
            n += 1
            try:
                transfer(source, target, amount, f"w{seed}-{n}")
                with lock:
                    done[0] += 1
            except InsufficientFunds:
                with lock:
                    refused[0] += 1
            except BaseException as error:
                with lock:
                    unexpected.append(error)
                return

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0], refused[0], unexpected


@pytest.mark.parametrize("path", ["own-transaction", PostingPath.FUNCTION, PostingPath.PORTABLE])
def test_concurrent_transfers_conserve_total(pg_engine, path):
    _open(pg_engine)

    def transfer(source, target, amount, key):
        if path == "own-transaction":
            post_in_own_transaction(
                pg_engine,
                TransactionDraft(
                    TransactionCode.TRANSFER,
                    key,
                    (Posting(source, -amount), Posting(target, amount)),
                ),
            )
            return
        run_transaction(
            pg_engine,
            lambda s: Ledger(s, path=path).transfer(
                source, target, amount, code=TransactionCode.TRANSFER, idempotency_key=key
            ),
        )

    done, _refused, unexpected = _hammer(pg_engine, transfer)
    assert not unexpected, unexpected[:3]
    assert done > 100, f"only {done} transfers went through"
    balances = run_transaction(pg_engine, lambda s: Ledger(s).balances("STK"))
    members = [b for b in balances if b.account.type is AccountType.MEMBER]
    assert sum(b.posted_units for b in members) == OPENING_UNITS * len(ACCOUNTS)
    assert all(b.available_units >= 0 for b in members)
    report = run_transaction(pg_engine, audit_ledger)
    assert report.ok, report.violations
    assert report.entries_checked == done + 1


def test_broken_writer_is_caught_by_the_audit(pg_engine):
    """No row lock and a balance computed in the client: lost updates the audit must see."""
    _open(pg_engine)
    accounts = Account.__table__

    def broken_transfer(source, target, amount, key):
        def work(session):
            created = now_us()
            transaction_id = repo.claim_entry(
                session,
                idempotency_key=key,
                kind=EntryKind.TRANSACTION,
                code="transfer",
                reference="",
                digest=b"x" * 32,
                created_at_us=created,
            )
            rows = {}
            for ref in (source, target):
                rows[ref] = session.execute(
                    select(accounts.c.id, accounts.c.posted_units).where(
                        accounts.c.type == ref.type.value, accounts.c.owner == ref.owner
                    )
                ).one()  # no FOR UPDATE: the bug
            if rows[source].posted_units < amount:
                raise InsufficientFunds("broken writer: not enough")
            time.sleep(0.001)  # widen the race window the way a slow client does
            repo.insert_postings(
                session, transaction_id, [(rows[source].id, -amount), (rows[target].id, amount)]
            )
            for ref, delta in ((source, -amount), (target, amount)):
                session.execute(
                    update(accounts)
                    .where(accounts.c.id == rows[ref].id)
                    .values(posted_units=rows[ref].posted_units + delta)
                )
            repo.seal_entry(session, transaction_id, created, b"x" * 32)

        run_transaction(pg_engine, work)

    done, _, _unexpected = _hammer(pg_engine, broken_transfer)
    assert done > 0
    report = run_transaction(pg_engine, audit_ledger)
    assert not report.ok
    assert any("sum of postings" in v for v in report.violations), report.violations[:5]


@pytest.mark.parametrize("path", [PostingPath.FUNCTION, PostingPath.PORTABLE])
def test_opposite_directions_never_deadlock_a_caller(pg_engine, path):
    """A→B and B→A at once, many times: the one lock order means no deadlock surfaces."""
    a, b = member_account("a"), member_account("b")
    world = system_account(AccountType.WORLD)
    run_transaction(
        pg_engine,
        lambda s: Ledger(s).post(
            TransactionDraft(
                TransactionCode.EMISSION,
                "open-ab",
                (Posting(world, -2_000), Posting(a, 1_000), Posting(b, 1_000)),
            )
        ),
    )
    errors: list[BaseException] = []

    def shuttle(source, target, name):
        for n in range(150):
            try:
                # Two transfers in one unit of work, so each holds its locks a while.
                def work(s, n=n):
                    ledger = Ledger(s, path=path)
                    ledger.transfer(
                        source,
                        target,
                        1,
                        code=TransactionCode.TRANSFER,
                        idempotency_key=f"{name}-{n}-1",
                    )
                    ledger.transfer(
                        target,
                        source,
                        1,
                        code=TransactionCode.TRANSFER,
                        idempotency_key=f"{name}-{n}-2",
                    )

                run_transaction(pg_engine, work)
            except BaseException as error:
                errors.append(error)
                return

    threads = [
        threading.Thread(target=shuttle, args=(a, b, "ab")),
        threading.Thread(target=shuttle, args=(b, a, "ba")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:2]
    balances = run_transaction(
        pg_engine, lambda s: {x.account: x.posted_units for x in Ledger(s).balances()}
    )
    assert balances[a] == balances[b] == 1_000
    assert run_transaction(pg_engine, audit_ledger).ok
