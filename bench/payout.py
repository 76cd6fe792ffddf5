"""Paying many members on LiteSVM: transactions, members per transaction, seconds.

    python3 dev.py bench payout [--members 100000]

Two payouts to the same members on one embedded chain (no database: this measures
the chain side of ``systok.payout``, the same packing, signing and sending code the
weekly run uses):

1. **new recipients**: every member's associated token account is created in the
   payout transaction (create-idempotent + mint_to per member);
2. **accounts exist**: the second payout only mints (mint_to per member).

Each line prints transactions used, members per transaction (mean and max, packed by
the transaction's exact size against the 1 232-byte limit), the seconds to derive the
members' token accounts, to pack, to sign and to send (LiteSVM executes at once: the
``send`` column is the VM's own time), and every transaction's landing is checked. Then
what each payout cost the payer on the VM, in lamports per recipient (signature fees and
new accounts' rent, read from the payer's balance), and the weekly cost for 500 and
50 000 members. Last: ``ratio`` = total seconds of the accounts-exist payout / its send
seconds (issue 16's goal: ≤ 2, SysTok's own work no longer than the chain's).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solders.keypair import Keypair

from systok.payout.adapters import LitesvmAdapter
from systok.payout.chain import TX_SIZE_MAX, make_transfer, pack_batches, sign_batch
from systok.payout.embedded import EmbeddedChain


def payout(adapter, owners, *, create: bool, label: str) -> dict[str, float]:
    token = adapter.token()
    started = time.perf_counter()
    transfers = [
        make_transfer(token, f"m{n:06d}", owner, 1_000_000 + n, create)
        for n, owner in enumerate(owners)
    ]
    derived = time.perf_counter()
    batches = pack_batches(token, transfers, f"{label} {len(transfers)}/{len(transfers)}")
    packed = time.perf_counter()
    blockhash, _ = adapter.latest_blockhash()
    lamports_before = adapter.payer_lamports()
    signed = [
        bytes(sign_batch(token, batch, f"{label} {i}/{len(batches)}", blockhash))
        for i, batch in enumerate(batches, 1)
    ]
    signed_at = time.perf_counter()
    assert max(len(raw) for raw in signed) <= TX_SIZE_MAX
    for raw in signed:
        refusal = adapter.send(raw)
        assert refusal is None, refusal
    sent = time.perf_counter()
    failed = [s for s in adapter.chain.history.values() if s.error is not None]
    assert not failed, failed[0]
    sizes = [len(b) for b in batches]
    return {
        "lamports": lamports_before - adapter.payer_lamports(),
        "transactions": len(batches),
        "mean": len(transfers) / len(batches),
        "max": max(sizes),
        "derive": derived - started,
        "pack": packed - derived,
        "sign": signed_at - packed,
        "send": sent - signed_at,
        "total": sent - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args()
    chain = EmbeddedChain()
    payer = Keypair.from_seed(hashlib.sha256(b"bench-payer").digest())
    adapter = LitesvmAdapter(chain, payer)
    adapter.ensure_mint(6)
    owners = [
        Keypair.from_seed(hashlib.sha256(f"bench-{n}".encode()).digest()).pubkey()
        for n in range(args.members)
    ]
    print(f"{args.members} members, LiteSVM in process, 1 signature per transaction")
    print(
        f"{'payout':<22}{'txs':>8}{'members/tx':>12}{'max':>5}"
        f"{'derive s':>10}{'pack s':>9}{'sign s':>9}{'send s':>9}{'total s':>9}"
    )
    rows = {}
    for name, create in (("new recipients", True), ("accounts exist", False)):
        row = payout(adapter, owners, create=create, label=f"SysTok bench {name}")
        rows[name] = row
        print(
            f"{name:<22}{row['transactions']:>8}{row['mean']:>12.1f}{row['max']:>5}"
            f"{row['derive']:>10.2f}{row['pack']:>9.2f}{row['sign']:>9.2f}"
            f"{row['send']:>9.2f}{row['total']:>9.2f}"
        )
    token = adapter.token()
    sample = [
        make_transfer(token, "x", o, 1, False).account
        for o in owners[:: max(1, len(owners) // 100)]
    ]
    balances = adapter.token_balances(sample)
    assert all(b is not None and b >= 2_000_000 for b in balances), "every member paid twice"
    print(f"supply {adapter.mint_supply()} base units; sampled balances check out")
    print_costs(rows, args.members)
    exist = rows["accounts exist"]
    print(f"ratio {exist['total'] / exist['send']:.2f} (accounts-exist payout: total s / send s)")


def print_costs(rows: dict[str, dict[str, float]], members: int) -> None:
    """Lamports per recipient as the VM charged them, and a week's SOL for 500 / 50 000."""
    per = {name: row["lamports"] / members for name, row in rows.items()}
    for name, row in rows.items():
        print(
            f"cost {name:<16}{int(row['lamports']):>16} lamports = {per[name]:>12.1f} per "
            f"recipient ({row['mean']:.0f} per transaction)"
        )
    for size in (500, 50_000):
        first, later = per["new recipients"] * size, per["accounts exist"] * size
        print(
            f"week of {size:>6} members: first {first / 1e9:.6f} SOL (accounts created), "
            f"later weeks {later / 1e9:.6f} SOL"
        )


if __name__ == "__main__":
    main()
