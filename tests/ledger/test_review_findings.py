"""Regression tests for the defects a review of the ledger found (each named F1…F9)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from systok.core.amount import UNITS_MAX
from systok.core.ledger import (
    AccountRef,
    AccountType,
    HoldDraft,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.db.engine import run_transaction
from systok.errors import InsufficientFunds, InvalidPosting
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from tests.ledger.conftest import snapshot
from tests.ledger.own_transaction import post_in_own_transaction
from tests.ledger.test_audit import tamper

WORLD = system_account(AccountType.WORLD)
ANN, BOB, EVE = member_account("ann"), member_account("bob"), member_account("eve")


def test_f1_a_caught_refusal_keeps_the_rest_of_the_unit_of_work(backend):
    """A refusal must not silently roll back earlier writes of the same unit of work."""
    engine, path = backend

    def work(session):
        ledger = Ledger(session, path=path)
        ledger.transfer(WORLD, ANN, 100, code=TransactionCode.EMISSION, idempotency_key="e1")
        with pytest.raises(InsufficientFunds):
            ledger.transfer(BOB, ANN, 5, code=TransactionCode.TRANSFER, idempotency_key="t1")
        with pytest.raises(InsufficientFunds):
            ledger.transfer(ANN, EVE, 500, code=TransactionCode.TRANSFER, idempotency_key="t2")
        ledger.transfer(ANN, EVE, 40, code=TransactionCode.TRANSFER, idempotency_key="t3")

    run_transaction(engine, work)
    balances = run_transaction(
        engine, lambda s: {b.account: b.posted_units for b in Ledger(s).balances()}
    )
    assert balances[ANN] == 60 and balances[EVE] == 40
    assert BOB not in balances, "a refused debit must not open the account"
    assert run_transaction(engine, audit_ledger).ok


def test_f5_control_characters_in_names_are_refused():
    with pytest.raises(InvalidPosting, match="printable"):
        AccountRef(AccountType.MEMBER, "STK", "a\tb")
    with pytest.raises(InvalidPosting, match="printable"):
        AccountRef(AccountType.MEMBER, "", "ann")


def test_f6_balance_overflow_is_refused_and_changes_nothing(backend):
    engine, path = backend
    big = TransactionDraft(
        TransactionCode.EMISSION, "e1", (Posting(WORLD, -UNITS_MAX), Posting(ANN, UNITS_MAX))
    )
    run_transaction(engine, lambda s: Ledger(s, path=path).post(big))
    before = snapshot(engine)
    again = TransactionDraft(TransactionCode.EMISSION, "e2", (Posting(WORLD, -1), Posting(ANN, 1)))
    with pytest.raises(InvalidPosting, match="64-bit range"):
        run_transaction(engine, lambda s: Ledger(s, path=path).post(again))
    assert snapshot(engine) == before


@pytest.mark.parametrize("amount", [1.5, True, "3"])
def test_f7_amounts_must_be_integers(amount):
    draft = TransactionDraft(
        TransactionCode.TRANSFER,
        "k",
        (Posting(ANN, -amount), Posting(BOB, amount))
        if not isinstance(amount, str)
        else (Posting(ANN, amount), Posting(BOB, amount)),
    )
    with pytest.raises(InvalidPosting, match="integers of base units"):
        draft.validate()
    with pytest.raises(InvalidPosting, match="not an integer"):
        HoldDraft(TransactionCode.ESCROW, "h", ANN, BOB, amount).validate()


def test_f8_expiry_skips_a_hold_resolved_meanwhile(engine):
    now = [1_000]

    def setup(session):
        ledger = Ledger(session, clock=lambda: now[0])
        ledger.transfer(WORLD, ANN, 100, code=TransactionCode.EMISSION, idempotency_key="e1")
        return [
            ledger.create_hold(
                HoldDraft(TransactionCode.ESCROW, f"h{i}", ANN, BOB, 10, expires_at_us=1_500)
            ).hold_id
            for i in range(3)
        ]

    first, second, third = run_transaction(engine, setup)
    now[0] = 2_000

    def expire_after_second_is_voided(session):
        ledger = Ledger(session, clock=lambda: now[0])
        # The second hold is voided by the time the expirer reaches it.
        ledger.void_hold(second, idempotency_key="void-2")
        return ledger.expire_holds()

    expired = run_transaction(engine, expire_after_second_is_voided)
    assert sorted(e.hold_id for e in expired) == [first, third]
    assert run_transaction(engine, audit_ledger).ok


def test_f9_ensure_assets_checks_everything_before_writing(engine):
    before = snapshot(engine)
    with pytest.raises(InvalidPosting, match="scales cannot change"):
        run_transaction(engine, lambda s: Ledger(s).ensure_assets({"AAA": 2, "STK": 2}))
    with pytest.raises(InvalidPosting, match="must be 0 to 18"):
        run_transaction(engine, lambda s: Ledger(s).ensure_assets({"BBB": 19}))
    assert snapshot(engine) == before


def test_f9_an_asset_from_a_rolled_back_unit_is_a_clear_refusal(backend):
    engine, path = backend

    def register_then_fail(session):
        ledger = Ledger(session, path=path)
        ledger.ensure_assets({"ZZZ": 2})
        ledger.asset_scale("ZZZ")  # cached while still uncommitted
        raise RuntimeError("the unit of work fails")

    with pytest.raises(RuntimeError):
        run_transaction(engine, register_then_fail)
    draft = TransactionDraft(
        TransactionCode.TRANSFER,
        "z",
        (
            Posting(system_account(AccountType.WORLD, "ZZZ"), -1),
            Posting(member_account("ann", "ZZZ"), 1),
        ),
    )
    with pytest.raises(InvalidPosting, match="asset"):
        run_transaction(engine, lambda s: Ledger(s, path=path).post(draft))


@pytest.mark.postgres
def test_f4_own_transaction_survives_a_dropped_connection(pg_engine):
    post_in_own_transaction(
        pg_engine,
        TransactionDraft(TransactionCode.EMISSION, "e1", (Posting(WORLD, -10), Posting(ANN, 10))),
    )
    with pg_engine.connect() as connection:  # kill every other backend of this database
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    result = post_in_own_transaction(
        pg_engine,
        TransactionDraft(TransactionCode.TRANSFER, "t1", (Posting(ANN, -3), Posting(BOB, 3))),
    )
    assert not result.replayed


@pytest.mark.postgres
def test_f3_the_audit_sees_one_snapshot_while_others_write(pg_engine):
    post_in_own_transaction(
        pg_engine,
        TransactionDraft(
            TransactionCode.EMISSION, "e0", (Posting(WORLD, -10_000), Posting(ANN, 10_000))
        ),
    )
    stop = threading.Event()

    def writer(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            post_in_own_transaction(
                pg_engine,
                TransactionDraft(
                    TransactionCode.TRANSFER,
                    f"w{n}-{i}",
                    (Posting(ANN, -1), Posting(member_account(f"x{n}"), 1)),
                ),
            )
            run_transaction(
                pg_engine,
                lambda s, n=n, i=i: Ledger(s).create_hold(
                    HoldDraft(TransactionCode.ESCROW, f"h{n}-{i}", member_account(f"x{n}"), BOB, 1)
                ),
            )

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(15):
            report = run_transaction(pg_engine, audit_ledger, snapshot=True)
            assert report.ok, report.violations[:3]
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def test_f2_audit_sees_hold_and_entry_tampering(engine):
    def setup(session):
        ledger = Ledger(session)
        ledger.transfer(WORLD, ANN, 1_000, code=TransactionCode.EMISSION, idempotency_key="e1")
        pending = ledger.create_hold(HoldDraft(TransactionCode.ESCROW, "h1", ANN, BOB, 600)).hold_id
        voided = ledger.create_hold(HoldDraft(TransactionCode.ESCROW, "h2", ANN, BOB, 100)).hold_id
        ledger.void_hold(voided, idempotency_key="h2-void")
        return pending, voided

    pending, voided = run_transaction(engine, setup)
    assert run_transaction(engine, audit_ledger).ok
    void_entry = run_transaction(
        engine,
        lambda s: s.execute(
            text("SELECT id FROM transactions WHERE idempotency_key = 'h2-void'")
        ).scalar_one(),
    )
    # A: postings smuggled onto a hold_void entry (balanced, balances adjusted).
    tamper(
        engine,
        f"INSERT INTO postings VALUES ({void_entry}, (SELECT id FROM accounts WHERE owner = 'ann'), -300)",
        "INSERT INTO accounts (type, owner, asset, allow_negative, posted_units, held_units, created_at_us) "
        "VALUES ('member', 'mallory', 'STK', false, 300, 0, 0)",
        f"INSERT INTO postings VALUES ({void_entry}, (SELECT id FROM accounts WHERE owner = 'mallory'), 300)",
        "UPDATE accounts SET posted_units = posted_units - 300 WHERE owner = 'ann'",
    )
    found = run_transaction(engine, audit_ledger).violations
    assert any(f"entry {void_entry}: a hold_void entry has postings" in v for v in found), found
    # B: a pending hold marked voided by an unrelated entry.
    tamper(
        engine,
        f"UPDATE holds SET status = 'voided', resolved_transaction_id = 1 WHERE id = {pending}",
        "UPDATE accounts SET held_units = 0 WHERE owner = 'ann'",
    )
    found = run_transaction(engine, audit_ledger).violations
    assert any(f"hold {pending}: voided, but entry 1 is not its hold_void" in v for v in found), (
        found
    )
    # C: the voided hold set back to pending.
    tamper(
        engine,
        f"UPDATE holds SET status = 'pending', resolved_transaction_id = NULL WHERE id = {voided}",
    )
    found = run_transaction(engine, audit_ledger).violations
    assert any(f"a hold_void of hold {voided} that the hold does not record" in v for v in found), (
        found
    )


def test_f2_audit_compares_asset_scales_with_the_policy(engine):
    tamper(engine, "UPDATE assets SET scale = 3 WHERE code = 'STK'")
    found = run_transaction(engine, lambda s: audit_ledger(s, {"STK": 6})).violations
    assert "asset STK: scale 3 in the ledger, 6 in the policy" in found


@pytest.mark.postgres
def test_a_failed_single_statement_leaves_the_pooled_connection_transactional(pg_engine):
    """After an error on the autocommit path, the pooled connection must be back to normal."""
    from sqlalchemy import create_engine

    one = create_engine(pg_engine.url, pool_size=1, max_overflow=0)
    draft = TransactionDraft(
        TransactionCode.TRANSFER,
        "x",
        (
            Posting(system_account(AccountType.WORLD, "NOPE"), -1),
            Posting(member_account("ann", "NOPE"), 1),
        ),
    )
    from systok.ledger.steps import cached_asset_scales

    cached_asset_scales(one)["NOPE"] = 2  # pretend the asset is known
    with pytest.raises(InvalidPosting, match="does not know"):
        post_in_own_transaction(one, draft)
    with one.connect() as connection:
        assert connection.connection.driver_connection.autocommit is False
        connection.execute(text("CREATE TEMP TABLE probe (x int)"))
        connection.rollback()
        assert connection.execute(text("SELECT to_regclass('pg_temp.probe')")).scalar() is None
    one.dispose()
