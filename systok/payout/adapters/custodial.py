"""The custodial adapter: no chain, every balance stays in the ledger."""

from __future__ import annotations

from typing import Any

from systok.payout.errors import PayoutError


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
