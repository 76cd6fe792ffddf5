"""What payouts are configured to use, read from the settings and the chain (``payout info``).

An operator about to pay real tokens needs to see, before the first run: which adapter
was chosen and how (ADR 0012), which cluster it talks to (secrets masked), the payer's
address and SOL balance (it pays fees and new token accounts' rent), and the mint:
its address, whether it is SysTok's derived one or an adopted one, its program,
decimals, supply and authorities, and whether payouts can use it.
"""

from __future__ import annotations

from typing import Any

from solders.pubkey import Pubkey

from systok.config import Settings
from systok.core.amount import format_amount
from systok.payout.adapters import PayoutAdapter, payer_key_path
from systok.payout.chain import TOKEN_PROGRAMS, mint_state_of
from systok.payout.errors import PayoutError

LAMPORTS_SCALE = 9
"""One SOL is 10⁹ lamports."""


def payout_info(settings: Settings, adapter: PayoutAdapter, scale: int) -> dict[str, Any]:
    """The payout configuration as plain data (the ``--json`` shape in docs/cli-json.md).

    ``problems`` lists what would make the next payout refuse (a mint with other
    decimals or another authority, an adopted mint that does not exist); an empty list
    means payouts can go ahead.
    """
    info: dict[str, Any] = {
        "adapter": adapter.name,
        "adapter_chosen_by": (
            "SYSTOK_PAYOUT_ADAPTER"
            if settings.payout_adapter is not None
            else "default (the embedded SQLite database)"
        ),
        "on_chain": adapter.on_chain,
        "cluster": adapter.cluster,
        "payer": None,
        "payer_key_file": None,
        "payer_balance_lamports": None,
        "payer_balance_sol": None,
        "mint": None,
        "mint_source": None,
        "mint_exists": None,
        "token_program": None,
        "token_program_id": None,
        "decimals": None,
        "policy_decimals": scale,
        "supply_units": None,
        "mint_authority": None,
        "payer_is_mint_authority": None,
        "freeze_authority": None,
        "problems": [],
    }
    if not adapter.on_chain:
        return info
    token = adapter.token()
    lamports = adapter.payer_lamports()
    programs = {program_id: name for name, program_id in TOKEN_PROGRAMS.items()}
    info.update(
        payer=str(token.payer.pubkey()),
        payer_key_file=str(payer_key_path(settings)),
        payer_balance_lamports=lamports,
        payer_balance_sol=format_amount(lamports, LAMPORTS_SCALE),
        mint=str(token.mint),
        mint_source="SYSTOK_SOLANA_MINT" if adapter.mint_adopted else "derived from the payer",
        token_program=programs[token.token_program],
        token_program_id=str(token.token_program),
    )
    problems: list[str] = info["problems"]
    if lamports == 0:
        problems.append(
            f"the payer {token.payer.pubkey()} holds no SOL: it cannot pay fees or rent "
            "(fund it: `solana airdrop` on devnet, a transfer on mainnet)"
        )
    account = adapter.mint_account()
    info["mint_exists"] = account is not None
    if account is None:
        if adapter.mint_adopted:
            problems.append(f"mint {token.mint} (SYSTOK_SOLANA_MINT) does not exist")
        return info  # a derived mint is created by the first payout
    _owner, data = account  # the program is checked by ensure_mint below
    try:
        state = mint_state_of(data)
    except PayoutError as error:
        problems.append(f"account {token.mint}: {error}")
        return info
    info.update(
        decimals=state.decimals,
        supply_units=state.supply_units,
        mint_authority=_text(state.mint_authority),
        payer_is_mint_authority=state.mint_authority == token.payer.pubkey(),
        freeze_authority=_text(state.freeze_authority),
    )
    try:
        adapter.ensure_mint(scale)  # the same check a payout makes; it exists, so reads only
    except PayoutError as error:
        problems.append(error.message)
    return info


def _text(key: Pubkey | None) -> str | None:
    return None if key is None else str(key)
