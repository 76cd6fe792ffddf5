"""Weekly statements assembled from what ``systok explain`` reads (issue 14, SPEC §10).

The numbers come from one place: ``explain_reward`` re-scores the member's stored
reward with the reference scorer from the events as the run collected them (ADR
0009), exactly as ``systok explain`` and ``GET rewards/weekly`` do; the statement adds
what surrounds it — the vesting parts, the Merkle proof against the run's rewards, the
previous week (explained the same way), the last 12 weeks' paid totals, the last
active day — and the recommendations ``statement_advice`` computes from the rules.

Functions take the caller's session and never commit. The weekly run's notify stage
(after the week is paid, so the files say "paid") assembles every member's statement
with ``week_statements`` — the tree and the activity read once for the whole week, so
a week of n members costs n statements, not n² hashes — and renders them with
``render_statements`` after its unit of work commits, so no transaction stays open
while PDFs are drawn; one member's failure is logged and counted, never fatal.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from systok.accrual import repository as accrual_repo
from systok.accrual.explain import explain_reward, vesting_of
from systok.accrual.report import rewards_tree
from systok.core.amount import STK, format_amount
from systok.core.language import Language
from systok.core.merkle import MerkleTree, leaf_hash, verify_proof
from systok.core.policy import Policy
from systok.core.scoring import WeeklyScore
from systok.core.times import date_of_day, datetime_to_us, day_of_date
from systok.core.weeks import IsoWeek
from systok.documents.statement import render_statement
from systok.documents.statement_advice import recommendations
from systok.documents.statement_schemas import (
    ActivityLine,
    Coefficients,
    Comparison,
    MerkleProof,
    ProofStep,
    Statement,
    VestingPart,
    WeekTotal,
)
from systok.economy import repository as economy_repo
from systok.economy.service import reward_status, week_reward_row
from systok.errors import RunError
from systok.notify import service as notify_service
from systok.observability.logs import get_logger
from systok.policy_files import load_policy
from systok.quarter.repository import last_activity_days

HISTORY_WEEKS = 12
"""Weeks in the statement's chart, this one included."""

log = get_logger("statements")

_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


@dataclass(frozen=True)
class WeekContext:
    """What every statement of one run shares, read once: the run, its policy, the
    Merkle tree of its rewards and each member's last active day (a UTC day number)."""

    run: Any
    policy: Policy
    tree: MerkleTree
    last_active_days: dict[str, int]


def week_context(session: Session, run: Any, members: list[str]) -> WeekContext:
    """The shared part of ``run``'s statements for ``members``."""
    policy = load_policy(run.policy_version)
    tree = rewards_tree(accrual_repo.run_rewards(session, run.id))
    week = IsoWeek.parse(run.week)
    last_day = day_of_date(week.days()[-1])
    active = last_activity_days(session, members, STK, last_day, datetime_to_us(week.end))
    return WeekContext(run, policy, tree, active)


def member_statement(session: Session, member_id: str, week: str) -> Statement:
    """The member's statement of ``week`` (the week's latest run).

    Raises:
        MemberNotFound: no member has this platform id.
        RewardNotFound: the member has no reward that week.
    """
    row = week_reward_row(session, member_id, week)
    context = week_context(session, accrual_repo.get_run(session, row.run_id), [member_id])
    return assemble(session, context, member_id)


def member_proof(session: Session, member_id: str, week: str) -> MerkleProof:
    """The member's Merkle proof of ``week`` alone (same errors as ``member_statement``)."""
    row = week_reward_row(session, member_id, week)
    run = accrual_repo.get_run(session, row.run_id)
    tree = rewards_tree(accrual_repo.run_rewards(session, run.id))
    return proof_of(tree, run, member_id, int(row.paid_units))


def assemble(session: Session, context: WeekContext, member_id: str) -> Statement:
    """One member's statement in a run they have a reward in."""
    run, policy = context.run, context.policy
    explained = explain_reward(session, policy, run, member_id)
    if explained is None:
        raise RunError(f"{member_id} has no reward in run {run.id} ({run.week})")
    score, reward, scale = explained.score, explained.reward, policy.stk_scale
    week = IsoWeek.parse(run.week)
    previous_score, previous_paid = _previous_week(session, member_id, week.previous())
    parts = [
        VestingPart(
            event_type=grant["event_type"],
            amount=format_amount(grant["units"], scale),
            unlock_on=grant["unlock_at"][:10],
            status=grant["status"],
        )
        for grant in vesting_of(session, run.id, member_id)
    ]
    active_day = context.last_active_days.get(member_id)
    last_active = date_of_day(active_day) if active_day is not None else None
    paid_units = int(reward.paid_units)
    return Statement(
        member=member_id,
        week=run.week,
        week_first_day=week.monday.isoformat(),
        week_last_day=(week.monday + timedelta(days=6)).isoformat(),
        asset=STK,
        scale=scale,
        policy_version=run.policy_version,
        policy_hash=run.policy_hash,
        status=reward_status(run.stage),
        points=str(reward.points),
        base_points=score.base_points,
        amount=format_amount(int(reward.units), scale),
        paid=format_amount(paid_units, scale),
        prorata=run.prorata,
        matches_stored=explained.matches,
        activities=activity_lines(policy, score, previous_score),
        coefficients=coefficients_of(score),
        vesting=parts,
        proof=proof_of(context.tree, run, member_id, paid_units),
        comparison=Comparison(
            previous_week=str(week.previous()),
            previous_paid=None if previous_paid is None else format_amount(previous_paid, scale),
            change=format_amount(paid_units - (previous_paid or 0), scale),
        ),
        history=_history(session, member_id, week, scale),
        recommendations=recommendations(
            policy, score, parts, last_active, Fraction(run.prorata) if run.prorata else None
        ),
        notes=list(score.notes),
        last_active_on=last_active.isoformat() if last_active else None,
    )


def activity_lines(
    policy: Policy, score: WeeklyScore, previous: WeeklyScore | None
) -> list[ActivityLine]:
    """Each event type of this week or the previous one, by name, with both weeks'
    counted events and base points (previous None: no reward that week)."""
    now = score.totals_by_type()
    before = previous.totals_by_type() if previous is not None else {}
    lines = []
    for name in sorted(set(now) | set(before)):
        rule = policy.events.get(name)
        mine, theirs = now.get(name), before.get(name)
        lines.append(
            ActivityLine(
                event_type=name,
                count=mine.count if mine else 0,
                counted=mine.counted if mine else 0,
                capped=mine.capped if mine else 0,
                ineligible=mine.ineligible if mine else 0,
                weight=rule.weight if rule else 0,
                limit_daily=rule.limit_daily if rule else 0,
                base_points=mine.base_points if mine else 0,
                points=format(mine.points.normalize(), "f") if mine else "0",
                previous_counted=(theirs.counted if theirs else 0) if previous else None,
                previous_base_points=(theirs.base_points if theirs else 0) if previous else None,
            )
        )
    return lines


def coefficients_of(score: WeeklyScore) -> Coefficients:
    """The week's level (as of its last day), consistency or rank."""
    last = score.days[-1]
    return Coefficients(
        model=score.model,
        level=last.level,
        level_name=last.level_name,
        level_coefficient=str(last.coefficient),
        levels_varied=len({(day.level, day.coefficient) for day in score.days}) > 1,
        streak_weeks=score.consistency.streak_weeks if score.consistency else None,
        consistency_coefficient=str(score.consistency.coefficient) if score.consistency else None,
        rank_change=score.rank.change.value if score.rank else None,
    )


def proof_of(tree: MerkleTree, run: Any, member_id: str, paid_units: int) -> MerkleProof:
    """The member's path in ``tree`` (the run's rewards), checked by recomputation."""
    path = tree.proof(member_id)
    return MerkleProof(
        member=member_id,
        week=run.week,
        paid_units=paid_units,
        leaf_text=f"{member_id}:{paid_units}",
        leaf=leaf_hash(member_id, paid_units).hex(),
        path=[ProofStep(side=side, sibling=sibling.hex()) for side, sibling in path],
        root=tree.root_hex,
        stored_root=run.merkle_root,
        verified=verify_proof(tree.root, member_id, paid_units, path),
    )


def statement_file(folder: Path, week: str, policy_version: str, member_id: str) -> Path:
    """Where the report stage writes a member's statement.

    A member id made only of letters, digits, ``_`` and ``-`` (up to 100) is the file's
    name; any other id (``/``, ``..``, non-ASCII, too long) is named by the first 32 hex
    digits of its SHA-256, prefixed ``id-``, so no id can escape the folder.
    """
    name = member_id if _PLAIN_NAME.match(member_id) else "id-" + _id_digest(member_id)
    return folder / "statements" / f"{week}-{policy_version}" / f"{name}.pdf"


@dataclass(frozen=True)
class PendingStatement:
    """One member's statement assembled from the database, waiting to be rendered."""

    member_id: str
    path: Path
    statement: Statement
    language: Language


@dataclass(frozen=True)
class StatementsWritten:
    """What writing a run's statements did: files written, members that failed."""

    written: int
    failed: int


def week_statements(session: Session, run: Any, folder: Path) -> list[PendingStatement]:
    """Every rewarded member's statement of ``run``, assembled (all the database reads),
    for ``render_statements`` to render without a transaction open.

    A member whose statement cannot be assembled is logged and left out, so one member
    never stops the others (``render_statements`` counts them as failed).
    """
    members = [r.member_id for r in accrual_repo.run_rewards(session, run.id)]
    context = week_context(session, run, members)
    pending: list[PendingStatement] = []
    for member_id in members:
        try:
            statement = assemble(session, context, member_id)
        except Exception as error:  # isolated: one member's failure is counted, not fatal
            _log_failure(run, member_id, "assemble", error)
            continue
        path = statement_file(folder, run.week, run.policy_version, member_id)
        pending.append(
            PendingStatement(member_id, path, statement, member_language(session, member_id))
        )
    return pending


def render_statements(run: Any, members: int, pending: list[PendingStatement]) -> StatementsWritten:
    """Render and write each assembled statement; a failure is logged and counted and
    the others still written (``members`` is how many were to be written, so those
    ``week_statements`` could not assemble count as failed too).

    Idempotent: the bytes depend only on the stored data, and each file is written to a
    temporary name and renamed, so a crash leaves whole files or none.
    """
    written = 0
    for item in pending:
        try:
            item.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = item.path.with_name(item.path.name + ".tmp")
            temporary.write_bytes(render_statement(item.statement, item.language))
            os.replace(temporary, item.path)
        except Exception as error:  # isolated: one member's failure is counted, not fatal
            _log_failure(run, item.member_id, "render", error)
            continue
        written += 1
    result = StatementsWritten(written=written, failed=members - written)
    log.info(
        "weekly statements written",
        extra={"run_id": run.id, "week": run.week, "written": written, "failed": result.failed},
    )
    return result


def _log_failure(run: Any, member_id: str, step: str, error: Exception) -> None:
    log.error(
        "weekly statement failed",
        extra={
            "run_id": run.id,
            "week": run.week,
            "member": member_id,
            "step": step,
            "error": type(error).__name__,
            "reason": str(error)[:1000],
        },
    )


def member_language(session: Session, member_id: str) -> Language:
    """The language the member chose in their profile (Russian by default)."""
    return notify_service.profile(session, member_id).language


def _previous_week(
    session: Session, member_id: str, week: IsoWeek
) -> tuple[WeeklyScore | None, int | None]:
    """The previous week's breakdown and paid units, explained like this week's."""
    row = economy_repo.member_week_reward(session, member_id, str(week))
    if row is None:
        return None, None
    run = accrual_repo.get_run(session, row.run_id)
    explained = explain_reward(session, load_policy(row.policy_version), run, member_id)
    return (explained.score if explained else None), int(row.paid_units)


def _history(session: Session, member_id: str, week: IsoWeek, scale: int) -> list[WeekTotal]:
    weeks = [week]
    for _ in range(HISTORY_WEEKS - 1):
        weeks.insert(0, weeks[0].previous())
    paid = economy_repo.member_paid_between(session, member_id, str(weeks[0]), str(week))
    return [WeekTotal(week=str(w), paid=format_amount(paid.get(str(w), 0), scale)) for w in weeks]


def _id_digest(member_id: str) -> str:
    return hashlib.sha256(member_id.encode("utf-8")).hexdigest()[:32]
