"""Reconciliation: the chain against the ledger, every difference named.

What must agree (ADR 0007):

- each token account paid by confirmed batches holds what they paid it (tokens a
  holder moved on chain afterwards show up here too: the chain is theirs to use);
- each member's ``wallet`` account in the ledger equals what confirmed batches paid
  them;
- the mint's supply equals the sum of the ledger's ``wallet`` accounts (tokens are
  minted only when they leave custody);
- every landed attempt is in the chain's history with its batch's memo, and the
  chain has no SysTok transaction the database does not know.

Differences are values, not exceptions: all are listed, and the CLI exits non-zero
when there is any. Each reconciliation's summary (counts by kind) is kept in
``reconciliations`` so ``/metrics`` shows the last one after a restart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from systok import clock
from systok.core.amount import STK
from systok.db.engine import run_transaction
from systok.observability.records import record_reconciliation
from systok.payout import repository as repo
from systok.payout.adapters.protocol import PayoutAdapter
from systok.payout.chain import parse_address, token_account
from systok.payout.schemas import AttemptStatus
from systok.payout.service import MEMO_PREFIX


@dataclass(frozen=True)
class Difference:
    """One disagreement: ``missing``, ``extra`` or ``wrong amount``, about a subject."""

    kind: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


@dataclass(frozen=True)
class Reconciliation:
    differences: list[Difference]
    accounts_checked: int
    transactions_checked: int
    supply_units: int | None


def reconcile(engine: Engine, adapter: PayoutAdapter, asset: str = STK) -> Reconciliation:
    """Compare the chain's balances, supply and memos with the ledger and the payout plan."""
    items, ledger_wallets, landed, known = run_transaction(
        engine,
        lambda s: (
            repo.confirmed_items(s),
            repo.wallet_balances(s, asset),
            repo.landed_attempts(s),
            repo.all_attempt_signatures(s),
        ),
        snapshot=True,
    )
    differences: list[Difference] = []
    token = adapter.token()

    paid_to: dict[str, int] = defaultdict(int)
    paid_member: dict[str, int] = defaultdict(int)
    for item in items:
        paid_to[item.address] += item.amount_units
        paid_member[item.member_id] += item.amount_units
        if item.mint != str(token.mint):
            differences.append(
                Difference("extra", f"mint {item.mint}", "paid from a mint the payer does not own")
            )

    addresses = sorted(paid_to)
    accounts = [token_account(parse_address(a), token.mint, token.token_program) for a in addresses]
    for address, amount in zip(addresses, adapter.token_balances(accounts), strict=True):
        expected = paid_to[address]
        if amount is None:
            differences.append(
                Difference("missing", f"token account of {address}", f"expected {expected}")
            )
        elif amount != expected:
            differences.append(
                Difference(
                    "wrong amount",
                    f"token account of {address}",
                    f"chain {amount}, payouts {expected} (difference {amount - expected:+d})",
                )
            )

    for member in sorted(set(paid_member) | set(ledger_wallets)):
        in_ledger, paid = ledger_wallets.get(member, 0), paid_member.get(member, 0)
        if in_ledger != paid:
            differences.append(
                Difference(
                    "wrong amount",
                    f"ledger wallet:{member}@{asset}",
                    f"ledger {in_ledger}, confirmed payouts {paid}",
                )
            )

    supply = adapter.mint_supply()
    ledger_total = sum(ledger_wallets.values())
    if (supply or 0) != ledger_total:
        differences.append(
            Difference(
                "wrong amount",
                f"mint {token.mint} supply",
                f"chain {supply or 0}, ledger wallet accounts {ledger_total}",
            )
        )

    differences.extend(_memo_differences(adapter, landed, known))
    result = Reconciliation(differences, len(accounts), len(landed), supply)
    record_reconciliation(  # its summary, for /metrics (systok.observability.collector)
        engine,
        finished_at_us=clock.now_us(),
        difference_kinds=[d.kind for d in differences],
        accounts_checked=result.accounts_checked,
        transactions_checked=result.transactions_checked,
    )
    return result


def _memo_differences(
    adapter: PayoutAdapter, landed: list[Any], known: set[str]
) -> list[Difference]:
    """Every landed attempt is on chain with its memo; no unknown SysTok memo is."""
    differences: list[Difference] = []
    history = {m.signature: m for m in adapter.history()}
    for attempt in landed:
        seen = history.get(attempt.signature)
        if seen is None:
            differences.append(
                Difference("missing", f"transaction {attempt.signature}", f"memo {attempt.memo!r}")
            )
        elif seen.memo != attempt.memo:
            differences.append(
                Difference(
                    "wrong amount",
                    f"transaction {attempt.signature}",
                    f"memo on chain {seen.memo!r}, planned {attempt.memo!r}",
                )
            )
        elif (seen.error is None) != (attempt.status == AttemptStatus.LANDED):
            differences.append(
                Difference(
                    "wrong amount",
                    f"transaction {attempt.signature}",
                    f"chain error {seen.error!r}, recorded {attempt.status}",
                )
            )
    for signature, seen in history.items():
        if seen.memo and seen.memo.startswith(MEMO_PREFIX) and signature not in known:
            differences.append(
                Difference("extra", f"transaction {signature}", f"memo {seen.memo!r} not planned")
            )
    return differences
