"""An in-process Solana chain: LiteSVM from ``solders``, with block heights and a state file.

LiteSVM runs real SPL Token, ATA and Memo programs in the process, but it has no
clock of its own: a blockhash stays valid until ``expire_blockhash`` and only the
latest one is accepted. This wrapper adds what the payout's safety argument needs:

- **block heights**: a blockhash issued at height *h* is valid up to *h* +
  ``validity_blocks``. In process everything lands at once, so the height only moves
  when a restart expires the blockhash; the tests let blocks pass (and expire the
  blockhash once its last valid height passed, as on a cluster) with the hooks in
  ``tests/payout/chain_hooks.py``, so "height > last valid height ⇒ it can never
  land" is proven exactly as on a cluster;
- **history**: every landed transaction's slot, error and memo, by signature;
- **a state file** (optional): the accounts transactions touched, the history and the
  number of expired blockhashes, rewritten atomically after each transaction, so that
  the embedded chain outlives the process (``systok run week`` then ``systok payout
  reconcile``). LiteSVM's blockhashes are deterministic, so on load the blockhash is
  expired once more than before: nothing signed before can land after a restart.

The programs themselves are LiteSVM's (p-token at ``Tokenkeg…``); only state accounts
are saved.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solders.account import Account
from solders.hash import Hash
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import Transaction
from solders.transaction_metadata import FailedTransactionMetadata
from solders.transaction_status import TransactionErrorInstructionError

from systok.payout.chain import MEMO_PROGRAM_ID

PAYER_AIRDROP_LAMPORTS = 100_000 * 10**9
"""SOL the embedded payer gets when it has none (LiteSVM's faucet holds a little under 10⁶)."""
VALIDITY_BLOCKS_DEFAULT = 150
"""Blocks a blockhash stays valid on a cluster (its ``lastValidBlockHeight`` distance)."""


@dataclass(frozen=True)
class Executed:
    """A transaction that landed: its slot, its error (None when it succeeded), its memo."""

    slot: int
    error: str | None
    memo: str | None
    logs: tuple[str, ...] = ()
    error_object: Any = field(default=None, compare=False)
    """The ``solders`` error itself while in memory (a loopback RPC server renders it)."""


@dataclass(frozen=True)
class Rejected:
    """A transaction that did not land (unknown blockhash, already processed, …)."""

    error: str
    blockhash_unknown: bool


def memo_of(transaction: Transaction) -> str | None:
    """The text of the transaction's first memo instruction, if it has one."""
    message = transaction.message
    for instruction in message.instructions:
        if message.account_keys[instruction.program_id_index] == MEMO_PROGRAM_ID:
            return bytes(instruction.data).decode("utf-8", errors="replace")
    return None


class EmbeddedChain:
    """LiteSVM with block heights, a signature history and an optional state file."""

    def __init__(
        self, state_path: Path | None = None, *, validity_blocks: int = VALIDITY_BLOCKS_DEFAULT
    ) -> None:
        self.svm = LiteSVM()
        self.state_path = state_path
        self.validity_blocks = validity_blocks
        self.history: dict[Signature, Executed] = {}
        self.known: set[Pubkey] = set()
        self.expired = 0
        self.height = 0
        if state_path is not None and state_path.exists():
            self._load(state_path)
        self.last_valid_height = self.height + validity_blocks

    # --- clock -------------------------------------------------------------------------

    def latest_blockhash(self) -> tuple[Hash, int]:
        """The blockhash transactions must use now, and the last height it is valid at."""
        return self.svm.latest_blockhash(), self.last_valid_height

    # --- transactions ------------------------------------------------------------------

    def process(self, raw: bytes) -> Executed | Rejected:
        """Run a signed transaction; a landed one (even failed) is recorded by signature.

        Only an instruction error lands (the fee is charged, nothing else changes, the
        signature is spent); every other error means the transaction never happened.
        """
        transaction = Transaction.from_bytes(raw)
        signature = transaction.signatures[0]
        if signature in self.history:
            return Rejected("AlreadyProcessed", blockhash_unknown=False)
        result = self.svm.send_transaction(transaction)
        if isinstance(result, FailedTransactionMetadata):
            if not isinstance(result.err(), TransactionErrorInstructionError):
                return rejection_of(result)
            executed = Executed(
                self.svm.get_clock().slot,
                str(result.err()),
                memo_of(transaction),
                tuple(result.meta().logs()),
                result.err(),
            )
        else:
            executed = Executed(
                self.svm.get_clock().slot, None, memo_of(transaction), tuple(result.logs())
            )
        self.history[signature] = executed
        self.known.update(writable_keys(transaction))
        self.save_state()
        return executed

    def status(self, signature: Signature) -> Executed | None:
        return self.history.get(signature)

    # --- accounts ----------------------------------------------------------------------

    def account_data(self, address: Pubkey) -> bytes | None:
        account = self.svm.get_account(address)
        if account is None or (account.lamports == 0 and not bytes(account.data)):
            return None
        return bytes(account.data)

    def owner_of(self, address: Pubkey) -> Pubkey | None:
        """The program owning the account (None: no account)."""
        if self.account_data(address) is None:
            return None
        account = self.svm.get_account(address)
        return None if account is None else account.owner

    def lamports(self, address: Pubkey) -> int:
        return int(self.svm.get_balance(address) or 0)

    def fund(self, address: Pubkey, lamports: int = PAYER_AIRDROP_LAMPORTS) -> None:
        """Airdrop SOL (the embedded payer pays fees and account rent)."""
        result = self.svm.airdrop(address, lamports)
        assert not isinstance(result, FailedTransactionMetadata), f"airdrop failed: {result}"
        self.known.add(address)
        self.save_state()

    def rent_exempt_lamports(self, size: int) -> int:
        return int(self.svm.minimum_balance_for_rent_exemption(size))

    def signatures(self) -> list[tuple[Signature, Executed]]:
        """Every landed transaction, oldest first."""
        return list(self.history.items())

    # --- state file --------------------------------------------------------------------

    def save_state(self) -> None:
        if self.state_path is None:
            return
        accounts = {}
        for address in sorted(self.known, key=str):
            account = self.svm.get_account(address)
            if account is not None:
                accounts[str(address)] = account.to_json()
        state = {
            "expired": self.expired,
            "height": self.height,
            "accounts": accounts,
            "history": [[str(sig), e.slot, e.error, e.memo] for sig, e in self.history.items()],
        }
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        os.replace(temporary, self.state_path)

    def _load(self, path: Path) -> None:
        state = json.loads(path.read_text(encoding="utf-8"))
        for address, account in state["accounts"].items():
            pubkey = Pubkey.from_string(address)
            self.svm.set_account(pubkey, Account.from_json(account))
            self.known.add(pubkey)
        for signature, slot, error, memo in state["history"]:
            self.history[Signature.from_string(signature)] = Executed(slot, error, memo)
        # The blockhash sequence is deterministic: move past every one issued before.
        for _ in range(state["expired"] + 1):
            self.svm.expire_blockhash()
        self.expired = state["expired"] + 1
        self.height = state["height"] + self.validity_blocks + 1


def writable_keys(transaction: Transaction) -> list[Pubkey]:
    """The accounts a legacy transaction may write (the message header says which)."""
    message = transaction.message
    header = message.header
    keys = message.account_keys
    signed = header.num_required_signatures
    signed_writable = signed - header.num_readonly_signed_accounts
    unsigned_writable_end = len(keys) - header.num_readonly_unsigned_accounts
    return [
        key
        for index, key in enumerate(keys)
        if index < signed_writable or signed <= index < unsigned_writable_end
    ]


def rejection_of(result: FailedTransactionMetadata) -> Rejected:
    """A transaction the chain refused to take, and whether its blockhash was the reason."""
    error = str(result.err())
    return Rejected(error, blockhash_unknown="BlockhashNotFound" in error)
