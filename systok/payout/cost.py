"""What a payout costs the payer in SOL: signature fees and new token accounts' rent.

Pure arithmetic, no chain: an operator funds the payer *before* a week links many
members (docs/payouts.md, "What a payout costs an operator"). Members per transaction
come from ``payout.wire``'s exact size of a batch with the week's longest memo, so the
figures follow any change to the transaction's layout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from solders.pubkey import Pubkey

from systok.payout.chain import TX_SIZE_MAX, Transfer
from systok.payout.wire import BatchSize, Programs

FEE_LAMPORTS_PER_SIGNATURE = 5_000
"""Solana's base fee (``lamports_per_signature``); a payout transaction has one signature."""
ACCOUNT_STORAGE_OVERHEAD = 128
"""Bytes Solana's rent adds to every account's data (``ACCOUNT_STORAGE_OVERHEAD``)."""
LAMPORTS_PER_BYTE = 3_480 * 2
"""3 480 lamports per byte-year × the 2 years that make an account rent-exempt."""
TOKEN_ACCOUNT_LEN = 165
LAMPORTS_PER_SOL = 10**9


def rent_exempt_lamports(data_len: int) -> int:
    """The rent-exempt minimum of an account of ``data_len`` bytes (165 → 2 039 280)."""
    return (ACCOUNT_STORAGE_OVERHEAD + data_len) * LAMPORTS_PER_BYTE


STAND_IN_PROGRAMS = Programs(*(bytes([0xFF] * 31 + [n]) for n in range(6)))
"""Six distinct keys for payer, mint and programs: a batch's size depends only on how
many distinct keys it has, not on which."""


def members_per_transaction(memo: str, *, create: bool) -> int:
    """How many members one transaction takes with this memo, all new or all existing."""
    size = BatchSize(STAND_IN_PROGRAMS, len(memo.encode()))
    taken = 0
    while True:
        # Distinct stand-ins for the owner and its token account: only the count matters.
        owner, account = (Pubkey((2 * taken + k).to_bytes(32, "big")) for k in (0, 1))
        if not size.add_if_within(Transfer("", owner, account, 1, create), TX_SIZE_MAX):
            return taken
        taken += 1


@dataclass(frozen=True)
class PayoutCost:
    """A payout's bill: transactions, fees, rent, in lamports."""

    members: int
    new_members: int
    per_transaction_existing: int
    per_transaction_new: int
    transactions: int
    fee_lamports: int
    rent_lamports: int

    @property
    def total_lamports(self) -> int:
        return self.fee_lamports + self.rent_lamports

    def as_json(self) -> dict[str, object]:
        """The shape of ``systok payout cost --json`` (docs/cli-json.md)."""
        return {
            "members": self.members,
            "new_members": self.new_members,
            "members_per_transaction": {
                "existing": self.per_transaction_existing,
                "new": self.per_transaction_new,
            },
            "transactions": self.transactions,
            "fee_lamports": self.fee_lamports,
            "rent_lamports": self.rent_lamports,
            "total_lamports": self.total_lamports,
            "total_sol": f"{self.total_lamports / LAMPORTS_PER_SOL:.9f}",
        }


def payout_cost(label: str, members: int, new_members: int) -> PayoutCost:
    """The cost of paying ``members``, of whom ``new_members`` need a token account.

    The memo is bounded as ``PayoutService.plan`` bounds it (``label`` then ``n/n``, the
    member count, then the batch count found). New and existing members are counted in
    separate transactions; SysTok packs in member order, so a week that mixes them may
    take a transaction or two more.
    """
    if not 0 <= new_members <= members:
        raise ValueError("new members must be between 0 and the members paid")
    first = _cost(f"{label} {members}/{members}", members, new_members)
    return _cost(f"{label} {first.transactions}/{first.transactions}", members, new_members)


def _cost(memo: str, members: int, new_members: int) -> PayoutCost:
    existing = members - new_members
    per_existing = members_per_transaction(memo, create=False)
    per_new = members_per_transaction(memo, create=True)
    transactions = math.ceil(existing / per_existing) + math.ceil(new_members / per_new)
    return PayoutCost(
        members,
        new_members,
        per_existing,
        per_new,
        transactions,
        transactions * FEE_LAMPORTS_PER_SIGNATURE,
        new_members * rent_exempt_lamports(TOKEN_ACCOUNT_LEN),
    )
