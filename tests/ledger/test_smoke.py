from systok.core.ledger import AccountType, TransactionCode, member_account, system_account
from systok.db.engine import run_transaction
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger


def test_mint_and_transfer(engine):
    world = system_account(AccountType.WORLD)
    alice, bob = member_account("alice"), member_account("bob")

    def work(session):
        ledger = Ledger(session)
        ledger.transfer(world, alice, 100, code=TransactionCode.EMISSION, idempotency_key="k1")
        ledger.transfer(alice, bob, 30, code=TransactionCode.TRANSFER, idempotency_key="k2")
        return ledger.balance(alice).posted_units, ledger.balance(bob).posted_units

    assert run_transaction(engine, work) == (70, 30)
    report = run_transaction(engine, audit_ledger)
    assert report.ok, report.violations
    assert report.supply_units["STK"] == 100
