"""The run's payout and confirm stages: wiring to ``systok.payout.service`` (ADR 0007).

payout plans the on-chain payout of every linked member's custodial balance (batches,
ledger holds and signed transactions saved before anything is sent); confirm sends and
confirms them outside the run's lock, each step its own unit of work, and only then
lets the run advance. The payout package is imported lazily: a run whose members are
all custodial never builds a chain adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.accrual import repository as repo
from systok.accrual.schemas import Stage
from systok.core.amount import STK
from systok.core.policy import Policy
from systok.db.engine import run_transaction

if TYPE_CHECKING:
    from systok.payout.adapters import PayoutAdapter
    from systok.payout.service import PayoutService


class RunPayouts:
    """The payout service of one run, its adapter built on first use."""

    def __init__(
        self,
        engine: Engine,
        policy: Policy,
        *,
        clock: Callable[[], int],
        adapter: PayoutAdapter | None,
    ) -> None:
        self.engine = engine
        self.policy = policy
        self.clock = clock
        self.adapter = adapter
        """None: built from the settings, and only when a linked member has a balance."""

    def service(self) -> PayoutService:
        from systok.config import get_settings
        from systok.payout.adapters import make_adapter
        from systok.payout.service import PayoutService

        settings = get_settings()
        if self.adapter is None:
            self.adapter = make_adapter(settings)
        return PayoutService(
            self.engine,
            self.adapter,
            scale=self.policy.stk_scale,
            clock=self.clock,
            poll_seconds=settings.payout_poll_seconds,
            timeout_seconds=settings.payout_confirm_timeout_seconds,
        )

    def plan(self, session: Session, run: Any) -> None:
        """Plan the on-chain payout of linked members' custodial balances (nothing is sent).

        Members without a linked wallet stay custodial; with the custodial adapter
        everybody does.
        """
        from systok.payout import repository as payout_repo

        if not payout_repo.linked_with_custody(session, STK):
            return  # no chain needed (and no adapter built) when nobody is paid on chain
        payouts = self.service()
        if payouts.adapter.on_chain:
            payouts.plan_run(session, run.id, run.week, run.policy_version)

    def drive(self, run_id: int) -> None:
        """At the confirm stage: send and confirm the run's batches, outside the run's lock.

        Sending waits for the chain, and each step commits on its own (ADR 0007), so it
        cannot run inside the stage's unit of work.
        """
        from systok.payout import repository as payout_repo

        def pending(session: Session) -> list[int]:
            if repo.get_run(session, run_id).stage != Stage.CONFIRM:
                return []
            return [b.id for b in payout_repo.run_batches(session, run_id) if b.status == "planned"]

        batch_ids = run_transaction(self.engine, pending)
        if batch_ids:
            self.service().drive(batch_ids)


def require_batches_final(session: Session, run_id: int) -> None:
    """Advance only once every batch of the run is final (confirmed, or failed and voided).

    Raises:
        PayoutPending: a batch is still in flight.
    """
    from systok.payout import repository as payout_repo
    from systok.payout.errors import PayoutPending

    planned = [b for b in payout_repo.run_batches(session, run_id) if b.status == "planned"]
    if planned:
        raise PayoutPending(f"{len(planned)} payout batch(es) of run {run_id} are in flight")
