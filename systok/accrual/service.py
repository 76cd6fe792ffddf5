"""The weekly run as a state machine with checkpoints in the database.

Stages: collect → score → report → post → payout → confirm → notify → done. Each stage
runs in its own unit of work that ends by recording the next stage, so a crash at any
point resumes at the first stage not committed, and running a settled week again
changes nothing. Stages that write outside the database (the CSV) or to the ledger are
idempotent: the file's content is determined by the stored rewards, and every ledger
write carries a key derived from (policy, week, chunk).

payout plans the on-chain payout of every linked member's custodial balance (batches,
ledger holds and signed transactions saved before anything is sent); confirm sends and
confirms them outside the run's lock, each step its own unit of work, and only then
advances (``systok.payout.service``, ADR 0007). notify is a no-op until its issue lands.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.accrual import repository as repo
from systok.accrual.vesting import grant_rows, hold_grants, insert_grants, run_grants, vested_parts
from systok.clock import now_us
from systok.core.amount import STK, UNITS_MAX, format_amount
from systok.core.emission import emission_for_week, fund_split_for_week
from systok.core.ledger import (
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.core.merkle import build_tree
from systok.core.policy import Policy, WeightedDailyCaps
from systok.core.prorata import scale_to_budget
from systok.core.scoring import (
    RankState,
    UniformFacts,
    WeeklyScore,
    score_uniform_weeks,
    score_week,
)
from systok.core.times import date_of_day, datetime_to_us, day_of_date
from systok.core.vesting import vesting_days_for
from systok.core.weeks import IsoWeek
from systok.db.engine import run_transaction, unit_of_work
from systok.economy.emission import mint_emission
from systok.errors import SystokError
from systok.ledger.service import Ledger
from systok.observability.logs import get_logger
from systok.observability.records import record_stage

if TYPE_CHECKING:
    from systok.payout.adapters import PayoutAdapter
    from systok.payout.service import PayoutService

log = get_logger("run")

STAGES = ("collect", "score", "report", "post", "payout", "confirm", "notify", "done")
REWARD_CHUNK_MEMBERS = 2_000
"""Members paid per ledger transaction: the pool is a hot account, so few big writes."""


class RunError(SystokError):
    """A run cannot proceed (unknown run, a week that has not closed, …)."""


class SimulatedCrash(RuntimeError):
    """Raised by tests right after a stage committed, to prove resume."""


@dataclass(frozen=True)
class RunSummary:
    """What a run did: its stage, totals and root."""

    run_id: int
    week: str
    policy_version: str
    stage: str
    members: int
    emission_units: int | None
    rewards_units: int | None
    budget_units: int | None
    prorata: str | None
    merkle_root: str | None


DRY_RUN_ID = 0
"""The id of a dry run's row, which exists only inside its rolled-back transaction.

Stored runs take ids from the sequence (1, 2, …), so 0 never meets one; and an id
given explicitly does not advance the sequence, so a dry run consumes no run id."""


@dataclass(frozen=True)
class PreviewReward:
    """What one member would be paid: points, the amount, and the part of it that vests."""

    member_id: str
    points: str
    paid_units: int
    vesting_units: int


@dataclass(frozen=True)
class PreviewAdjustment:
    """A late event's difference for an earlier week that this run would pay."""

    week: str
    member_id: str
    delta_units: int


@dataclass(frozen=True)
class Preview:
    """A dry run's answer: what the run would store and pay (nothing was written)."""

    week: str
    policy_version: str
    emission_units: int
    budget_units: int
    rewards_units: int
    prorata: str | None
    merkle_root: str
    rewards: list[PreviewReward]
    """Largest amount first, then by member id."""
    adjustments: list[PreviewAdjustment]

    @property
    def members(self) -> int:
        """Members with a reward row (as ``RunSummary.members`` counts them)."""
        return len(self.rewards)


class WeeklyRun:
    """Runs (or resumes) the weekly accrual of one week under one policy."""

    def __init__(
        self,
        engine: Engine,
        policy: Policy,
        *,
        reports_dir: Path,
        clock: Callable[[], int] = now_us,
        crash_after: str | None = None,
        payout_adapter: PayoutAdapter | None = None,
    ) -> None:
        self.engine = engine
        self.policy = policy
        self.reports_dir = reports_dir
        self.clock = clock
        self.crash_after = crash_after
        self.payout_adapter = payout_adapter
        """None: built from the settings, and only when a linked member has a balance."""

    def run(self, week: IsoWeek) -> RunSummary:
        """Run every stage not yet committed; a settled week changes nothing."""
        run_id = run_transaction(self.engine, lambda s: self._find_or_create(s, week))
        while True:
            started = time.perf_counter()
            context = {"run_id": run_id, "week": str(week), "policy": self.policy.version}
            try:
                self._drive_payouts(run_id)
                stage = run_transaction(
                    self.engine, partial(self._step, run_id=run_id, week=week, started=started)
                )
            except SimulatedCrash:
                raise
            except Exception as error:
                failed = self._stage_now(run_id)
                log.error(
                    "weekly run stage failed",
                    extra={
                        **context,
                        "stage": failed,
                        "error": type(error).__name__,
                        "reason": str(error)[:1000],
                    },
                )
                raise
            if self.crash_after is not None and stage == _next(self.crash_after):
                raise SimulatedCrash(f"crashed after {self.crash_after}")
            if stage == "done":
                break
        return self.summary(run_id)

    def _stage_now(self, run_id: int) -> str | None:
        """The run's committed stage, for a failure's log line (None if unreadable)."""
        try:
            return str(run_transaction(self.engine, lambda s: repo.get_run(s, run_id).stage))
        except Exception:
            return None

    def preview(self, week: IsoWeek) -> Preview:
        """Collect and score the week as the run would, then roll everything back: a dry run.

        The collect and score stages run as the real run runs them, on a run row that
        lives only inside this transaction, which is never committed. The row takes
        ``DRY_RUN_ID`` explicitly rather than an id from the sequence (a sequence does
        not roll back, so every dry run would otherwise consume a run id), and the
        vesting grants are computed but not inserted (their ids come from a sequence
        too). Nothing else leaves the database: no report file, no ledger write. The
        result holds what the run would pay: per member, the totals, the adjustments
        of earlier weeks and the Merkle root — the same numbers the real run then
        stores, as long as no event arrives in between.

        Raises:
            RunError: the week already has a run (see ``systok run status``).
        """
        outcome: Preview | None = None

        class _Discard(Exception):
            pass

        try:
            with unit_of_work(self.engine) as session:
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
                first_day = day_of_date(week.monday)
                collected = self._stage_collect(
                    session, repo.get_run(session, run_id), week, first_day, first_day + 6
                )
                repo.advance(session, run_id, "score", self.clock(), **collected)
                values, grants = self._score(session, repo.get_run(session, run_id), week)
                outcome = _preview(session, run_id, values, grants)
                raise _Discard
        except _Discard:
            pass
        assert outcome is not None
        return outcome

    def summary(self, run_id: int) -> RunSummary:
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

    def _step(
        self, session: Session, run_id: int, week: IsoWeek, started: float | None = None
    ) -> str:
        """Do the run's current stage and record the next; returns the stage reached.

        ``started`` (``time.perf_counter()``) is when the stage's attempt began; the
        stage's duration is recorded with it in the same unit of work (``/metrics``).
        """
        started = time.perf_counter() if started is None else started
        row = repo.lock_run(session, run_id)
        stage: str = row.stage
        if stage == "done":
            return stage
        first_day = day_of_date(week.monday)
        last_day = first_day + 6
        handler = getattr(self, f"_stage_{stage}")
        values = handler(session, row, week, first_day, last_day) or {}
        reached = _next(stage)
        finished_at_us = self.clock()
        repo.advance(session, run_id, reached, finished_at_us, **values)
        duration_us = int((time.perf_counter() - started) * 1_000_000)
        record_stage(session, run_id, stage, finished_at_us, duration_us)
        log.info(
            "weekly run stage committed",
            extra={
                "run_id": run_id,
                "week": str(week),
                "policy": self.policy.version,
                "stage": stage,
                "next_stage": reached,
                "duration_ms": duration_us // 1000,
            },
        )
        return reached

    # --- stages -----------------------------------------------------------------------

    def _stage_collect(
        self, session: Session, row: Any, week: IsoWeek, first: int, last: int
    ) -> dict[str, Any]:
        if isinstance(self.policy.scoring, WeightedDailyCaps):
            repo.collect_sums(
                session,
                row.id,
                first_day=first,
                last_day=last,
                rules=weighted_rules(self.policy),
                vested_types=vested_types(self.policy),
            )
        else:
            repo.collect_counts(session, row.id, first, last)
        collected_at_us = self.clock()
        return {"collected_at_us": collected_at_us, "absorbed_to_us": collected_at_us}

    def _stage_score(
        self, session: Session, row: Any, week: IsoWeek, first: int, last: int
    ) -> dict[str, Any]:
        values, grants = self._score(session, row, week)
        insert_grants(session, grants)
        return values

    def _score(
        self, session: Session, row: Any, week: IsoWeek
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Score the collected week: store rewards and adjustments; return the run's
        totals and the vesting grants to store (the dry run keeps them in memory)."""
        pool = Ledger(session).balance(system_account(AccountType.POOL_REWARDS))
        budget_units = pool.available_units + _pool_share(self.policy, week)
        if isinstance(self.policy.scoring, WeightedDailyCaps):
            counts, uniform = collected_inputs(session, self.policy, row, week)
        else:
            counts, uniform = repo.run_counts(session, row.id), {}
        scored = score_members(session, self.policy, week, counts, budget_units, uniform=uniform)
        repo.insert_rewards(session, [{"run_id": row.id, **r} for r in scored.rows])
        earned_at_us = datetime_to_us(week.end)
        grants = [
            grant
            for member_id, parts in sorted(scored.vested.items())
            for grant in grant_rows(self.policy, row.id, member_id, parts, earned_at_us)
        ]
        self._adjust_late_weeks(session, row, str(week))
        values = {
            "emission_units": emission_for_week(self.policy, week),
            "budget_units": budget_units,
            "rewards_units": sum(r["paid_units"] for r in scored.rows),
            "prorata": scored.prorata,
        }
        return values, grants

    def _adjust_late_weeks(self, session: Session, row: Any, week: str) -> None:
        """Pay, once, what events that arrived after an earlier week was settled change.

        For each settled earlier week with events received (or retracted) after what it
        absorbed and up to this run's collect, the week is re-scored with everything
        known at this run's collect (streaks carried as they were; later weeks'
        coefficients are not re-opened) and the difference to what was paid for it
        becomes an adjustment of this run. A debit never exceeds what the member holds
        now: the adjustment records what can be taken back. The earlier run then counts
        as absorbed up to this collect, so each late event is paid exactly once.
        """
        known_at = row.collected_at_us
        ledger = Ledger(session)
        for earlier in repo.settled_runs_before(session, week, self.policy.version):
            earlier_week = IsoWeek.parse(earlier.week)
            first = day_of_date(earlier_week.monday)
            absorbed = earlier.absorbed_to_us or earlier.collected_at_us
            if not repo.has_late_events(session, first, first + 6, absorbed, known_at):
                continue
            counts = repo.recount_week(session, first, first + 6, known_at)
            rescored = {
                r["member_id"]: r
                for r in score_members(session, self.policy, earlier_week, counts, UNITS_MAX).rows
            }
            paid = repo.paid_for_week(session, earlier.id, earlier.week)
            rows = []
            for member_id in sorted(set(rescored) | set(paid)):
                units_after = rescored[member_id]["units"] if member_id in rescored else 0
                delta = units_after - paid.get(member_id, 0)
                if delta < 0:
                    held = ledger.balance(member_account(member_id)).available_units
                    delta = -min(-delta, held)
                if delta == 0:
                    continue
                rows.append(
                    {
                        "paying_run_id": row.id,
                        "week": earlier.week,
                        "member_id": member_id,
                        "delta_units": delta,
                        "units_after": units_after,
                        "points_after": rescored[member_id]["points"]
                        if member_id in rescored
                        else "0",
                    }
                )
            repo.insert_adjustments(session, rows)
            repo.mark_absorbed(session, earlier.id, known_at, self.clock())

    def _stage_report(
        self, session: Session, row: Any, week: IsoWeek, first: int, last: int
    ) -> dict[str, Any]:
        rewards = repo.run_rewards(session, row.id)
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        report_path(self.reports_dir, row.week, row.policy_version).write_text(
            rewards_csv(rewards, date_of_day(last), self.policy.stk_scale), encoding="utf-8"
        )
        return {"merkle_root": rewards_root(rewards)}

    def _stage_post(self, session: Session, row: Any, week: IsoWeek, first: int, last: int) -> None:
        ledger = Ledger(session)
        ledger.ensure_assets({code: asset.scale for code, asset in self.policy.assets.items()})
        if row.emission_units:
            mint_emission(ledger, self.policy, str(week), row.emission_units)
        vesting: dict[str, int] = {}
        for grant in run_grants(session, row.id):
            vesting[grant.member_id] = vesting.get(grant.member_id, 0) + grant.units
        # Paid at once: the reward less its vesting parts (those go to holds below).
        payable = [
            (r.member_id, r.paid_units - vesting.get(r.member_id, 0))
            for r in repo.run_rewards(session, row.id)
            if r.paid_units - vesting.get(r.member_id, 0) > 0
        ]
        pool = system_account(AccountType.POOL_REWARDS)
        for index in range(0, len(payable), REWARD_CHUNK_MEMBERS):
            chunk = payable[index : index + REWARD_CHUNK_MEMBERS]
            ledger.post(
                TransactionDraft(
                    code=TransactionCode.REWARD,
                    idempotency_key=f"reward:{self.policy.version}:{week}:"
                    f"{index // REWARD_CHUNK_MEMBERS}",
                    reference=f"weekly rewards {week}",
                    postings=(
                        Posting(pool, -sum(u for _, u in chunk)),
                        *(Posting(member_account(m), u) for m, u in chunk),
                    ),
                )
            )

        hold_grants(ledger, self.policy, str(week), row.id)
        self._post_adjustments(ledger, row, week)

    def _post_adjustments(self, ledger: Ledger, row: Any, week: IsoWeek) -> None:
        """One balanced transaction for every adjustment this run pays (amounts as stored)."""
        adjustments = repo.run_adjustments(ledger.session, row.id)
        if not adjustments:
            return
        by_member: dict[str, int] = {}
        for adjustment in adjustments:
            by_member[adjustment.member_id] = (
                by_member.get(adjustment.member_id, 0) + adjustment.delta_units
            )
        postings = [Posting(member_account(m), d) for m, d in sorted(by_member.items()) if d]
        pool_delta = -sum(p.amount_units for p in postings)
        if not postings:
            return
        if pool_delta:
            postings.append(Posting(system_account(AccountType.POOL_REWARDS), pool_delta))
        ledger.post(
            TransactionDraft(
                code=TransactionCode.ADJUSTMENT,
                idempotency_key=f"adjustment:{self.policy.version}:{week}",
                reference=f"late events of earlier weeks, paid with {week}",
                postings=tuple(postings),
            )
        )

    def _payouts(self) -> PayoutService:
        from systok.config import get_settings
        from systok.payout.adapters import make_adapter
        from systok.payout.service import PayoutService

        settings = get_settings()
        if self.payout_adapter is None:
            self.payout_adapter = make_adapter(settings)
        return PayoutService(
            self.engine,
            self.payout_adapter,
            scale=self.policy.stk_scale,
            clock=self.clock,
            poll_seconds=settings.payout_poll_seconds,
            timeout_seconds=settings.payout_confirm_timeout_seconds,
        )

    def _stage_payout(self, session: Session, row: Any, *args: Any) -> None:
        """Plan the on-chain payout of linked members' custodial balances (nothing is sent).

        Members without a linked wallet stay custodial; with the custodial adapter
        everybody does.
        """
        from systok.payout import repository as payout_repo

        if not payout_repo.linked_with_custody(session, STK):
            return  # no chain needed (and no adapter built) when nobody is paid on chain
        payouts = self._payouts()
        if payouts.adapter.on_chain:
            payouts.plan_run(session, row.id, row.week, row.policy_version)

    def _drive_payouts(self, run_id: int) -> None:
        """At the confirm stage: send and confirm the run's batches, outside the run's lock.

        Sending waits for the chain, and each step commits on its own (ADR 0007), so it
        cannot run inside the stage's unit of work.
        """
        from systok.payout import repository as payout_repo

        def pending(session: Session) -> list[int]:
            if repo.get_run(session, run_id).stage != "confirm":
                return []
            return [b.id for b in payout_repo.run_batches(session, run_id) if b.status == "planned"]

        batch_ids = run_transaction(self.engine, pending)
        if batch_ids:
            self._payouts().drive(batch_ids)

    def _stage_confirm(self, session: Session, row: Any, *args: Any) -> None:
        """Advance once every batch of the run is final (confirmed, or failed and voided)."""
        from systok.payout import repository as payout_repo
        from systok.payout.errors import PayoutPending

        planned = [b for b in payout_repo.run_batches(session, row.id) if b.status == "planned"]
        if planned:
            raise PayoutPending(f"{len(planned)} payout batch(es) of run {row.id} are in flight")

    def _stage_notify(self, *args: Any) -> None:
        """Member notifications: a no-op until the notifications issue lands."""


@dataclass(frozen=True)
class Scored:
    """The rows a week's scoring stores, and the pro-rata factor if one applied."""

    rows: list[dict[str, Any]]
    prorata: str | None
    vested: dict[str, dict[str, int]]
    """member → event type → the part of the paid units that vests."""


def weighted_rules(policy: Policy) -> list[tuple[str, int, int]]:
    """(event type, weight, limit_daily) of every type that earns, for the collect SQL."""
    return [
        (name, rule.weight, rule.limit_daily)
        for name, rule in sorted(policy.events.items())
        if rule.weight > 0
    ]


def vested_types(policy: Policy) -> list[str]:
    """Event types whose reward vests: their members take the reference path."""
    return sorted(name for name in policy.events if vesting_days_for(policy, name) > 0)


def collected_inputs(
    session: Session, policy: Policy, run: Any, week: IsoWeek
) -> tuple[dict[str, dict[int, dict[str, int]]], dict[str, UniformFacts]]:
    """Split a weighted run's members into the reference path and the fast path.

    Uniform members without vesting events take the fast path from their collected
    sums. The others (a level or membership change inside the week, or a vesting type
    whose reward must be split by type) are recounted per day and type from the raw
    events as they stood at collect — the same recount ``verify`` uses — and scored
    by the reference.
    """
    first = day_of_date(week.monday)
    previous = repo.find_run(session, str(week.previous()), policy.version)
    rows = repo.sums_with_profiles(session, run.id, first, previous.id if previous else None)
    irregular = repo.irregular_members(session, first, first + 6)
    slow = sorted(r.member_id for r in rows if r.vested_events or r.member_id in irregular)
    counts = repo.recount_week(session, first, first + 6, run.collected_at_us, members=slow)
    skipped = set(slow)
    uniform: dict[str, UniformFacts] = {
        r.member_id: (
            int(r.base_points),
            int(r.counted_events),
            r.level,
            bool(r.paid),
            r.streak_weeks or 0,
        )
        for r in rows
        if r.member_id not in skipped
    }
    return counts, uniform


def reference_scores(
    session: Session,
    policy: Policy,
    week: IsoWeek,
    counts: Mapping[str, Mapping[int, Mapping[str, int]]],
) -> dict[str, WeeklyScore]:
    """``score_week`` of each member in ``counts``, with their profile and carried state.

    The reference path: the run uses it for non-uniform weeks, ``verify`` and
    ``explain`` for everyone.
    """
    first, last = day_of_date(week.monday), day_of_date(week.monday) + 6
    members = sorted(counts)
    paid = repo.paid_days(session, members, first, last)
    levels = repo.levels_by_day(session, members, first, last)
    previous = repo.find_run(session, str(week.previous()), policy.version)
    states = repo.previous_states(session, members, previous.id if previous else None)
    scores: dict[str, WeeklyScore] = {}
    for member_id in members:
        state = states.get(member_id)
        kwargs: dict[str, Any] = {}
        if policy.scoring.model == "rank_ladder":
            if state is not None and state.rank_step is not None:
                kwargs["rank_before"] = RankState(state.rank_step, state.rank_level)
        else:
            kwargs["streak_before_weeks"] = (state.streak_weeks or 0) if state else 0
        scores[member_id] = score_week(
            policy,
            week,
            counts[member_id],
            paid.get(member_id, set()),
            levels[member_id],
            **kwargs,
        )
    return scores


def score_members(
    session: Session,
    policy: Policy,
    week: IsoWeek,
    counts: dict[str, dict[int, dict[str, int]]],
    budget_units: int,
    *,
    uniform: Mapping[str, UniformFacts] | None = None,
) -> Scored:
    """Score every member, carrying last week's state; scale to the budget.

    ``counts`` members are scored by the reference (``score_week``, day by day);
    ``uniform`` members by the fast path from their sums, with their carried streak
    already in the facts. ``verify`` and the late
    adjustments pass everyone in ``counts``, so a replay is the reference's answer.
    """
    scores = reference_scores(session, policy, week, counts)
    results: dict[str, tuple[Decimal, int, int | None, RankState | None]] = {
        member_id: (score.points, score.units, score.streak_weeks, score.rank_after)
        for member_id, score in scores.items()
    }
    uniform = uniform or {}
    fast = score_uniform_weeks(policy, uniform) if uniform else {}
    for member_id, week_score in fast.items():
        results[member_id] = (week_score.points, week_score.units, week_score.streak_weeks, None)
    paid_units, factor = scale_to_budget({m: r[1] for m, r in results.items()}, budget_units)
    rows = [
        {
            "member_id": member_id,
            "points": points_text(points),
            "units": units,
            "paid_units": paid_units[member_id],
            "streak_weeks": streak,
            "rank_step": rank.step if rank else None,
            "rank_level": rank.qualification_level if rank else None,
        }
        for member_id, (points, units, streak, rank) in sorted(results.items())
    ]
    prorata = None if factor is None else f"{factor.numerator}/{factor.denominator}"
    vested = {
        member_id: parts
        for member_id, score in scores.items()
        if (parts := vested_parts(policy, score, paid_units[member_id]))
    }
    return Scored(rows, prorata, vested)


def rewards_root(rewards: list[Any]) -> str:
    """The week's Merkle root over (member, paid units) of its rewards, by member id."""
    return build_tree([(r.member_id, r.paid_units) for r in rewards]).root_hex


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


def _next(stage: str) -> str:
    return STAGES[STAGES.index(stage) + 1]


def _pool_share(policy: Policy, week: IsoWeek) -> int:
    """This week's emission that goes to the rewards pool (by the policy's split)."""
    split = fund_split_for_week(policy, week)
    for name, fund in policy.funds.split.items():
        if fund.account == AccountType.POOL_REWARDS.value:
            return split.get(name, 0)
    return 0


def points_text(points: Decimal) -> str:
    """Points as plain decimal text without trailing zeros: ``75``, ``76.5``, ``1584``."""
    text = format(points.normalize(), "f")
    return text


def report_path(folder: Path, week: str, policy_version: str) -> Path:
    return folder / f"rewards-{week}-{policy_version}.csv"


def rewards_csv(rewards: list[Any], day: date, scale: int) -> str:
    """``date,user_id,points,amount``: final points after coefficients, amount in STK."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "user_id", "points", "amount"])
    for reward in rewards:
        writer.writerow(
            [
                day.isoformat(),
                reward.member_id,
                reward.points,
                format_amount(reward.paid_units, scale),
            ]
        )
    return out.getvalue()
