"""What each stage of the weekly run does, behind one handler signature.

Every handler takes a ``StageContext`` (the stage's unit of work and what the run
knows) and returns the run-row values it sets; ``WeeklyRun`` records them together with
the next stage in the same transaction. Stages that write outside the database (the
CSV) or to the ledger are idempotent: the file's content is determined by the stored
rewards, and every ledger write carries a key derived from (policy, week, chunk).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from systok.accrual import repository as repo
from systok.accrual.late import adjust_late_weeks, post_adjustments
from systok.accrual.payouts import RunPayouts, require_batches_final
from systok.accrual.report import report_path, rewards_csv, rewards_root
from systok.accrual.schemas import Stage
from systok.accrual.score import collected_inputs, score_members, vested_types
from systok.accrual.vesting import grant_rows, hold_grants
from systok.core.amount import BASIS_POINTS_WHOLE, format_amount
from systok.core.emission import emission_for_week, fund_split_for_week
from systok.core.ledger import (
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.core.policy import Policy, WeightedDailyCaps
from systok.core.scoring import RateTable
from systok.core.times import date_of_day, datetime_to_us, day_of_date
from systok.core.weeks import IsoWeek
from systok.economy.emission import mint_emission
from systok.health.schemas import WEEK, Period
from systok.health.service import period_health
from systok.ledger.service import Ledger
from systok.notify import service as notify_service
from systok.notify.schemas import MessageKind
from systok.stabilisation.overrides import week_emission_factor_bps

REWARD_CHUNK_MEMBERS = 2_000
"""Members paid per ledger transaction (all of them posted in one batch, ADR 0043)."""


@dataclass(frozen=True)
class StageContext:
    """One stage's unit of work and what the run knows."""

    session: Session
    policy: Policy
    run: Any
    """The run row as locked for this stage."""
    week: IsoWeek
    reports_dir: Path
    write_statements: bool
    """Whether the notify stage writes the members' PDF statements (``run_statements``)."""
    clock: Callable[[], int]
    payouts: RunPayouts
    after_commit: list[Callable[[], object]] = field(default_factory=list)
    """Work the stage leaves for after its unit of work commits (no transaction open):
    ``WeeklyRun.step`` runs it in order; a retried attempt starts from an empty list."""
    public_url: str | None = None
    """``SYSTOK_PUBLIC_URL``: where the weekly reward message links the statement."""

    @property
    def first_day(self) -> int:
        return day_of_date(self.week.monday)

    @property
    def last_day(self) -> int:
        return self.first_day + 6


StageHandler = Callable[[StageContext], dict[str, Any]]


def collect(ctx: StageContext) -> dict[str, Any]:
    """Copy the week's activity into the run: sums (weighted) or counters (rank)."""
    if isinstance(ctx.policy.scoring, WeightedDailyCaps):
        repo.collect_sums(
            ctx.session,
            ctx.run.id,
            first_day=ctx.first_day,
            last_day=ctx.last_day,
            table=RateTable.of(ctx.policy),
            vested_types=vested_types(ctx.policy),
        )
    else:
        repo.collect_counts(ctx.session, ctx.run.id, ctx.first_day, ctx.last_day)
    collected_at_us = ctx.clock()
    return {"collected_at_us": collected_at_us, "absorbed_to_us": collected_at_us}


def score(ctx: StageContext) -> dict[str, Any]:
    """Store the rewards, the adjustments of earlier weeks and the vesting grants."""
    values, grants = score_run(ctx)
    repo.insert_grants(ctx.session, grants)
    return values


def score_run(ctx: StageContext) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Score the collected week: store rewards and adjustments; return the run's
    totals and the vesting grants to store (the dry run keeps them in memory)."""
    session, policy, run, week = ctx.session, ctx.policy, ctx.run, ctx.week
    pool = Ledger(session).balance(system_account(AccountType.POOL_REWARDS))
    factor_bps = week_emission_factor_bps(session, week)
    budget_units = pool.available_units + pool_share(policy, week, factor_bps)
    if isinstance(policy.scoring, WeightedDailyCaps):
        counts, uniform = collected_inputs(session, policy, run, week)
    else:
        counts, uniform = repo.run_counts(session, run.id), {}
    scored = score_members(session, policy, week, counts, budget_units, uniform=uniform)
    repo.insert_rewards(session, run.id, scored.rows)
    earned_at_us = datetime_to_us(week.end)
    grants = [
        grant
        for member_id, parts in sorted(scored.vested.items())
        for grant in grant_rows(policy, run.id, member_id, parts, earned_at_us)
    ]
    adjust_late_weeks(session, policy, run, ctx.clock)
    values = {
        "emission_units": emission_for_week(policy, week, factor_bps),
        "emission_factor_bps": factor_bps,
        "budget_units": budget_units,
        "rewards_units": sum(r["paid_units"] for r in scored.rows),
        "prorata": scored.prorata,
    }
    return values, grants


def pool_share(policy: Policy, week: IsoWeek, factor_bps: int = BASIS_POINTS_WHOLE) -> int:
    """This week's emission (times an approved override's factor, ADR 0034) that goes
    to the rewards pool (by the policy's split)."""
    split = fund_split_for_week(policy, week, factor_bps)
    for name, fund in policy.funds.split.items():
        if fund.account == AccountType.POOL_REWARDS.value:
            return split.get(name, 0)
    return 0


def report(ctx: StageContext) -> dict[str, Any]:
    """Write the week's CSV (the policy's columns) and record the Merkle root. Rerunning
    it rewrites the same bytes. (The PDF statements wait for the notify stage: written
    here, before posting, they would say "pending payout" forever.)"""
    rewards = repo.run_reward_amounts(ctx.session, ctx.run.id)
    ctx.reports_dir.mkdir(parents=True, exist_ok=True)
    report_path(ctx.reports_dir, ctx.run.week, ctx.run.policy_version).write_text(
        rewards_csv(rewards, date_of_day(ctx.last_day), ctx.policy), encoding="utf-8"
    )
    return {"merkle_root": rewards_root(rewards)}


def post(ctx: StageContext) -> dict[str, Any]:
    """Mint the emission, pay the rewards less their vesting parts, hold the grants and
    pay the adjustments."""
    policy, run, week = ctx.policy, ctx.run, ctx.week
    ledger = Ledger(ctx.session)
    ledger.ensure_assets({code: asset.scale for code, asset in policy.assets.items()})
    if run.emission_units:
        mint_emission(ledger, policy, str(week), run.emission_units)
    vesting: dict[str, int] = {}
    for grant in repo.run_grants(ctx.session, run.id):
        vesting[grant.member_id] = vesting.get(grant.member_id, 0) + grant.units
    # Paid at once: the reward less its vesting parts (those go to holds below).
    payable = [
        (r.member_id, r.paid_units - vesting.get(r.member_id, 0))
        for r in repo.run_reward_amounts(ctx.session, run.id)
        if r.paid_units - vesting.get(r.member_id, 0) > 0
    ]
    pool = system_account(AccountType.POOL_REWARDS)
    ledger.post_many(
        [
            TransactionDraft(
                code=TransactionCode.REWARD,
                idempotency_key=f"reward:{policy.version}:{week}:{index // REWARD_CHUNK_MEMBERS}",
                reference=f"weekly rewards {week}",
                postings=(
                    Posting(pool, -sum(u for _, u in chunk)),
                    *(Posting(member_account(m), u) for m, u in chunk),
                ),
            )
            for index in range(0, len(payable), REWARD_CHUNK_MEMBERS)
            for chunk in [payable[index : index + REWARD_CHUNK_MEMBERS]]
        ]
    )
    hold_grants(ledger, policy, str(week), run.id)
    post_adjustments(ledger, policy, run)
    return {}


def payout(ctx: StageContext) -> dict[str, Any]:
    """Plan the on-chain payouts (``systok.accrual.payouts``)."""
    ctx.payouts.plan(ctx.session, ctx.run)
    return {}


def confirm(ctx: StageContext) -> dict[str, Any]:
    """Advance once every payout batch is final; ``WeeklyRun`` drives them before."""
    require_batches_final(ctx.session, ctx.run.id)
    return {}


STATEMENT_API_PATH = "/api/v1/tokenomics/rewards/weekly"


def statement_url(public_url: str | None, week: IsoWeek) -> str:
    """The link to the member's statement of ``week`` under ``public_url``; "" when it
    is unset (the template then names the API path)."""
    if not public_url:
        return ""
    return f"{public_url.rstrip('/')}{STATEMENT_API_PATH}?week={week}"


def notify_due_us(policy: Policy, week: IsoWeek, now_us: int) -> int:
    """When the week's reward messages go out: the Monday after the week at the policy's
    ``[schedule].notify_at_hour`` (UTC), or now when the run finishes later."""
    at = week.end + timedelta(hours=policy.schedule.notify_at_hour)
    return max(datetime_to_us(at), now_us)


def notify(ctx: StageContext) -> dict[str, Any]:
    """Queue the weekly reward message of every rewarded member, in this stage's unit
    of work (ADR 0037), due at the policy's notify hour; the dispatcher sends them. A
    rerun queues nothing new. Keep the week's health readings (the weekly history, ADR
    0036), so ``systok health --week`` reads them instead of recomputing; readings
    stored earlier stand."""
    week, scale = str(ctx.week), ctx.policy.stk_scale
    link = statement_url(ctx.public_url, ctx.week)
    now = ctx.clock()
    notify_service.enqueue_many(
        ctx.session,
        MessageKind.WEEKLY_REWARD,
        [
            (
                r.member_id,
                f"weekly:{ctx.policy.version}:{week}:{r.member_id}",
                {"week": week, "amount": format_amount(r.paid_units, scale), "statement_url": link},
            )
            for r in repo.run_reward_amounts(ctx.session, ctx.run.id)
            if r.paid_units > 0
        ],
        now_us=now,
        due_at_us=notify_due_us(ctx.policy, ctx.week, now),
    )
    period_health(ctx.session, ctx.policy, Period(WEEK, ctx.week), now_us=ctx.clock())
    write_run_statements(ctx)
    return {}


def write_run_statements(ctx: StageContext) -> None:
    """When asked (``run_statements``), assemble every rewarded member's PDF statement
    in this unit of work — the week is paid, so they say "paid" — and render them after
    it commits (``after_commit``), so no transaction or run lock is held while PDFs are
    drawn. One member's failure is logged and counted (``render_statements`` logs
    "weekly statements written" with ``written`` and ``failed``); the others are still
    written and the run still finishes. A crash after the commit and before the last
    file leaves the rest to ``systok statement -o`` (the same bytes)."""
    if not ctx.write_statements:
        return
    # Imported here: the statements read the accrual package (explain, rewards),
    # so a module-level import would make the two packages import each other.
    from systok.documents.statement_service import render_statements, week_statements

    run, members = ctx.run, repo.count_rewards(ctx.session, ctx.run.id)
    pending = week_statements(ctx.session, run, ctx.reports_dir)
    ctx.after_commit.append(partial(render_statements, run, members, pending))


HANDLERS: dict[Stage, StageHandler] = {
    Stage.COLLECT: collect,
    Stage.SCORE: score,
    Stage.REPORT: report,
    Stage.POST: post,
    Stage.PAYOUT: payout,
    Stage.CONFIRM: confirm,
    Stage.NOTIFY: notify,
}
"""The handler of every stage but ``done``."""
