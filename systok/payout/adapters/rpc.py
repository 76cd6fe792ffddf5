"""The RPC adapter: a real Solana cluster through solana-py's ``AsyncClient``.

solana-py 0.41 is async-only; the adapter drives it from a private event loop so the
rest of SysTok stays synchronous.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

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
from systok.payout.errors import ChainUnavailable, PayoutError

TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{20,}")
"""A URL path part this long is taken for an access token (QuickNode, Alchemy) and masked."""
ACCOUNTS_PER_REQUEST = 100
"""getMultipleAccounts takes at most 100 addresses."""
SIGNATURES_PER_REQUEST = 256
"""getSignatureStatuses takes at most 256 signatures."""


class RpcAdapter(PayerMint):
    """A Solana cluster through solana-py 0.41 (async-only), on a private event loop."""

    name = "rpc"
    on_chain = True

    def __init__(
        self,
        url: str,
        payer: Keypair,
        *,
        token_program: Pubkey | None = None,
        skip_preflight: bool = False,
        timeout_seconds: float = 20.0,
        mint: Pubkey | None = None,
    ) -> None:
        from solana.rpc.async_api import AsyncClient
        from solana.rpc.commitment import Confirmed

        super().__init__(payer, token_program, mint)
        self.url = url
        self.skip_preflight = skip_preflight
        self.loop = asyncio.new_event_loop()
        self.client = AsyncClient(url, commitment=Confirmed, timeout=timeout_seconds)

    def _run(self, coroutine: Any) -> Any:
        """Run one call; transport failures become ``ChainUnavailable`` naming the URL."""
        from solana.exceptions import SolanaRpcException

        try:
            return self.loop.run_until_complete(coroutine)
        except SolanaRpcException as error:
            raise ChainUnavailable(f"Solana RPC {self.url}: {error}") from None
        except OSError as error:
            raise ChainUnavailable(f"Solana RPC {self.url}: {error}") from None

    @property
    def cluster(self) -> str:
        return mask_url(self.url)

    def _accounts(self, addresses: Sequence[Pubkey]) -> list[tuple[Pubkey, bytes] | None]:
        out: list[tuple[Pubkey, bytes] | None] = []
        for start in range(0, len(addresses), ACCOUNTS_PER_REQUEST):
            chunk = list(addresses[start : start + ACCOUNTS_PER_REQUEST])
            response = self._run(self.client.get_multiple_accounts(chunk))
            out.extend(None if a is None else (a.owner, bytes(a.data)) for a in response.value)
        return out

    def _account_data(self, addresses: Sequence[Pubkey]) -> list[bytes | None]:
        return [None if a is None else a[1] for a in self._accounts(addresses)]

    def ensure_mint(self, decimals: int) -> Pubkey:
        from solana.rpc.models import TxOpts

        (account,) = self._accounts([self.mint])
        if account is None and self.mint_adopted:
            raise adopted_mint_missing(self.mint)
        if account is None:
            rent = self._run(self.client.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
            blockhash, last_valid = self.latest_blockhash()
            transaction = create_mint_transaction(
                self.payer, decimals, rent, self.token_program, blockhash
            )
            self._run(
                self.client.send_raw_transaction(
                    bytes(transaction),
                    TxOpts(skip_confirmation=False, last_valid_block_height=last_valid),
                )
            )
            (account,) = self._accounts([self.mint])
            if account is None:
                raise PayoutError(f"creating the STK mint {self.mint} did not land")
        owner, data = account
        return checked_mint(self.mint, owner, data, decimals, self.token())

    def latest_blockhash(self) -> tuple[Hash, int]:
        value = self._run(self.client.get_latest_blockhash()).value
        return value.blockhash, int(value.last_valid_block_height)

    def block_height(self) -> int:
        return int(self._run(self.client.get_block_height()).value)

    def send(self, raw: bytes) -> Refusal | None:
        from solana.rpc.core import RPCException
        from solana.rpc.models import TxOpts

        try:
            self._run(
                self.client.send_raw_transaction(
                    raw, TxOpts(skip_confirmation=True, skip_preflight=self.skip_preflight)
                )
            )
        except RPCException as error:
            return _refusal(error)
        return None

    def statuses(self, signatures: Sequence[Signature]) -> list[Landed | None]:
        out: list[Landed | None] = []
        for start in range(0, len(signatures), SIGNATURES_PER_REQUEST):
            chunk = list(signatures[start : start + SIGNATURES_PER_REQUEST])
            response = self._run(
                self.client.get_signature_statuses(chunk, search_transaction_history=True)
            )
            for status in response.value:
                if status is None or status.confirmation_status is None:
                    out.append(None)
                    continue
                if str(status.confirmation_status).endswith("Processed"):
                    out.append(None)  # not confirmed yet: it may still be dropped
                    continue
                out.append(Landed(status.slot, None if status.err is None else str(status.err)))
        return out

    def token_balances(self, accounts: Sequence[Pubkey]) -> list[int | None]:
        return [None if d is None else token_amount_of(d) for d in self._account_data(accounts)]

    def mint_supply(self) -> int | None:
        (data,) = self._account_data([self.mint])
        return None if data is None else mint_supply_of(data)

    def mint_account(self) -> tuple[Pubkey, bytes] | None:
        (account,) = self._accounts([self.mint])
        return account

    def payer_lamports(self) -> int:
        return int(self._run(self.client.get_balance(self.payer.pubkey())).value)

    def history(self) -> list[ChainMemo]:
        out: list[ChainMemo] = []
        before = None
        while True:
            page = self._run(
                self.client.get_signatures_for_address(self.payer.pubkey(), before=before)
            ).value
            if not page:
                break
            out.extend(
                ChainMemo(
                    str(item.signature),
                    _strip_memo(item.memo),
                    None if item.err is None else str(item.err),
                )
                for item in page
            )
            before = page[-1].signature
        out.reverse()
        return out

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.close()


def _strip_memo(memo: str | None) -> str | None:
    """RPC nodes prefix memos with their length (``[17] STK …``); give the text itself."""
    if memo is None:
        return None
    if memo.startswith("[") and "] " in memo:
        return memo.split("] ", 1)[1]
    return memo


def _refusal(error: Exception) -> Refusal:
    """A preflight failure as a refusal, keeping the chain's error and program logs."""
    detail: Any = error.args[0] if error.args else error
    data = getattr(detail, "data", None)
    chain_error = getattr(data, "err", None)
    logs = tuple(getattr(data, "logs", None) or ())
    text = str(chain_error) if chain_error is not None else str(getattr(detail, "message", detail))
    transient = "BlockhashNotFound" in text or "AlreadyProcessed" in text
    return Refusal(text, logs, transient=transient)


def mask_url(url: str) -> str:
    """The URL with its password, every query value and token-like path parts as ``***``.

    Providers put API keys in the query (``?api-key=…``), the user info or the path
    (``/v2/<key>``, ``/<token>/``); what is left (scheme, host, port, the short path
    parts) says which cluster without giving access to it.
    """
    parts = urlsplit(url)
    path = "/".join(
        "***" if TOKEN_LIKE.fullmatch(segment) else segment for segment in parts.path.split("/")
    )
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = "&".join(
        f"{name}=***" if value else name
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit((parts.scheme, netloc, path, query, ""))
