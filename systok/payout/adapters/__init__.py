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

from systok.payout.adapters.choice import (
    embedded_chain_for,
    make_adapter,
    payer_key_path,
)
from systok.payout.adapters.litesvm import LitesvmAdapter
from systok.payout.adapters.protocol import PayoutAdapter, Refusal
from systok.payout.adapters.rpc import RpcAdapter, mask_url

__all__ = [
    "LitesvmAdapter",
    "PayoutAdapter",
    "Refusal",
    "RpcAdapter",
    "embedded_chain_for",
    "make_adapter",
    "mask_url",
    "payer_key_path",
]
