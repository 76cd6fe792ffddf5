"""``Ledger.post_many``: a batch writes what posting its drafts one by one writes.

On PostgreSQL's function path a batch goes through set-based statements (ADR 0043);
every other path posts one by one. Either way the journal, the balances and the hash
chain must be the same, a rerun must replay, and a refusal anywhere in the batch must
leave nothing written.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from systok.core.ledger import (
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.db.engine import run_transaction
from systok.errors import IdempotencyConflict, InsufficientFunds
from systok.ledger import service
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger, PostingPath
from tests.conftest import reset_ledger
from tests.ledger.conftest import snapshot

WORLD = system_account(AccountType.WORLD)
POOL = system_account(AccountType.POOL_REWARDS)
ANN = member_account("ann")
CLOCK = 1_700_000_000_000_000


def _draft(key: str, *lines: tuple[object, int]) -> TransactionDraft:
    return TransactionDraft(
        code=TransactionCode.REWARD,
        idempotency_key=key,
        reference=f"batch {key}",
        postings=tuple(Posting(account, amount) for account, amount in lines),  # type: ignore[arg-type]
    )


def _rewards(first: int, members: int, key: str) -> TransactionDraft:
    """Pool → members m<first>… (one unit more each), as the weekly post builds them."""
    paid = [(member_account(f"m{i:03d}"), 10 + i) for i in range(first, first + members)]
    return _draft(key, (POOL, -sum(u for _, u in paid)), *paid)


BATCH = [
    _draft("mint", (WORLD, -10_000), (POOL, 10_000)),
    _rewards(0, 5, "r0"),
    _rewards(5, 5, "r1"),
    _draft("ann", (POOL, -7), (ANN, 7), (member_account("m002"), -3), (WORLD, 3)),
]
"""A mint, two reward chunks debiting the pool the batch opens, and an entry touching
an account opened before the batch (``ann``) and one opened earlier in it (m002)."""


def _post(backend, drafts, *, one_by_one=False):
    engine, path = backend

    def work(session):
        ledger = Ledger(session, path=path, clock=lambda: CLOCK)
        if one_by_one:
            return [ledger.post(d) for d in drafts]
        return ledger.post_many(drafts)

    return run_transaction(engine, work)


def _named(engine) -> dict[str, list[tuple]]:
    """The ledger with accounts named by natural key (ids may be handed out in another
    order: a batch opens all its new accounts at once)."""
    with engine.connect() as connection:
        accounts = sorted(
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT type, owner, asset, allow_negative, posted_units, held_units, "
                    "created_at_us FROM accounts"
                )
            )
        )
        postings = sorted(
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT p.transaction_id, a.type, a.owner, a.asset, p.amount_units "
                    "FROM postings p JOIN accounts a ON a.id = p.account_id"
                )
            )
        )
    tables = snapshot(engine)
    return {
        "accounts": accounts,
        "postings": postings,
        **{name: tables[name] for name in ("transactions", "journal_chain", "chain_head")},
    }


def _open_ann(backend) -> None:
    engine, path = backend
    run_transaction(
        engine,
        lambda s: Ledger(s, path=path, clock=lambda: CLOCK).transfer(
            WORLD, ANN, 50, code=TransactionCode.EMISSION, idempotency_key="ann-opened"
        ),
    )


def test_a_batch_writes_what_one_by_one_writes(backend, monkeypatch):
    engine, path = backend
    batched = []
    real = service.post_batch
    monkeypatch.setattr(service, "post_batch", lambda *a: batched.append(real(*a)) or batched[-1])
    _open_ann(backend)
    entries = _post(backend, BATCH)
    together = _named(engine)
    assert run_transaction(engine, audit_ledger).ok
    if path is PostingPath.FUNCTION:
        assert batched and batched[0] is not None, "the batch took the set-based path"
    reset_ledger(engine)
    _open_ann(backend)
    single = _post(backend, BATCH, one_by_one=True)
    assert _named(engine) == together
    assert entries == single


def test_a_rerun_replays_every_entry(backend):
    first = _post(backend, BATCH)
    before = snapshot(backend[0])
    again = _post(backend, BATCH)
    assert [e.transaction_id for e in again] == [e.transaction_id for e in first]
    assert all(e.replayed for e in again)
    assert snapshot(backend[0]) == before


def test_a_batch_with_some_keys_used_posts_the_rest(backend):
    _post(backend, BATCH[:2])
    entries = _post(backend, BATCH)
    assert [e.replayed for e in entries] == [True, True, False, False]
    assert run_transaction(backend[0], audit_ledger).ok


def test_a_refusal_anywhere_leaves_nothing_written(backend):
    _post(backend, BATCH[:1])
    before = snapshot(backend[0])
    # r1 alone fits the pool; after r0 and the big reward it does not.
    batch = [BATCH[1], _draft("big", (POOL, -9_900), (ANN, 9_900)), BATCH[2]]
    with pytest.raises(InsufficientFunds) as batched:
        _post(backend, batch)
    assert snapshot(backend[0]) == before
    with pytest.raises(InsufficientFunds) as single:
        _post(backend, batch, one_by_one=True)
    assert str(batched.value) == str(single.value)


def test_a_debit_before_its_funding_is_refused(backend):
    """Running balances in batch order: funding later in the batch does not count."""
    batch = [_draft("early", (POOL, -5), (ANN, 5)), BATCH[0]]
    with pytest.raises(InsufficientFunds):
        _post(backend, batch)


def test_a_used_key_with_other_content_is_a_conflict(backend):
    _post(backend, BATCH[:1])
    before = snapshot(backend[0])
    with pytest.raises(IdempotencyConflict):
        _post(backend, [_draft("mint", (WORLD, -1), (POOL, 1)), BATCH[1]])
    assert snapshot(backend[0]) == before


def test_an_account_opened_meanwhile_takes_the_one_by_one_path(backend, monkeypatch):
    """A writer opening one of the batch's new accounts between the lock and the insert
    makes the insert fail; the savepoint is undone and the drafts are posted one by one."""
    from systok.ledger import bulk

    real = bulk.repo.open_accounts

    def opened_meanwhile(session, created_at_us):
        session.execute(
            text(
                "INSERT INTO accounts (type, owner, asset, allow_negative, posted_units, "
                "held_units, created_at_us) VALUES ('member', 'm003', 'STK', false, 0, 0, 0)"
            )
        )
        return real(session, created_at_us)

    monkeypatch.setattr(bulk.repo, "open_accounts", opened_meanwhile)
    entries = _post(backend, BATCH)
    assert not any(e.replayed for e in entries)
    assert run_transaction(backend[0], audit_ledger).ok
    # The same balances (entry ids differ: the undone batch used sequence numbers).
    together = _named(backend[0])["accounts"]
    reset_ledger(backend[0])
    _post(backend, BATCH, one_by_one=True)
    assert _named(backend[0])["accounts"] == together


def test_one_key_twice_in_a_batch_answers_as_one_by_one(backend):
    """The same key twice: the second replays (same content) or conflicts (other
    content), exactly as posting the two one by one; a conflict writes nothing."""
    twice = [BATCH[0], BATCH[0]]
    entries = _post(backend, twice)
    assert [e.replayed for e in entries] == [False, True]
    assert entries[0].transaction_id == entries[1].transaction_id
    assert run_transaction(backend[0], audit_ledger).ok
    reset_ledger(backend[0])
    before = snapshot(backend[0])
    with pytest.raises(IdempotencyConflict):
        _post(backend, [BATCH[0], _draft("mint", (WORLD, -1), (POOL, 1))])
    assert snapshot(backend[0]) == before
