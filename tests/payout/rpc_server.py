"""A Solana JSON-RPC server on loopback, backed by the embedded chain (LiteSVM).

It answers the methods solana-py's ``AsyncClient`` calls for payouts, in the shapes
``solders`` parses (responses are built with ``solders``' own response types), and it
can misbehave on purpose: drop sends (a packet lost on the way), let blocks pass on
every height query (time passing), run or skip preflight like a node.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from solders.account import Account
from solders.pubkey import Pubkey
from solders.rpc.errors import SendTransactionPreflightFailureMessage
from solders.rpc.responses import (
    GetBalanceResp,
    GetBlockHeightResp,
    GetLatestBlockhashResp,
    GetMinimumBalanceForRentExemptionResp,
    GetMultipleAccountsResp,
    GetSignaturesForAddressResp,
    GetSignatureStatusesResp,
    RpcBlockhash,
    RpcConfirmedTransactionStatusWithSignature,
    RpcResponseContext,
    RpcSimulateTransactionResult,
    SendTransactionResp,
)
from solders.signature import Signature
from solders.transaction import Transaction
from solders.transaction_status import (
    TransactionConfirmationStatus,
    TransactionErrorFieldless,
    TransactionStatus,
)

from systok.payout.embedded import EmbeddedChain, Rejected
from tests.payout.chain_hooks import let_blocks_pass, simulate


class LoopbackRpc:
    """The server's state: the chain, and the faults to inject."""

    def __init__(self, chain: EmbeddedChain) -> None:
        self.chain = chain
        self.lock = threading.Lock()
        self.lost_blockhashes: set[str] = set()
        """Sends of transactions with these blockhashes are swallowed: answered, never run."""
        self.blocks_per_height_query = 0
        """Blocks that pass on each getBlockHeight: time passing while a client polls."""
        self.calls: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LoopbackRpc:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        rpc = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with rpc.lock:
                    answer = rpc.answer(body["method"], body.get("params", []))
                answer["id"] = body.get("id")
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return None

        return Handler

    def _context(self) -> RpcResponseContext:
        return RpcResponseContext(self.chain.svm.get_clock().slot)

    def answer(self, method: str, params: list[Any]) -> dict[str, Any]:
        self.calls.append(method)
        handler = getattr(self, "rpc_" + method, None)
        if handler is None:
            return {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}}
        result: dict[str, Any] = json.loads(handler(*params))
        return result

    # --- methods -----------------------------------------------------------------------

    def rpc_getHealth(self, *_: Any) -> str:
        # A healthy node answers the string "ok" (Solana JSON-RPC API, getHealth).
        return json.dumps({"jsonrpc": "2.0", "result": "ok"})

    def rpc_getLatestBlockhash(self, *_: Any) -> str:
        blockhash, last_valid = self.chain.latest_blockhash()
        return GetLatestBlockhashResp(
            RpcBlockhash(blockhash, last_valid), self._context()
        ).to_json()

    def rpc_getBlockHeight(self, *_: Any) -> str:
        if self.blocks_per_height_query:
            let_blocks_pass(self.chain, self.blocks_per_height_query)
        return GetBlockHeightResp(self.chain.height).to_json()

    def rpc_getMinimumBalanceForRentExemption(self, size: int, *_: Any) -> str:
        return GetMinimumBalanceForRentExemptionResp(
            self.chain.rent_exempt_lamports(size)
        ).to_json()

    def rpc_getBalance(self, address: str, *_: Any) -> str:
        lamports = self.chain.lamports(Pubkey.from_string(address))
        return GetBalanceResp(lamports, self._context()).to_json()

    def rpc_getMultipleAccounts(self, addresses: list[str], *_: Any) -> str:
        accounts: list[Account | None] = [
            self.chain.svm.get_account(Pubkey.from_string(a)) for a in addresses
        ]
        return GetMultipleAccountsResp(accounts, self._context()).to_json()

    def rpc_sendTransaction(self, encoded: str, config: dict[str, Any] | None = None) -> str:
        raw = base64.b64decode(encoded)
        transaction = Transaction.from_bytes(raw)
        signature = transaction.signatures[0]
        if str(transaction.message.recent_blockhash) in self.lost_blockhashes:
            return SendTransactionResp(signature).to_json()
        if not (config or {}).get("skipPreflight"):
            refusal = (
                Rejected("AlreadyProcessed", blockhash_unknown=False)
                if self.chain.status(signature) is not None
                else simulate(self.chain, raw)
            )
            if refusal is not None:
                return self._preflight_failure(raw, refusal)
        self.chain.process(raw)  # a node forwards it; whatever happens is in the history
        return SendTransactionResp(signature).to_json()

    def _preflight_failure(self, raw: bytes, refusal: Rejected) -> str:
        simulated = self.chain.svm.simulate_transaction(Transaction.from_bytes(raw))
        meta = getattr(simulated, "meta", None)
        err = (
            simulated.err()
            if hasattr(simulated, "err")
            else TransactionErrorFieldless.AlreadyProcessed
        )
        logs = list(meta().logs()) if meta is not None else []
        failure = SendTransactionPreflightFailureMessage(
            f"Transaction simulation failed: {refusal.error}",
            RpcSimulateTransactionResult(err, logs, None, 0, None),
        )
        data = json.loads(failure.to_json())
        return json.dumps({"jsonrpc": "2.0", "error": {"code": -32002, **data}, "id": 0})

    def rpc_getSignatureStatuses(self, signatures: list[str], *_: Any) -> str:
        statuses = []
        for text in signatures:
            executed = self.chain.status(Signature.from_string(text))
            if executed is None:
                statuses.append(None)
                continue
            statuses.append(
                TransactionStatus(
                    executed.slot,
                    None,
                    None,
                    executed.error_object,
                    TransactionConfirmationStatus.Finalized,
                )
            )
        return GetSignatureStatusesResp(statuses, self._context()).to_json()

    def rpc_getSignaturesForAddress(
        self, address: str, config: dict[str, Any] | None = None
    ) -> str:
        config = config or {}
        items = list(reversed(self.chain.signatures()))  # newest first, like a node
        if config.get("before"):
            before = Signature.from_string(config["before"])
            index = next((i for i, (s, _) in enumerate(items) if s == before), len(items))
            items = items[index + 1 :]
        items = items[: config.get("limit") or 1000]
        return GetSignaturesForAddressResp(
            [
                RpcConfirmedTransactionStatusWithSignature(
                    signature,
                    executed.slot,
                    executed.error_object,
                    None if executed.memo is None else f"[{len(executed.memo)}] {executed.memo}",
                    None,
                    TransactionConfirmationStatus.Finalized,
                )
                for signature, executed in items
            ]
        ).to_json()
