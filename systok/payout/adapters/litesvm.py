"""The embedded chain adapter: LiteSVM in process, where everything lands (or fails) at once."""

from __future__ import annotations

from collections.abc import Sequence

from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

from systok.payout.adapters.protocol import (
    ChainMemo,
    Landed,
    PayerMint,
    Refusal,
    adopted_mint_missing,
    checked_mint,
)
from systok.payout.chain import (
    MINT_LEN,
    create_mint_transaction,
    mint_supply_of,
    token_amount_of,
)
from systok.payout.embedded import EmbeddedChain, Rejected
from systok.payout.errors import PayoutError


class LitesvmAdapter(PayerMint):
    """The embedded chain, in process: everything lands (or fails) at once."""

    name = "litesvm"
    on_chain = True

    def __init__(
        self,
        chain: EmbeddedChain,
        payer: Keypair,
        *,
        token_program: Pubkey | None = None,
        mint: Pubkey | None = None,
    ) -> None:
        super().__init__(payer, token_program, mint)
        self.chain = chain
        if chain.lamports(payer.pubkey()) == 0:
            chain.fund(payer.pubkey())

    @property
    def cluster(self) -> str:
        where = self.chain.state_path or "memory"
        return f"embedded LiteSVM (simulated, nothing reaches a real chain; state: {where})"

    def ensure_mint(self, decimals: int) -> Pubkey:
        data = self.chain.account_data(self.mint)
        if data is None and self.mint_adopted:
            raise adopted_mint_missing(self.mint)
        if data is None:
            rent = self.chain.rent_exempt_lamports(MINT_LEN)
            blockhash, _ = self.chain.latest_blockhash()
            transaction = create_mint_transaction(
                self.payer, decimals, rent, self.token_program, blockhash
            )
            outcome = self.chain.process(bytes(transaction))
            if isinstance(outcome, Rejected) or outcome.error is not None:
                raise PayoutError(f"creating the STK mint failed: {outcome}")
            data = self.chain.account_data(self.mint)
            assert data is not None
        owner = self.chain.owner_of(self.mint)
        return checked_mint(self.mint, owner, data, decimals, self.token())

    def latest_blockhash(self) -> tuple[Hash, int]:
        return self.chain.latest_blockhash()

    def block_height(self) -> int:
        return self.chain.height

    def send(self, raw: bytes) -> Refusal | None:
        outcome = self.chain.process(raw)
        if isinstance(outcome, Rejected):
            return Refusal(
                outcome.error,
                transient=outcome.blockhash_unknown or outcome.error == "AlreadyProcessed",
            )
        return None

    def statuses(self, signatures: Sequence[Signature]) -> list[Landed | None]:
        found = [self.chain.status(s) for s in signatures]
        return [None if e is None else Landed(e.slot, e.error) for e in found]

    def token_balances(self, accounts: Sequence[Pubkey]) -> list[int | None]:
        balances: list[int | None] = []
        for account in accounts:
            data = self.chain.account_data(account)
            balances.append(None if data is None else token_amount_of(data))
        return balances

    def mint_supply(self) -> int | None:
        data = self.chain.account_data(self.mint)
        return None if data is None else mint_supply_of(data)

    def mint_account(self) -> tuple[Pubkey, bytes] | None:
        data = self.chain.account_data(self.mint)
        owner = self.chain.owner_of(self.mint)
        return None if data is None or owner is None else (owner, data)

    def payer_lamports(self) -> int:
        return self.chain.lamports(self.payer.pubkey())

    def history(self) -> list[ChainMemo]:
        return [ChainMemo(str(s), e.memo, e.error) for s, e in self.chain.signatures()]

    def close(self) -> None:
        return None
