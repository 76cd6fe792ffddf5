"""Sending and confirming payout batches, each step its own unit of work (ADR 0007).

``payout.service`` plans batches; this drives them until each is final, by the rule
of ``payout.service``'s step 3: read the block height first, then the signatures'
statuses; settle what the chain has, send again what may still land, and sign anew
only what can never land.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from solders.hash import Hash
from solders.signature import Signature
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.db.engine import run_transaction
from systok.ledger.service import Ledger
from systok.payout import repository as repo
from systok.payout.adapters.protocol import Landed, PayoutAdapter
from systok.payout.chain import Transfer, make_transfer, parse_address, sign_batch
from systok.payout.errors import PayoutPending
from systok.payout.schemas import AttemptStatus, BatchStatus, DriveReport


def save_attempt(
    session: Session,
    adapter: PayoutAdapter,
    clock: Callable[[], int],
    *,
    batch_id: int,
    transfers: Sequence[Transfer],
    memo: str,
    blockhash: Hash,
    last_valid: int,
) -> None:
    """Sign the batch with ``blockhash`` and save the attempt, before anything is sent."""
    signed = sign_batch(adapter.token(), transfers, memo, blockhash)
    now = clock()
    repo.insert_attempt(
        session,
        batch_id=batch_id,
        signature=str(signed.signature),
        blockhash=str(blockhash),
        last_valid_block_height=last_valid,
        raw=signed.raw,
        status=AttemptStatus.PENDING,
        sends=0,
        error=None,
        created_at_us=now,
        updated_at_us=now,
    )


@dataclass
class BatchDriver:
    """Drives planned batches through one adapter until the chain has decided each."""

    engine: Engine
    adapter: PayoutAdapter
    clock: Callable[[], int]
    poll_seconds: float
    timeout_seconds: float
    sleep: Callable[[float], None]

    def drive(self, batch_ids: Sequence[int]) -> DriveReport:
        """Send and confirm the batches until each is final, or raise ``PayoutPending``."""
        ids = list(batch_ids)
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            pending = run_transaction(self.engine, lambda s: repo.planned_batch_ids(s, ids))
            if pending:
                self._round(pending)
                self._look(pending)  # an in-process chain has answered already: no wait
                pending = run_transaction(self.engine, lambda s: repo.planned_batch_ids(s, ids))
            if not pending:
                break
            if time.monotonic() >= deadline:
                raise PayoutPending(
                    f"{len(pending)} payout batch(es) not landed or expired yet; "
                    "nothing is lost: run `systok run resume` (or the withdrawal) again later"
                )
            self.sleep(self.poll_seconds)

        def report(session: Session) -> DriveReport:
            rows = [repo.get_batch(session, i) for i in ids]
            return DriveReport(
                sum(r.status == BatchStatus.CONFIRMED for r in rows),
                sum(r.status == BatchStatus.FAILED for r in rows),
                tuple(f"{r.memo}: {r.error}" for r in rows if r.status == BatchStatus.FAILED),
            )

        return run_transaction(self.engine, report)

    def _round(self, batch_ids: list[int]) -> None:
        attempts = run_transaction(self.engine, lambda s: repo.latest_attempts(s, batch_ids))
        height = self.adapter.block_height()  # before the lookup: see the module's step 3
        statuses = self.adapter.statuses([Signature.from_string(a.signature) for a in attempts])
        to_send = []
        for attempt, landed in zip(attempts, statuses, strict=True):
            if landed is not None:
                self._settle(attempt, landed)
            elif height > attempt.last_valid_block_height:
                renewed = self._renew_in_own_transaction(attempt)
                if renewed is not None:
                    to_send.append(renewed)
            else:
                to_send.append(attempt)
        self._send(to_send)

    def _look(self, batch_ids: list[int]) -> None:
        """Settle the batches whose latest signature the chain has; send nothing."""
        attempts = run_transaction(
            self.engine,
            lambda s: repo.latest_attempts(s, repo.planned_batch_ids(s, batch_ids)),
        )
        if not attempts:
            return
        statuses = self.adapter.statuses([Signature.from_string(a.signature) for a in attempts])
        for attempt, landed in zip(attempts, statuses, strict=True):
            if landed is not None:
                self._settle(attempt, landed)

    def _send(self, attempts: list[Any]) -> None:
        """Count every send of the round in one unit of work, then send (step 2).

        The counts commit before the first send, so a count is never below the sends
        that happened; a crash in between leaves counts above them, which only makes a
        later refusal prove nothing (left to expiry), never a false "never broadcast".
        One commit per round instead of one per batch: 5 000 batches took 5 000.
        """
        if not attempts:
            return
        sent_before = run_transaction(
            self.engine, lambda s: repo.count_sends(s, [a.id for a in attempts], self.clock())
        )
        for attempt in attempts:
            refusal = self.adapter.send(bytes(attempt.raw))
            if refusal is None or refusal.transient or sent_before[attempt.id] > 0:
                continue  # taken, or nothing proven: the chain's status or expiry decides
            detail = refusal.error + (f" ({refusal.logs[-1]})" if refusal.logs else "")
            self._refuse(attempt, f"refused: {detail}")

    def _refuse(self, attempt: Any, error: str) -> None:
        """End a batch whose first send was refused: it was never broadcast (step 2)."""
        run_transaction(
            self.engine,
            lambda s: self._finish(s, attempt.batch_id, attempt.id, AttemptStatus.REFUSED, error),
        )

    def _settle(self, attempt: Any, landed: Landed) -> None:
        if landed.error is None:
            outcome, error = AttemptStatus.LANDED, None
        else:
            outcome, error = AttemptStatus.FAILED, f"landed and failed: {landed.error}"
        run_transaction(
            self.engine, lambda s: self._finish(s, attempt.batch_id, attempt.id, outcome, error)
        )

    def _finish(
        self,
        session: Session,
        batch_id: int,
        attempt_id: int,
        outcome: AttemptStatus,
        error: str | None,
    ) -> None:
        """End a batch: post its holds if its transaction landed, void them otherwise."""
        batch = repo.lock_batch(session, batch_id)
        if batch.status != BatchStatus.PLANNED:
            return  # finished meanwhile by another driver
        now = self.clock()
        ledger = Ledger(session, clock=self.clock)
        for item in repo.batch_items(session, batch_id):
            if outcome == AttemptStatus.LANDED:
                ledger.post_hold(
                    item.hold_id,
                    idempotency_key=f"payout-post:{batch.plan_key}:{item.member_id}",
                    reference=batch.memo,
                )
            else:
                ledger.void_hold(
                    item.hold_id,
                    idempotency_key=f"payout-void:{batch.plan_key}:{item.member_id}",
                    reference=batch.memo,
                )
        repo.update_attempt(session, attempt_id, status=outcome, error=error, updated_at_us=now)
        repo.update_batch(
            session,
            batch_id,
            status=BatchStatus.CONFIRMED if outcome == AttemptStatus.LANDED else BatchStatus.FAILED,
            error=error,
            updated_at_us=now,
        )

    def _renew_in_own_transaction(self, expired: Any) -> Any:
        return run_transaction(self.engine, lambda s: self._renew(s, expired))

    def _renew(self, session: Session, expired: Any) -> Any:
        """Sign the batch again with a fresh blockhash, once the old one cannot land."""
        batch = repo.lock_batch(session, expired.batch_id)
        latest = repo.latest_attempt(session, expired.batch_id)
        if batch.status != BatchStatus.PLANNED or latest.id != expired.id:
            return None  # another driver renewed or finished it
        token = self.adapter.token()
        transfers = [
            Transfer(
                i.member_id,
                parse_address(i.address),
                make_transfer(token, i.member_id, parse_address(i.address), 1, False).account,
                i.amount_units,
                i.create_account,
            )
            for i in repo.batch_items(session, expired.batch_id)
        ]
        now = self.clock()
        repo.update_attempt(
            session,
            expired.id,
            status=AttemptStatus.EXPIRED,
            error="not found after its blockhash expired",
            updated_at_us=now,
        )
        blockhash, last_valid = self.adapter.latest_blockhash()
        save_attempt(
            session,
            self.adapter,
            self.clock,
            batch_id=expired.batch_id,
            transfers=transfers,
            memo=batch.memo,
            blockhash=blockhash,
            last_valid=last_valid,
        )
        return repo.latest_attempt(session, expired.batch_id)
