"""What the member API reads of the economy, one function per question.

Each function takes the caller's session (the route's unit of work) and never commits;
a refusal raises before anything is read further. Writes are ``transfers.send_transfer``
and ``marketplace.purchase``; ``*_key_used`` tell a refused keyed write whether a twin
request with its Idempotency-Key committed meanwhile (``first_answer`` in the API).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from systok.accrual import repository as accrual_repo
from systok.accrual.explain import explain_reward
from systok.accrual.service import STAGES
from systok.core.amount import STK
from systok.core.distribution import Distribution, Supply, TypeTotals, distribution_of, supply_of
from systok.core.times import MICROS_PER_DAY, date_of_day, day_of_date
from systok.economy import repository as repo
from systok.economy.members import request_ledger_key, require_member
from systok.economy.schemas import (
    Adjustment,
    BalanceHistory,
    HistoryDay,
    LedgerLine,
    MemberState,
    RewardLine,
    RewardStatus,
    WeeklyReward,
)
from systok.errors import RewardNotFound
from systok.ledger import repository as ledger_repo
from systok.policy_files import load_policy


def _day_start_us(day: date) -> int:
    return day_of_date(day) * MICROS_PER_DAY


def reward_status(stage: str) -> RewardStatus:
    """A reward is paid once its run has posted it to the ledger."""
    return "paid" if STAGES.index(stage) > STAGES.index("post") else "pending"


def balance(session: Session, member_id: str) -> MemberState:
    """The member's balance, vesting and freeze (``MemberNotFound`` if unknown)."""
    return require_member(session, member_id)


def balance_history(session: Session, member_id: str, first: date, last: date) -> BalanceHistory:
    """The posted balance before ``first`` and at the end of each day with movement up
    to and including ``last``."""
    state = require_member(session, member_id)
    if state.account_id is None:
        return BalanceHistory(0, [])
    from_us, to_us = _day_start_us(first), _day_start_us(last) + MICROS_PER_DAY
    opening = repo.balance_before(session, state.account_id, from_us)
    days, running = [], opening
    for day, change, count in repo.daily_changes(session, state.account_id, from_us, to_us):
        running += change
        days.append(HistoryDay(date_of_day(day), change, running, count))
    return BalanceHistory(opening, days)


def ledger_lines(
    session: Session,
    member_id: str,
    *,
    before_id: int | None,
    codes: Sequence[str],
    first: date | None,
    last: date | None,
    limit: int,
) -> list[LedgerLine]:
    """The member's postings, newest first, below ``before_id``, by code and UTC day."""
    state = require_member(session, member_id)
    if state.account_id is None:
        return []
    rows = repo.account_transactions(
        session,
        state.account_id,
        before_id=before_id,
        codes=codes,
        from_us=_day_start_us(first) if first is not None else None,
        to_us=_day_start_us(last) + MICROS_PER_DAY if last is not None else None,
        limit=limit,
    )
    return [
        LedgerLine(row.id, row.code, row.reference, row.created_at_us, row.amount_units)
        for row in rows
    ]


def rewards(session: Session, member_id: str, limit: int) -> list[RewardLine]:
    """The member's weekly rewards, newest week first (no breakdowns)."""
    require_member(session, member_id)
    return [
        RewardLine(
            week=row.week,
            policy_version=row.policy_version,
            status=reward_status(row.stage),
            points=row.points,
            units=row.units,
            paid_units=row.paid_units,
            adjusted_units=int(row.adjusted_units),
        )
        for row in repo.member_rewards(session, member_id, limit)
    ]


def week_reward_row(session: Session, member_id: str, week: str) -> Row[Any]:
    """The member's stored reward of ``week`` (the week's latest run): what the weekly
    reward, the statement and the proof all start from.

    Raises:
        MemberNotFound, RewardNotFound.
    """
    require_member(session, member_id)
    row = repo.member_week_reward(session, member_id, week)
    if row is None:
        raise RewardNotFound(
            f"{member_id} has no reward in {week} (not run yet, or no counted events)"
        )
    return row


def weekly_reward(session: Session, member_id: str, week: str) -> WeeklyReward:
    """The member's reward of ``week`` with its breakdown, re-scored by the reference
    scorer from what the run collected (ADR 0009).

    Raises:
        MemberNotFound, RewardNotFound.
    """
    row = week_reward_row(session, member_id, week)
    run = accrual_repo.get_run(session, row.run_id)
    explained = explain_reward(session, load_policy(row.policy_version), run, member_id)
    assert explained is not None, "the reward row was just read"
    return WeeklyReward(
        week=row.week,
        policy_version=row.policy_version,
        policy_hash=row.policy_hash,
        status=reward_status(row.stage),
        points=row.points,
        units=row.units,
        paid_units=row.paid_units,
        prorata=row.prorata,
        breakdown=explained.as_json(),
        adjustments=[
            Adjustment(a.paid_in_week, a.delta_units, a.points_after, a.units_after)
            for a in repo.week_adjustments(session, member_id, week)
        ],
    )


def supply(session: Session) -> tuple[dict[str, TypeTotals], Supply]:
    """STK's totals per account type (ordered by type) and the supply they add up to."""
    by_type = {
        row.type: TypeTotals(int(row.accounts), int(row.posted_units), int(row.held_units))
        for row in repo.balances_by_type(session, STK)
    }
    return by_type, supply_of(by_type)


def distribution(session: Session, *, top_count: int, scale: int) -> Distribution:
    """How the members' positive STK balances are spread (anonymised)."""
    return distribution_of(repo.member_balances(session, STK), top_count=top_count, scale=scale)


def transfer_key_used(session: Session, sender_id: str, request_key: str) -> bool:
    """Whether a transfer with this Idempotency-Key of the sender is in the ledger."""
    key = request_ledger_key("transfer", sender_id, request_key)
    return ledger_repo.find_entry(session, idempotency_key=key) is not None


def purchase_key_used(session: Session, buyer_id: str, request_key: str) -> bool:
    """Whether a purchase with this Idempotency-Key of the buyer has been recorded."""
    return repo.entitlement_by_request(session, buyer_id, request_key) is not None
