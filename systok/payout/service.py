"""Payouts: plan batches, save them and their signatures, send, confirm, settle the ledger.

The safety argument (ADR 0007), in the order things happen:

1. **Plan in one unit of work.** Which members go in which transaction, the ledger
   hold behind each transfer (``member`` → ``wallet``, code ``withdrawal``) and the
   first signed transaction of every batch (bytes, signature, blockhash, last valid
   block height) commit together, before anything is sent. A crash before that commit
   leaves nothing; after it, everything needed to finish is in the database.
2. **Count sends before sending.** An attempt's ``sends`` is raised in its own unit
   of work before each send. A refusal of a *first* send proves the transaction was
   never broadcast; any other refusal proves nothing and is left to expiry.
3. **Look before acting.** Each round reads the block height *first*, then the
   signatures' statuses. A signature the chain has ends its batch: success posts the
   holds (the tokens are on chain, the ledger moves them to ``wallet``), failure voids
   them (nothing moved, the balance stays custodial). A signature not found while
   the height is still within its blockhash's validity is sent again, same bytes (a
   duplicate is harmless: the chain deduplicates by signature). Only when the height
   read before the lookup is above ``last_valid_block_height`` can the old
   transaction never land; only then is the batch signed anew with a fresh blockhash.

Step 1 is this module's; steps 2 and 3 are ``payout.driver``'s.

So after any crash, ``resume`` finds every batch either final or with a saved
attempt whose fate the chain will tell: nobody is paid twice, and nobody zero times.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, Row
from sqlalchemy.orm import Session

from systok.clock import now_us
from systok.core.amount import STK
from systok.core.ledger import (
    AccountRef,
    AccountType,
    HoldDraft,
    TransactionCode,
    member_account,
)
from systok.db.engine import run_transaction
from systok.ledger.service import Ledger
from systok.payout import repository as repo
from systok.payout.adapters.protocol import PayoutAdapter
from systok.payout.chain import Transfer, make_transfer, pack_batches, parse_address
from systok.payout.driver import BatchDriver, save_attempt
from systok.payout.errors import NothingToPay, PayoutError, WalletNotLinked
from systok.payout.schemas import BatchLine, BatchStatus, DriveReport

MEMO_PREFIX = "SysTok"


def wallet_account(member_id: str, asset: str = STK) -> AccountRef:
    """The ledger's mirror of what a member holds on chain from payouts."""
    return AccountRef(AccountType.WALLET, asset, member_id)


class PayoutService:
    """Plans, sends and confirms payouts through one adapter; the ledger records them."""

    def __init__(
        self,
        engine: Engine,
        adapter: PayoutAdapter,
        *,
        scale: int,
        asset: str = STK,
        clock: Callable[[], int] = now_us,
        poll_seconds: float = 2.0,
        timeout_seconds: float = 180.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.adapter = adapter
        self.scale = scale
        self.asset = asset
        self.clock = clock
        self.driver = BatchDriver(engine, adapter, clock, poll_seconds, timeout_seconds, sleep)

    # --- planning (inside the caller's unit of work) -----------------------------------

    def plan(
        self,
        session: Session,
        *,
        purpose: str,
        plan_prefix: str,
        label: str,
        run_id: int | None,
        payees: Sequence[tuple[str, str, int]],
    ) -> list[int]:
        """Save the batches paying ``payees`` (member, address, units) and hold their amounts.

        Everything is written in the caller's unit of work; nothing is sent.
        """
        if not payees:
            return []
        if not self.adapter.on_chain:
            raise PayoutError(f"the {self.adapter.name} adapter pays nothing on chain")
        self.adapter.ensure_mint(self.scale)
        token = self.adapter.token()
        transfers = [
            make_transfer(token, member_id, parse_address(address), units, False)
            for member_id, address, units in payees
        ]
        existing = self.adapter.token_balances([t.account for t in transfers])
        transfers = [
            Transfer(t.member_id, t.owner, t.account, t.amount_units, balance is None)
            for t, balance in zip(transfers, existing, strict=True)
        ]
        # The memo's longest form bounds every batch; the member count bounds the batch
        # count, and the batch count found makes a shorter bound: a second packing with it
        # never needs more batches, so its memos stay within it (10 new members per
        # transaction instead of 9 from 10 000 members on).
        batches = pack_batches(token, transfers, f"{label} {len(transfers)}/{len(transfers)}")
        batches = pack_batches(token, transfers, f"{label} {len(batches)}/{len(batches)}")
        ledger = Ledger(session, clock=self.clock)
        blockhash, last_valid = self.adapter.latest_blockhash()
        now = self.clock()
        batch_ids = []
        for number, batch in enumerate(batches, 1):
            memo = f"{label} {number}/{len(batches)}"
            plan_key = f"{plan_prefix}{number}"
            batch_id = repo.insert_batch(
                session,
                plan_key=plan_key,
                run_id=run_id,
                purpose=purpose,
                memo=memo,
                mint=str(token.mint),
                status=BatchStatus.PLANNED,
                error=None,
                members=len(batch),
                amount_units=sum(t.amount_units for t in batch),
                created_at_us=now,
                updated_at_us=now,
            )
            items = []
            for transfer in batch:
                entry = ledger.create_hold(
                    HoldDraft(
                        code=TransactionCode.WITHDRAWAL,
                        idempotency_key=f"payout:{plan_key}:{transfer.member_id}",
                        debit=member_account(transfer.member_id, self.asset),
                        credit=wallet_account(transfer.member_id, self.asset),
                        amount_units=transfer.amount_units,
                        reference=memo,
                    )
                )
                assert entry.hold_id is not None
                items.append(
                    {
                        "batch_id": batch_id,
                        "member_id": transfer.member_id,
                        "run_id": run_id,
                        "address": str(transfer.owner),
                        "amount_units": transfer.amount_units,
                        "create_account": transfer.create_account,
                        "hold_id": entry.hold_id,
                    }
                )
            repo.insert_items(session, items)
            save_attempt(
                session,
                self.adapter,
                self.clock,
                batch_id=batch_id,
                transfers=batch,
                memo=memo,
                blockhash=blockhash,
                last_valid=last_valid,
            )
            batch_ids.append(batch_id)
        return batch_ids

    def plan_run(self, session: Session, run_id: int, week: str, policy_version: str) -> list[int]:
        """Plan the run's payout: every linked member's whole custodial balance.

        Rewards, adjustments and vesting releases all land in the custodial account
        first; paying out what is available there covers each of them exactly once,
        and retries what an earlier failed batch left behind.
        """
        prefix = f"run:{run_id}:"
        if repo.batch_count_with_prefix(session, prefix):
            return [b.id for b in repo.run_batches(session, run_id)]
        payees = repo.linked_with_custody(session, self.asset)
        return self.plan(
            session,
            purpose="run",
            plan_prefix=prefix,
            label=f"{MEMO_PREFIX} {week} {policy_version} batch",
            run_id=run_id,
            payees=payees,
        )

    def withdraw(self, member_id: str) -> DriveReport:
        """Pay a linked member's custodial balance out to their wallet, now.

        A withdrawal still in flight (a crash, a pause) is finished instead of planning
        a second one.
        """

        def plan(session: Session) -> list[int]:
            wallet = repo.wallet_of(session, member_id)
            if wallet is None:
                raise WalletNotLinked(
                    f"{member_id} has no linked wallet; their balance stays custodial "
                    "(link one with `systok payout challenge` and `systok payout link`)"
                )
            pending = [
                b.id
                for b in repo.list_batches(session, 1000)
                if b.status == BatchStatus.PLANNED
                and b.purpose == "withdrawal"
                and any(i.member_id == member_id for i in repo.batch_items(session, b.id))
            ]
            if pending:
                return pending
            payees = repo.linked_with_custody(session, self.asset, member_id)
            if not payees:
                raise NothingToPay(f"{member_id} has no custodial balance to withdraw")
            stamp = self.clock()
            return self.plan(
                session,
                purpose="withdrawal",
                plan_prefix=f"withdrawal:{member_id}:{stamp}:",
                label=f"{MEMO_PREFIX} withdrawal {member_id} {stamp}",
                run_id=None,
                payees=payees,
            )

        if not self.adapter.on_chain:
            raise PayoutError(
                "the payout adapter is custodial (SYSTOK_PAYOUT_ADAPTER): nothing can be withdrawn"
            )
        return self.drive(run_transaction(self.engine, plan))

    def drive(self, batch_ids: Sequence[int]) -> DriveReport:
        """Send and confirm the batches until each is final, or raise ``PayoutPending``."""
        return self.driver.drive(batch_ids)


# --- reads for the commands (inside the caller's unit of work) ------


def linked_wallets(session: Session) -> list[Row[Any]]:
    """Every linked wallet (member, address, linked at), by member."""
    return repo.list_wallets(session)


def batch_lines(session: Session, limit: int) -> list[BatchLine]:
    """The newest ``limit`` batches, each with its latest signature."""
    return [
        BatchLine(
            b.id,
            b.memo,
            b.members,
            b.amount_units,
            BatchStatus(b.status),
            repo.latest_attempt(session, b.id).signature,
            b.error,
        )
        for b in repo.list_batches(session, limit)
    ]


def batches_in_flight(session: Session) -> list[int]:
    """Every batch not final yet (what ``systok payout confirm`` drives)."""
    return repo.planned_batch_ids(session)


def paid_to_wallets(session: Session, asset: str = STK) -> dict[str, int]:
    """Each member's ledger ``wallet`` balance: what was paid out to the chain."""
    return repo.wallet_balances(session, asset)
