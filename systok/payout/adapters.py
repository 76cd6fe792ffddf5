"""Where payouts go: one protocol, three adapters (ADR 0007).

- ``custodial``: no chain. Every balance stays in the ledger; nothing is sent.
- ``litesvm``: the embedded chain (``EmbeddedChain``), in process, kept in a state
  file under the data dir. The default for the demo and the tests.
- ``rpc``: a real cluster (devnet, mainnet or a local validator) through solana-py's
  ``AsyncClient``, driven from a private event loop so the rest of SysTok stays
  synchronous.

The adapters only carry bytes and answer questions about the chain. Deciding what to
send, when to resend and what the ledger records is ``payout.service``'s job, the same
for every adapter; so what the tests prove against LiteSVM in process also holds for
the RPC path, which the tests drive against a JSON-RPC server on loopback.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import Transaction

from systok.config import Settings
from systok.errors import ConfigurationError
from systok.payout.chain import (
    MINT_LEN,
    TOKEN_PROGRAMS,
    ChainToken,
    create_mint_instructions,
    ensure_keypair,
    load_keypair,
    mint_address,
    mint_state_of,
    mint_supply_of,
    parse_address,
    token_amount_of,
)
from systok.payout.embedded import EmbeddedChain, Rejected
from systok.payout.errors import ChainUnavailable, PayoutError

TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{20,}")
"""A URL path part this long is taken for an access token (QuickNode, Alchemy) and masked."""
ACCOUNTS_PER_REQUEST = 100
"""getMultipleAccounts takes at most 100 addresses."""


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


class CustodialAdapter:
    """No chain: the ledger is all there is. Payout stages plan nothing."""

    name = "custodial"
    on_chain = False
    mint_adopted = False
    cluster = "none: balances stay in the ledger"

    def _refuse(self, *_: Any) -> Any:
        raise PayoutError(
            "the payout adapter is custodial (SYSTOK_PAYOUT_ADAPTER): there is no chain to use"
        )

    token = ensure_mint = latest_blockhash = block_height = send = _refuse
    statuses = token_balances = mint_supply = history = _refuse
    mint_account = payer_lamports = _refuse

    def close(self) -> None:
        return None


def _token_program(settings: Settings) -> Pubkey:
    try:
        return TOKEN_PROGRAMS[settings.solana_token_program]
    except KeyError:
        known = ", ".join(sorted(TOKEN_PROGRAMS))
        raise ConfigurationError(
            f"SYSTOK_SOLANA_TOKEN_PROGRAM {settings.solana_token_program!r}: use one of {known}"
        ) from None


class LitesvmAdapter:
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
        self.chain = chain
        self.payer = payer
        self.token_program = token_program or TOKEN_PROGRAMS["spl-token"]
        self.mint = mint or mint_address(payer.pubkey(), self.token_program)
        self.mint_adopted = mint is not None
        if chain.lamports(payer.pubkey()) == 0:
            chain.fund(payer.pubkey())

    @property
    def cluster(self) -> str:
        where = self.chain.state_path or "memory"
        return f"embedded LiteSVM (simulated, nothing reaches a real chain; state: {where})"

    def token(self) -> ChainToken:
        return ChainToken(self.payer, self.mint, self.token_program)

    def ensure_mint(self, decimals: int) -> Pubkey:
        data = self.chain.account_data(self.mint)
        if data is None and self.mint_adopted:
            raise _adopted_mint_missing(self.mint)
        if data is None:
            rent = self.chain.rent_exempt_lamports(MINT_LEN)
            blockhash, _ = self.chain.latest_blockhash()
            instructions = create_mint_instructions(
                self.payer.pubkey(), decimals, rent, self.token_program
            )
            message = Message.new_with_blockhash(instructions, self.payer.pubkey(), blockhash)
            outcome = self.chain.execute(bytes(Transaction([self.payer], message, blockhash)))
            if isinstance(outcome, Rejected) or outcome.error is not None:
                raise PayoutError(f"creating the STK mint failed: {outcome}")
            data = self.chain.account_data(self.mint)
            assert data is not None
        owner = self.chain.owner_of(self.mint)
        return _checked_mint(self.mint, owner, data, decimals, self.token())

    def latest_blockhash(self) -> tuple[Hash, int]:
        return self.chain.latest_blockhash()

    def block_height(self) -> int:
        return self.chain.height

    def send(self, raw: bytes) -> Refusal | None:
        outcome = self.chain.execute(raw)
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


def _checked_mint(
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


def _adopted_mint_missing(mint: Pubkey) -> PayoutError:
    return PayoutError(
        f"mint {mint} (SYSTOK_SOLANA_MINT) does not exist on this cluster: an adopted mint is "
        "never created; check the address and the cluster, or unset SYSTOK_SOLANA_MINT to use "
        "the mint derived from the payer"
    )


class RpcAdapter:
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

        self.url = url
        self.payer = payer
        self.token_program = token_program or TOKEN_PROGRAMS["spl-token"]
        self.mint = mint or mint_address(payer.pubkey(), self.token_program)
        self.mint_adopted = mint is not None
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

    def token(self) -> ChainToken:
        return ChainToken(self.payer, self.mint, self.token_program)

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
            raise _adopted_mint_missing(self.mint)
        if account is None:
            rent = self._run(self.client.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
            blockhash, last_valid = self.latest_blockhash()
            instructions = create_mint_instructions(
                self.payer.pubkey(), decimals, rent, self.token_program
            )
            message = Message.new_with_blockhash(instructions, self.payer.pubkey(), blockhash)
            transaction = Transaction([self.payer], message, blockhash)
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
        return _checked_mint(self.mint, owner, data, decimals, self.token())

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
        for start in range(0, len(signatures), 256):  # the method's limit per call
            chunk = list(signatures[start : start + 256])
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


def embedded_chain_for(settings: Settings) -> EmbeddedChain:
    """The embedded chain kept under the data dir (one per data dir)."""
    return _embedded_chains(settings.data_dir / "chain" / "litesvm-state.json")


_CHAINS: dict[Path, EmbeddedChain] = {}


def _embedded_chains(path: Path) -> EmbeddedChain:
    """One ``EmbeddedChain`` per state file in a process: two would overwrite each other."""
    resolved = path.resolve()
    if resolved not in _CHAINS:
        _CHAINS[resolved] = EmbeddedChain(resolved)
    return _CHAINS[resolved]


def payer_key_path(settings: Settings) -> Path:
    return settings.solana_keypair_path or settings.data_dir / "chain" / "payer.json"


def adopted_mint(settings: Settings) -> Pubkey | None:
    """``SYSTOK_SOLANA_MINT`` as an address (None: use the mint derived from the payer)."""
    if not settings.solana_mint:
        return None
    try:
        return parse_address(settings.solana_mint)
    except PayoutError:
        raise ConfigurationError(
            f"SYSTOK_SOLANA_MINT {settings.solana_mint!r} is not a Solana address (base58)"
        ) from None


def make_adapter(settings: Settings) -> PayoutAdapter:
    """The adapter the settings choose (``Settings.payout_adapter_choice``, ADR 0012).

    Raises:
        PayoutAdapterNotChosen: no adapter chosen outside the embedded database; nothing
            is built, so nothing is created (no key file, no chain state).
    """
    kind = settings.payout_adapter_choice()
    if kind == "custodial":
        return CustodialAdapter()
    mint = adopted_mint(settings)
    if kind == "litesvm":
        payer = ensure_keypair(payer_key_path(settings))
        return LitesvmAdapter(
            embedded_chain_for(settings),
            payer,
            token_program=_token_program(settings),
            mint=mint,
        )
    if kind == "rpc":
        missing = [
            name
            for name, value in (
                ("SYSTOK_SOLANA_RPC_URL", settings.solana_rpc_url),
                ("SYSTOK_SOLANA_KEYPAIR_PATH (the mint authority)", settings.solana_keypair_path),
            )
            if not value
        ]
        if missing:  # all at once, not one per attempt
            raise ConfigurationError(f"SYSTOK_PAYOUT_ADAPTER=rpc needs {' and '.join(missing)}")
        assert settings.solana_rpc_url is not None
        assert settings.solana_keypair_path is not None
        return RpcAdapter(
            settings.solana_rpc_url,
            load_keypair(settings.solana_keypair_path),
            token_program=_token_program(settings),
            skip_preflight=settings.solana_skip_preflight,
            timeout_seconds=settings.http_timeout_seconds,
            mint=mint,
        )
    raise AssertionError(f"payout_adapter_choice returned {kind!r}")


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
