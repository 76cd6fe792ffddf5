"""The audit finds tampering that bypasses the ledger, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from systok.core.ledger import (
    AccountType,
    HoldDraft,
    TransactionCode,
    member_account,
    system_account,
)
from systok.db.engine import run_transaction
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger

WORLD = system_account(AccountType.WORLD)
ANN, BOB = member_account("ann"), member_account("bob")


@pytest.fixture
def populated(engine):
    def work(session):
        ledger = Ledger(session)
        ledger.transfer(WORLD, ANN, 1_000, code=TransactionCode.EMISSION, idempotency_key="e1")
        ledger.transfer(ANN, BOB, 300, code=TransactionCode.TRANSFER, idempotency_key="t1")
        ledger.transfer(BOB, ANN, 100, code=TransactionCode.TRANSFER, idempotency_key="t2")
        hold = ledger.create_hold(
            HoldDraft(TransactionCode.ESCROW, "h1", ANN, BOB, 50, expires_at_us=None)
        )
        ledger.post_hold(hold.hold_id, idempotency_key="h1-post", amount_units=20)

    run_transaction(engine, work)
    assert run_transaction(engine, audit_ledger).ok
    return engine


def tamper(engine, *statements: str) -> None:
    """Change rows behind the ledger's back (on PostgreSQL with triggers switched off)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            connection.execute(text(statement))


def violations(engine) -> list[str]:
    return run_transaction(engine, audit_ledger).violations


def test_changed_posting_amount_breaks_its_digest(populated):
    tamper(
        populated,
        "UPDATE postings SET amount_units = -400 WHERE transaction_id = 2 AND amount_units = -300",
        "UPDATE postings SET amount_units = 400 WHERE transaction_id = 2 AND amount_units = 300",
    )
    found = violations(populated)
    assert any("entry 2" in v and "digest" in v for v in found), found
    assert any("sum of postings" in v for v in found), found


def test_changed_balance_is_reported(populated):
    tamper(populated, "UPDATE accounts SET posted_units = posted_units + 5 WHERE owner = 'bob'")
    found = violations(populated)
    assert any("member:bob@STK" in v and "sum of postings" in v for v in found), found
    assert any("balances sum to 5" in v for v in found), found


def test_changed_reference_breaks_the_digest(populated):
    tamper(populated, "UPDATE transactions SET reference = 'innocent' WHERE id = 3")
    assert any("entry 3" in v and "digest" in v for v in violations(populated))


def test_removed_entry_breaks_its_lane(populated):
    def more(session):
        ledger = Ledger(session)
        for n in range(40):  # every lane gets several entries
            ledger.transfer(ANN, BOB, 1, code=TransactionCode.TRANSFER, idempotency_key=f"m{n}")

    run_transaction(populated, more)
    assert run_transaction(populated, audit_ledger).ok
    tamper(
        populated,
        "DELETE FROM postings WHERE transaction_id = 3",
        "DELETE FROM journal_chain WHERE transaction_id = 3",
        "DELETE FROM transactions WHERE id = 3",
    )
    found = violations(populated)
    assert any("lane 3 expected seq 1, found 2" in v for v in found), found
    assert any("lane 3 seq 2) hash broken" in v for v in found), found


def test_removed_last_entry_leaves_the_lane_head_dangling(populated):
    tamper(
        populated,
        "DELETE FROM postings WHERE transaction_id = 3",
        "DELETE FROM journal_chain WHERE transaction_id = 3",
        "DELETE FROM transactions WHERE id = 3",
    )
    assert any("lane 3 head is at seq 1" in v for v in violations(populated))


def test_rewritten_hold_amount_is_reported(populated):
    tamper(populated, "UPDATE holds SET amount_units = 60")
    found = violations(populated)
    assert any("digest" in v for v in found), found


def test_unbalanced_entry_is_reported(populated):
    tamper(populated, "UPDATE postings SET amount_units = 299 WHERE amount_units = 300")
    assert any("transaction 2: STK postings sum to -1" in v for v in violations(populated))


@pytest.mark.postgres
def test_postgres_refuses_to_rewrite_the_journal(pg_engine):
    run_transaction(
        pg_engine,
        lambda s: Ledger(s).transfer(
            WORLD, ANN, 10, code=TransactionCode.EMISSION, idempotency_key="e1"
        ),
    )
    for statement in (
        "UPDATE postings SET amount_units = 11 WHERE amount_units = 10",
        "DELETE FROM postings",
        "UPDATE transactions SET reference = 'x'",
        "DELETE FROM transactions",
        "UPDATE journal_chain SET hash = sha256(hash)",
    ):
        with pytest.raises(DBAPIError, match="append-only"), pg_engine.begin() as connection:
            connection.execute(text(statement))
