"""``post_in_own_transaction``: the single-statement path keeps every ledger promise."""

from __future__ import annotations

import pytest

from systok.core.ledger import (
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.db.engine import run_transaction
from systok.errors import IdempotencyConflict, InsufficientFunds, InvalidPosting
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from tests.ledger.conftest import snapshot
from tests.ledger.own_transaction import post_in_own_transaction

WORLD = system_account(AccountType.WORLD)
ANN, BOB = member_account("ann"), member_account("bob")


def draft(key, source, target, units, code=TransactionCode.TRANSFER):
    return TransactionDraft(code, key, (Posting(source, -units), Posting(target, units)))


def test_posts_replays_and_refuses(engine):
    first = post_in_own_transaction(engine, draft("e1", WORLD, ANN, 100))
    assert not first.replayed and first.chain_seq == 1
    again = post_in_own_transaction(engine, draft("e1", WORLD, ANN, 100))
    assert again.replayed and again.transaction_id == first.transaction_id

    before = snapshot(engine)
    with pytest.raises(IdempotencyConflict, match=r"member:ann@STK \(stored 100, given 99\)"):
        post_in_own_transaction(engine, draft("e1", WORLD, ANN, 99))
    with pytest.raises(InsufficientFunds, match=r"member:ann@STK: available 0.000100 STK"):
        post_in_own_transaction(engine, draft("t1", ANN, BOB, 101))
    with pytest.raises(InvalidPosting, match="appears twice"):
        post_in_own_transaction(engine, draft("t2", ANN, ANN, 1))
    assert snapshot(engine) == before

    post_in_own_transaction(engine, draft("t3", ANN, BOB, 100))
    balances = run_transaction(
        engine, lambda s: {b.account: b.posted_units for b in Ledger(s).balances()}
    )
    assert balances[ANN] == 0 and balances[BOB] == 100
    assert run_transaction(engine, audit_ledger).ok
