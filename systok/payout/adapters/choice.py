"""Which adapter the settings choose, and where its key, mint and embedded chain are."""

from __future__ import annotations

from pathlib import Path

from solders.pubkey import Pubkey

from systok.config import Settings
from systok.errors import ConfigurationError
from systok.payout.adapters.custodial import CustodialAdapter
from systok.payout.adapters.litesvm import LitesvmAdapter
from systok.payout.adapters.protocol import PayoutAdapter
from systok.payout.adapters.rpc import RpcAdapter
from systok.payout.chain import TOKEN_PROGRAMS, ensure_keypair, load_keypair, parse_address
from systok.payout.embedded import EmbeddedChain
from systok.payout.errors import PAYOUT_ADAPTERS, PayoutAdapterNotChosen, PayoutError


def _token_program(settings: Settings) -> Pubkey:
    try:
        return TOKEN_PROGRAMS[settings.solana_token_program]
    except KeyError:
        known = ", ".join(sorted(TOKEN_PROGRAMS))
        raise ConfigurationError(
            f"SYSTOK_SOLANA_TOKEN_PROGRAM {settings.solana_token_program!r}: use one of {known}"
        ) from None


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


def adapter_choice(settings: Settings) -> str:
    """The payout adapter to use: ``SYSTOK_PAYOUT_ADAPTER``, or litesvm for the demo.

    The one rule every paying path and ``systok doctor`` apply (ADR 0012).

    Raises:
        PayoutAdapterNotChosen: unset with a database other than the embedded
            SQLite one, or not one of the adapters.
    """
    if settings.payout_adapter is None:
        if settings.uses_embedded_database():
            return "litesvm"
        raise PayoutAdapterNotChosen.unset()
    if settings.payout_adapter not in PAYOUT_ADAPTERS:
        raise PayoutAdapterNotChosen.unknown(settings.payout_adapter)
    return settings.payout_adapter


def make_adapter(settings: Settings) -> PayoutAdapter:
    """The adapter the settings choose (``adapter_choice``, ADR 0012).

    Raises:
        PayoutAdapterNotChosen: no adapter chosen outside the embedded database; nothing
            is built, so nothing is created (no key file, no chain state).
    """
    kind = adapter_choice(settings)
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
    raise AssertionError(f"adapter_choice returned {kind!r}")
