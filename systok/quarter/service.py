"""The quarterly run as a state machine with checkpoints in the database.

Stages (``systok.quarter.schemas.Stage``): snapshot → redistribute → vest → price →
health → stabilise → done. Each stage runs in its own unit of work that ends by
recording the next stage, so a crash at any point resumes at the first stage not
committed, and running a settled quarter again changes nothing. What each stage does
is in ``systok.quarter.stages``; the bit-for-bit check of a settled quarter is
``systok.quarter.verify``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.clock import now_us
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.times import datetime_to_us, us_to_datetime
from systok.db.engine import rolled_back, run_transaction
from systok.errors import QuarterError
from systok.observability.logs import get_logger
from systok.quarter import repository as repo
from systok.quarter.context import StageContext
from systok.quarter.schemas import (
    DRY_RUN_ID,
    QuarterSummary,
    RedistributionRow,
    SnapshotRow,
    Stage,
    Tranche,
)
from systok.quarter.stage_vest import plan_tranches, stored_tranches
from systok.quarter.stages import (
    HANDLERS,
    plan_redistributions,
    snapshot_rows,
    stored_snapshot,
)
from systok.quarter.weeks_settled import refuse_unsettled
from systok.stabilisation.service import quarter_stabilisation

log = get_logger("quarter")


def refuse_open_quarter(quarter: Quarter, now: datetime) -> None:
    """Refuse a quarter that has not closed at ``now``.

    Raises:
        QuarterError: naming the quarter and when it closes.
    """
    if not quarter.is_closed_at(now):
        raise QuarterError(
            f"quarter {quarter} is still open: it closes at {quarter.end.isoformat()}; "
            "its balances and activity are not final until then (nothing was written)"
        )


def parse_quarter(text: str) -> Quarter:
    """A quarter from the command line (``2026-Q3``).

    Raises:
        QuarterError: the text is not a quarter.
    """
    try:
        return Quarter.parse(text)
    except ValueError as error:
        raise QuarterError(f"quarter {text!r}: {error}") from None


class QuarterRun:
    """Runs (or resumes) the quarterly run of one quarter under one policy."""

    def __init__(
        self, engine: Engine, policy: Policy, *, clock: Callable[[], int] = now_us
    ) -> None:
        self.engine = engine
        self.policy = policy
        self.clock = clock

    def run(self, quarter: Quarter) -> QuarterSummary:
        """Run every stage not yet committed; a settled quarter changes nothing.

        Raises:
            QuarterError: the quarter is still open, has a week without a finished
                weekly run (a new run only; ADR 0041), or has a run under another policy.
        """
        refuse_open_quarter(quarter, us_to_datetime(self.clock()))
        run_id = run_transaction(self.engine, lambda s: self._find_or_create(s, quarter))
        while self.step(run_id, quarter) is not Stage.DONE:
            pass

        def report(session: Session) -> QuarterSummary:
            stabilisation = quarter_stabilisation(session, self.policy, quarter)
            return replace(_stored_summary(session, run_id), stabilisation=stabilisation)

        return run_transaction(self.engine, report)

    def step(self, run_id: int, quarter: Quarter) -> Stage:
        """Do the run's current stage in one unit of work; returns the stage reached."""
        started = time.perf_counter()
        try:
            return run_transaction(
                self.engine, lambda s: self._advance(s, run_id, quarter, started)
            )
        except Exception as error:
            log.error(
                "quarterly run stage failed",
                extra={
                    "run_id": run_id,
                    "quarter": str(quarter),
                    "policy": self.policy.version,
                    "error": type(error).__name__,
                    "reason": str(error)[:1000],
                },
            )
            raise

    def preview(self, quarter: Quarter) -> QuarterSummary:
        """What the run would do, computed and then rolled back: a dry run.

        The snapshot is taken as the run takes it; the redistribution is planned from
        it (due amounts, no ledger write), and the vesting tranches from the grants.
        Nothing is committed, and the run row takes ``DRY_RUN_ID`` so no run id is
        consumed.

        Raises:
            QuarterError: the quarter is still open, has a week without a finished
                weekly run, or already has a run.
        """
        refuse_open_quarter(quarter, us_to_datetime(self.clock()))
        with rolled_back(self.engine) as session:
            existing = repo.find_run(session, str(quarter))
            if existing is not None:
                raise QuarterError(
                    f"quarter {quarter} already has a run (stage {existing.stage}); "
                    f"see `systok verify quarter {quarter}`"
                )
            refuse_unsettled(session, quarter)
            run_id = repo.create_run(
                session,
                quarter=str(quarter),
                policy_version=self.policy.version,
                policy_hash=self.policy.content_hash,
                stage=Stage.SNAPSHOT.value,
                now_us=self.clock(),
                run_id=DRY_RUN_ID,
            )
            run = repo.get_run(session, run_id)
            rows = snapshot_rows(StageContext(session, self.policy, run, quarter, self.clock))
            planned = plan_redistributions(self.policy, rows)
            tranches = plan_tranches(session, self.policy, quarter, datetime_to_us(quarter.end))
            return _summarise(run, rows, planned, tranches, dry_run=True)

    def _find_or_create(self, session: Session, quarter: Quarter) -> int:
        existing = repo.find_run(session, str(quarter))
        if existing is not None:
            if existing.policy_version != self.policy.version:
                raise QuarterError(
                    f"quarter {quarter} already has a run under policy "
                    f"{existing.policy_version}, not {self.policy.version}"
                )
            return int(existing.id)
        refuse_unsettled(session, quarter)  # a new run only: a started one resumes
        return repo.create_run(
            session,
            quarter=str(quarter),
            policy_version=self.policy.version,
            policy_hash=self.policy.content_hash,
            stage=Stage.SNAPSHOT.value,
            now_us=self.clock(),
        )

    def _advance(self, session: Session, run_id: int, quarter: Quarter, started: float) -> Stage:
        row = repo.lock_run(session, run_id)
        stage = Stage(row.stage)
        if stage is Stage.DONE:
            return stage
        HANDLERS[stage](StageContext(session, self.policy, row, quarter, self.clock))
        reached = stage.next
        finished_at_us = self.clock()
        repo.advance(session, run_id, reached.value, finished_at_us)
        duration_us = max(0, int((time.perf_counter() - started) * 1_000_000))
        repo.insert_stage(session, run_id, stage.value, finished_at_us, duration_us)
        log.info(
            "quarterly run stage done",
            extra={"run_id": run_id, "quarter": str(quarter), "stage": stage.value},
        )
        return reached


def _stored_summary(session: Session, run_id: int) -> QuarterSummary:
    run = repo.get_run(session, run_id)
    stored = [
        RedistributionRow(
            r.member_id,
            r.from_days,
            r.to_days,
            r.rate_bps,
            bool(r.warn),
            r.due_units,
            r.moved_units,
            r.transaction_id,
        )
        for r in repo.run_redistributions(session, run_id)
    ]
    return _summarise(
        run,
        stored_snapshot(session, run_id),
        stored,
        stored_tranches(session, run_id),
        dry_run=False,
    )


def stored_summary(session: Session, quarter: Quarter) -> QuarterSummary | None:
    """The stored run of a quarter as a summary, in the caller's session (None: no run)."""
    row = repo.find_run(session, str(quarter))
    if row is None:
        return None
    return _stored_summary(session, int(row.id))


def latest_quarter_runs(engine: Engine, limit: int = 20) -> list[Any]:
    """The most recently started quarterly runs, newest first (``run status``, ``run
    resume``)."""
    return run_transaction(engine, lambda session: repo.latest_runs(session, limit))


def quarter_summary(engine: Engine, quarter: Quarter) -> QuarterSummary | None:
    """The stored run of a quarter as a summary, or None when it has none."""
    return run_transaction(engine, lambda session: stored_summary(session, quarter))


def _summarise(
    run: Any,
    rows: list[SnapshotRow],
    redistributions: list[RedistributionRow],
    tranches: list[Tranche],
    *,
    dry_run: bool,
) -> QuarterSummary:
    ordered = sorted(redistributions, key=lambda r: (-r.moved_units, -r.due_units, r.member_id))
    return QuarterSummary(
        run_id=int(run.id),
        quarter=str(run.quarter),
        policy_version=str(run.policy_version),
        stage=str(run.stage),
        dry_run=dry_run,
        members=len(rows),
        custodial_units=sum(max(0, r.available_units) for r in rows),
        held_units=sum(r.held_units for r in rows),
        wallet_units=sum(r.wallet_units for r in rows),
        redistributed_members=sum(1 for r in redistributions if r.rate_bps > 0),
        due_units=sum(r.due_units for r in redistributions),
        moved_units=sum(r.moved_units for r in redistributions),
        warnings=sum(1 for r in redistributions if r.warn),
        redistributions=tuple(ordered),
        tranches=tuple(tranches),
    )
