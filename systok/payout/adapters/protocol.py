"""What every payout adapter answers, and the mint checks the chain adapters share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

from systok.payout.chain import MINT_LEN, TOKEN_PROGRAMS, ChainToken, mint_address, mint_state_of
from systok.payout.errors import PayoutError


@dataclass(frozen=True)
class Landed:
    """A transaction the chain has: its slot, and its error if it failed (tokens unmoved)."""

    slot: int
    error: str | None


@dataclass(frozen=True)
class Refusal:
    """The chain refused to take a transaction; it was not broadcast and cannot land.

    ``transient`` refusals (an unknown blockhash, one already processed) say nothing
    about the transaction itself: the service waits and looks again.
    """

    error: str
    logs: tuple[str, ...] = ()
    transient: bool = False


@dataclass(frozen=True)
class ChainMemo:
    """A transaction signed by the payer, as the chain's history shows it."""

    signature: str
    memo: str | None
    error: str | None


class PayoutAdapter(Protocol):
    """What the payout service needs from a chain."""

    name: str
    on_chain: bool
    mint_adopted: bool
    """True when the mint is ``SYSTOK_SOLANA_MINT``'s, False when derived from the payer."""

    @property
    def cluster(self) -> str:
        """Where the chain is, for people (an RPC URL with its secrets masked)."""
        ...

    def token(self) -> ChainToken:
        """The payer (mint authority) and the mint payouts use."""
        ...

    def ensure_mint(self, decimals: int) -> Pubkey:
        """Create the mint if it does not exist; refuse one with other decimals."""
        ...

    def latest_blockhash(self) -> tuple[Hash, int]:
        """A blockhash to sign with, and the last block height at which it can land."""
        ...

    def block_height(self) -> int:
        """The chain's block height now."""
        ...

    def send(self, raw: bytes) -> Refusal | None:
        """Hand a signed transaction to the chain; None when it was taken."""
        ...

    def statuses(self, signatures: Sequence[Signature]) -> list[Landed | None]:
        """What became of each signature (None: the chain does not have it)."""
        ...

    def token_balances(self, accounts: Sequence[Pubkey]) -> list[int | None]:
        """Amount on each token account (None: the account does not exist)."""
        ...

    def mint_supply(self) -> int | None:
        """The mint's supply (None: there is no mint yet)."""
        ...

    def mint_account(self) -> tuple[Pubkey, bytes] | None:
        """The mint account's owner (its token program) and data (None: no mint yet)."""
        ...

    def payer_lamports(self) -> int:
        """The payer's SOL balance in lamports (it pays fees and new accounts' rent)."""
        ...

    def history(self) -> list[ChainMemo]:
        """Transactions the payer signed, with their memos (for reconciliation)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class PayerMint:
    """The payer and the mint of a chain adapter: one rule for which mint payouts use.

    The mint is ``SYSTOK_SOLANA_MINT``'s when given (adopted: never created), else the
    one derived from the payer and the token program (created on first use).
    """

    def __init__(self, payer: Keypair, token_program: Pubkey | None, mint: Pubkey | None) -> None:
        self.payer = payer
        self.token_program = token_program or TOKEN_PROGRAMS["spl-token"]
        self.mint = mint or mint_address(payer.pubkey(), self.token_program)
        self.mint_adopted = mint is not None

    def token(self) -> ChainToken:
        return ChainToken(self.payer, self.mint, self.token_program)


def checked_mint(
    mint: Pubkey, owner: Pubkey | None, data: bytes, decimals: int, token: ChainToken
) -> Pubkey:
    """Refuse a mint whose program, decimals or authority are not what payouts need."""
    if owner != token.token_program:
        programs = {v: k for k, v in TOKEN_PROGRAMS.items()}
        raise PayoutError(
            f"account {mint} belongs to program {owner}, not to the configured token program "
            f"{token.token_program} ({programs[token.token_program]}); if it is a mint of "
            f"{programs.get(owner, 'another program') if owner else 'no program'}, set "
            "SYSTOK_SOLANA_TOKEN_PROGRAM to match"
        )
    if len(data) < MINT_LEN:
        raise PayoutError(f"account {mint} is not a mint")
    state = mint_state_of(data)
    if not state.initialized:
        raise PayoutError(f"mint {mint} is not initialized")
    if state.decimals != decimals:
        raise PayoutError(
            f"mint {mint} has {state.decimals} decimals; the policy's STK scale is {decimals} "
            "(amounts would be minted at the wrong scale)"
        )
    if state.mint_authority != token.payer.pubkey():
        who = (
            "no mint authority (fixed supply)"
            if state.mint_authority is None
            else (f"mint authority {state.mint_authority}")
        )
        raise PayoutError(
            f"mint {mint} has {who}; payouts mint with the payer key "
            f"{token.payer.pubkey()} (SYSTOK_SOLANA_KEYPAIR_PATH), so it must be the mint "
            "authority"
        )
    return mint


def adopted_mint_missing(mint: Pubkey) -> PayoutError:
    return PayoutError(
        f"mint {mint} (SYSTOK_SOLANA_MINT) does not exist on this cluster: an adopted mint is "
        "never created; check the address and the cluster, or unset SYSTOK_SOLANA_MINT to use "
        "the mint derived from the payer"
    )
