"""Test hooks on the embedded chain and the payout tables: time passing, preflight, tampering.

Production never needs them: in process everything lands at once, nothing is simulated
before it is sent, and only a test alters an account behind the chain's back.
"""

from __future__ import annotations

from typing import Any

from solders.account import Account
from solders.pubkey import Pubkey
from solders.transaction import Transaction
from solders.transaction_metadata import FailedTransactionMetadata
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from systok.db.kit import payout_attempts_t
from systok.payout.embedded import EmbeddedChain, Rejected, rejection_of


def expire_blockhash(chain: EmbeddedChain) -> None:
    """Make the current blockhash unusable now (and move the height past it)."""
    chain.svm.expire_blockhash()
    chain.expired += 1
    chain.height = max(chain.height, chain.last_valid_height + 1)
    chain.last_valid_height = chain.height + chain.validity_blocks
    chain.save_state()


def let_blocks_pass(chain: EmbeddedChain, blocks: int = 1) -> None:
    """Let ``blocks`` blocks pass; expire the blockhash once its last valid height passed."""
    chain.height += blocks
    if chain.height > chain.last_valid_height:
        expire_blockhash(chain)


def simulate(chain: EmbeddedChain, raw: bytes) -> Rejected | None:
    """Run the transaction without keeping its effects: what a preflight check does."""
    simulated = chain.svm.simulate_transaction(Transaction.from_bytes(raw))
    if isinstance(simulated, FailedTransactionMetadata):
        return rejection_of(simulated)
    return None


def set_account_data(chain: EmbeddedChain, address: Pubkey, data: bytes) -> None:
    """Overwrite an account's data (to tamper with the chain)."""
    account = chain.svm.get_account(address)
    assert account is not None, f"{address} has no account"
    chain.svm.set_account(
        address,
        Account(account.lamports, data, account.owner, account.executable, account.rent_epoch),
    )
    chain.known.add(address)
    chain.save_state()


def batch_attempts(session: Session, batch_id: int) -> list[Row[Any]]:
    """Every signed attempt of a batch, oldest first."""
    return list(
        session.execute(
            select(payout_attempts_t)
            .where(payout_attempts_t.c.batch_id == batch_id)
            .order_by(payout_attempts_t.c.id)
        )
    )
