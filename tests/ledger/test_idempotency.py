"""Idempotency: a replay returns the original; other content under the key is a conflict."""

from __future__ import annotations

import pytest

from systok.core.ledger import AccountType, TransactionCode, member_account, system_account
from systok.db.engine import run_transaction
from systok.errors import IdempotencyConflict, InvalidPosting
from systok.ledger.service import Ledger
from tests.ledger.conftest import snapshot

WORLD = system_account(AccountType.WORLD)
ANN, BOB = member_account("ann"), member_account("bob")


def _transfer(backend, source, target, amount, key, code=TransactionCode.TRANSFER):
    engine, path = backend
    return run_transaction(
        engine,
        lambda s: Ledger(s, path=path).transfer(
            source, target, amount, code=code, idempotency_key=key
        ),
    )


def test_replay_returns_the_original(backend):
    first = _transfer(backend, WORLD, ANN, 100, "k")
    again = _transfer(backend, WORLD, ANN, 100, "k")
    assert again.replayed and again.transaction_id == first.transaction_id
    assert again.chain_seq == first.chain_seq


def test_other_amount_names_the_accounts(backend):
    _transfer(backend, WORLD, ANN, 100, "k")
    before = snapshot(backend[0])
    with pytest.raises(
        IdempotencyConflict, match=r"postings differ on member:ann@STK \(stored 100, given 101\)"
    ):
        _transfer(backend, WORLD, ANN, 101, "k")
    assert snapshot(backend[0]) == before


def test_other_code_names_the_code(backend):
    _transfer(backend, WORLD, ANN, 100, "k", code=TransactionCode.EMISSION)
    with pytest.raises(
        IdempotencyConflict, match=r"code differs \(stored 'emission', given 'reward'\)"
    ):
        _transfer(backend, WORLD, ANN, 100, "k", code=TransactionCode.REWARD)


def test_unknown_asset_is_refused_before_writing(backend):
    engine, path = backend
    before = snapshot(engine)
    with pytest.raises(InvalidPosting, match="unknown asset 'XYZ'"):
        run_transaction(
            engine,
            lambda s: Ledger(s, path=path).transfer(
                system_account(AccountType.WORLD, "XYZ"),
                member_account("ann", "XYZ"),
                1,
                code=TransactionCode.TRANSFER,
                idempotency_key="x",
            ),
        )
    assert snapshot(engine) == before


def test_changed_asset_scale_is_refused(backend):
    engine, _ = backend
    with pytest.raises(InvalidPosting, match="scale 6 in the ledger; the policy says 2"):
        run_transaction(engine, lambda s: Ledger(s).ensure_assets({"STK": 2}))
