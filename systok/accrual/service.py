"""The weekly run as a state machine with checkpoints in the database.

Stages (``Stage``): collect → score → report → post → payout → confirm → notify →
done. Each stage runs in its own unit of work that ends by recording the next stage,
so a crash at any point resumes at the first stage not committed, and running a settled
week again changes nothing. What each stage does is in ``systok.accrual.stages``; the
score stage's fast and reference paths in ``systok.accrual.score``; late events in
``systok.accrual.late``; the CSV in ``systok.accrual.report``; the payout wiring in
``systok.accrual.payouts``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.accrual import repository as repo
from systok.accrual.payouts import RunPayouts
from systok.accrual.report import rewards_csv, rewards_root
from systok.accrual.schemas import (
    DRY_RUN_ID,
    STAGES,
    Preview,
    PreviewAdjustment,
    PreviewReward,
    RunSummary,
    Stage,
)
from systok.accrual.stages import HANDLERS, StageContext, score_run
from systok.clock import now_us
from systok.core.policy import Policy
from systok.core.times import date_of_day, day_of_date
from systok.core.weeks import IsoWeek
from systok.db.engine import rolled_back, run_transaction
from systok.errors import RunError
from systok.observability.logs import get_logger
from systok.observability.records import record_stage

if TYPE_CHECKING:
    from systok.payout.adapters import PayoutAdapter

__all__ = ["STAGES", "WeeklyRun", "now_us"]

log = get_logger("run")


class WeeklyRun:
    """Runs (or resumes) the weekly accrual of one week under one policy."""

    def __init__(
        self,
        engine: Engine,
        policy: Policy,
        *,
        reports_dir: Path,
        write_statements: bool = False,
        clock: Callable[[], int] = now_us,
        payout_adapter: PayoutAdapter | None = None,
        public_url: str | None = None,
    ) -> None:
        self.engine = engine
        self.policy = policy
        self.reports_dir = reports_dir
        self.write_statements = write_statements
        self.clock = clock
        self.public_url = public_url
        self.payouts = RunPayouts(engine, policy, clock=clock, adapter=payout_adapter)

    def run(self, week: IsoWeek) -> RunSummary:
        """Run every stage not yet committed; a settled week changes nothing."""
        run_id = run_transaction(self.engine, lambda s: self._find_or_create(s, week))
        while True:
            context = {"run_id": run_id, "week": str(week), "policy": self.policy.version}
            try:
                self.payouts.drive(run_id)
                stage = self.step(run_id, week)
            except Exception as error:
                log.error(
                    "weekly run stage failed",
                    extra={
                        **context,
                        "stage": self._stage_now(run_id),
                        "error": type(error).__name__,
                        "reason": str(error)[:1000],
                    },
                )
                raise
            if stage is Stage.DONE:
                break
        return self.summary(run_id)

    def step(self, run_id: int, week: IsoWeek) -> Stage:
        """Do the run's current stage in one unit of work; returns the stage reached."""
        started = time.perf_counter()
        after_commit: list[Callable[[], object]] = []
        reached = run_transaction(
            self.engine, lambda s: self._advance(s, run_id, week, started, after_commit)
        )
        for work in after_commit:
            work()
        return reached

    def _stage_now(self, run_id: int) -> str | None:
        """The run's committed stage, for a failure's log line (None if unreadable)."""
        try:
            return str(run_transaction(self.engine, lambda s: repo.get_run(s, run_id).stage))
        except Exception:
            return None

    def _context(
        self,
        session: Session,
        run: Any,
        week: IsoWeek,
        after_commit: list[Callable[[], object]] | None = None,
    ) -> StageContext:
        return StageContext(
            session=session,
            policy=self.policy,
            run=run,
            week=week,
            reports_dir=self.reports_dir,
            write_statements=self.write_statements,
            clock=self.clock,
            payouts=self.payouts,
            after_commit=[] if after_commit is None else after_commit,
            public_url=self.public_url,
        )

    def preview(self, week: IsoWeek) -> Preview:
        """Collect and score the week as the run would, then roll everything back: a dry run.

        The collect and score stages run as the real run runs them, on a run row that
        lives only inside a transaction that is rolled back, never committed. The row
        takes ``DRY_RUN_ID`` explicitly rather than an id from the sequence (a sequence
        does not roll back, so every dry run would otherwise consume a run id), and the
        vesting grants are computed but not inserted (their ids come from a sequence
        too). Nothing else leaves the database: no report file, no ledger write. The
        result holds what the run would pay: per member, the totals, the adjustments
        of earlier weeks and the Merkle root — the same numbers the real run then
        stores, as long as no event arrives in between.

        Raises:
            RunError: the week already has a run (see ``systok run status``).
        """
        with rolled_back(self.engine) as session:
            existing = repo.find_run(session, str(week), self.policy.version)
            if existing is not None:
                raise RunError(
                    f"{week} already has a run (stage {existing.stage}); "
                    "see `systok run status` or `systok report csv`"
                )
            run_id = repo.create_run(
                session,
                week=str(week),
                policy_version=self.policy.version,
                policy_hash=self.policy.content_hash,
                now_us=self.clock(),
                run_id=DRY_RUN_ID,
            )
            collected = HANDLERS[Stage.COLLECT](
                self._context(session, repo.get_run(session, run_id), week)
            )
            repo.advance(session, run_id, Stage.SCORE.value, self.clock(), **collected)
            values, grants = score_run(self._context(session, repo.get_run(session, run_id), week))
            return _preview(session, run_id, values, grants)

    def summary(self, run_id: int) -> RunSummary:
        """The run's stage and totals as stored now."""

        def read(session: Session) -> RunSummary:
            row = repo.get_run(session, run_id)
            return RunSummary(
                run_id,
                row.week,
                row.policy_version,
                row.stage,
                repo.count_rewards(session, run_id),
                row.emission_units,
                row.rewards_units,
                row.budget_units,
                row.prorata,
                row.merkle_root,
            )

        return run_transaction(self.engine, read)

    def _find_or_create(self, session: Session, week: IsoWeek) -> int:
        existing = repo.find_run(session, str(week), self.policy.version)
        if existing is not None:
            return int(existing.id)
        return repo.create_run(
            session,
            week=str(week),
            policy_version=self.policy.version,
            policy_hash=self.policy.content_hash,
            now_us=self.clock(),
        )

    def _advance(
        self,
        session: Session,
        run_id: int,
        week: IsoWeek,
        started: float,
        after_commit: list[Callable[[], object]],
    ) -> Stage:
        """Do the run's current stage and record the next, with the stage's duration
        (``started`` is when the attempt began, ``time.perf_counter()``; ``/metrics``).
        What the stage leaves in ``after_commit`` runs once this unit commits."""
        after_commit.clear()  # a retried attempt starts afresh
        row = repo.lock_run(session, run_id)
        stage = Stage(row.stage)
        if stage is Stage.DONE:
            return stage
        values = HANDLERS[stage](self._context(session, row, week, after_commit))
        reached = stage.next
        finished_at_us = self.clock()
        repo.advance(session, run_id, reached.value, finished_at_us, **values)
        duration_us = int((time.perf_counter() - started) * 1_000_000)
        record_stage(session, run_id, stage.value, finished_at_us, duration_us)
        log.info(
            "weekly run stage committed",
            extra={
                "run_id": run_id,
                "week": str(week),
                "policy": self.policy.version,
                "stage": stage.value,
                "next_stage": reached.value,
                "duration_ms": duration_us // 1000,
            },
        )
        return reached


def _preview(
    session: Session, run_id: int, values: dict[str, Any], grants: list[dict[str, Any]]
) -> Preview:
    """Read back what the dry run's score stage stored (inside its transaction)."""
    run = repo.get_run(session, run_id)
    rewards = repo.run_rewards(session, run_id)
    vesting: dict[str, int] = {}
    for grant in grants:
        vesting[grant["member_id"]] = vesting.get(grant["member_id"], 0) + grant["units"]
    return Preview(
        week=run.week,
        policy_version=run.policy_version,
        emission_units=values["emission_units"],
        budget_units=values["budget_units"],
        rewards_units=values["rewards_units"],
        prorata=values["prorata"],
        merkle_root=rewards_root(rewards),
        rewards=sorted(
            (
                PreviewReward(r.member_id, r.points, r.paid_units, vesting.get(r.member_id, 0))
                for r in rewards
            ),
            key=lambda r: (-r.paid_units, r.member_id),
        ),
        adjustments=[
            PreviewAdjustment(a.week, a.member_id, a.delta_units)
            for a in repo.run_adjustments(session, run_id)
        ],
    )


# --- reads for the CLI (each its own unit of work) --------------------------------------


def latest_runs(engine: Engine, limit: int = 20) -> list[Any]:
    """The most recent runs, newest first."""
    return run_transaction(engine, lambda s: repo.latest_runs(s, limit))


def find_run(engine: Engine, week: IsoWeek, policy: Policy) -> Any | None:
    """The run of ``week`` under ``policy``, if one was started."""
    return run_transaction(engine, lambda s: repo.find_run(s, str(week), policy.version))


def reward_counts(engine: Engine, run_id: int) -> tuple[int, int]:
    """(members paid more than 0, members scored but paid 0) in a run."""
    return run_transaction(engine, lambda s: repo.reward_counts(s, run_id))


def run_csv(engine: Engine, run: Any, policy: Policy) -> str:
    """A stored run's rewards as the report stage writes them (the policy's columns)."""
    rewards = run_transaction(engine, lambda s: repo.run_rewards(s, run.id))
    last_day = date_of_day(day_of_date(IsoWeek.parse(run.week).monday) + 6)
    return rewards_csv(rewards, last_day, policy)


def latest_grants(engine: Engine, limit: int) -> list[Any]:
    """Vesting grants, newest first."""
    return run_transaction(engine, lambda s: repo.latest_grants(s, limit))


def stage_finishes(engine: Engine, run_ids: list[int]) -> dict[int, dict[str, int]]:
    """Run id → stage → when it committed: what ``run status`` checks deadlines against."""
    return run_transaction(engine, lambda s: repo.stage_finishes(s, run_ids))
