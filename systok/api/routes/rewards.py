"""``GET /tokenomics/rewards`` and ``…/rewards/weekly``: what a member earned, and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from systok.api import schemas as s
from systok.api.deps import AppPolicy, Work
from systok.api.edge import RequestInvalid
from systok.api.member_auth import acting_member
from systok.api.routes.common import READ_ERRORS, MemberQuery, Reader, money, tokenomics_router
from systok.core.amount import STK
from systok.core.weeks import IsoWeek
from systok.economy import service

REWARD_WEEKS_DEFAULT = 52
REWARD_WEEKS_MAX = 520
WEEK_PATTERN = r"^[1-9][0-9]{3}-W(0[1-9]|[1-4][0-9]|5[0-3])$"

router = tokenomics_router()


@router.get(
    "/rewards",
    response_model=s.RewardsOut,
    responses=READ_ERRORS,
    summary="The member's weekly rewards, newest first",
)
def get_rewards(
    work: Work,
    policy: AppPolicy,
    principal: Reader,
    member: MemberQuery = None,
    limit: Annotated[int, Query(ge=1, le=REWARD_WEEKS_MAX)] = REWARD_WEEKS_DEFAULT,
) -> s.RewardsOut:
    """Each scored week: points, tokens earned and paid, later corrections."""
    member_id = acting_member(principal, member)
    scale = policy.stk_scale
    lines = work(lambda session: service.rewards(session, member_id, limit))
    return s.RewardsOut(
        member=member_id,
        asset=STK,
        scale=scale,
        items=[
            s.RewardOut(
                week=line.week,
                policy_version=line.policy_version,
                status=line.status,
                points=line.points,
                amount=money(line.units, scale),
                paid=money(line.paid_units, scale),
                adjusted=money(line.adjusted_units, scale),
            )
            for line in lines
        ],
    )


@router.get(
    "/rewards/weekly",
    response_model=s.WeeklyRewardOut,
    responses=READ_ERRORS,
    summary="Why the member got exactly this much in one week (the breakdown)",
)
def get_weekly_reward(
    work: Work,
    policy: AppPolicy,
    principal: Reader,
    week: Annotated[
        str,
        Query(
            pattern=WEEK_PATTERN,
            description="ISO week, e.g. 2026-W46 (W53 only in years that have one, else 422).",
        ),
    ],
    member: MemberQuery = None,
) -> s.WeeklyRewardOut:
    """The reward with its breakdown, re-scored by the reference scorer from what the run
    collected (ADR 0009); ``breakdown.matches_stored`` is false if the events or the
    reward changed since. The PDF comes with the reports issue."""
    member_id = acting_member(principal, member)
    try:
        iso_week = str(IsoWeek.parse(week))
    except ValueError as error:
        raise RequestInvalid("query.week", str(error)) from None
    scale = policy.stk_scale
    reward = work(
        lambda session: service.weekly_reward(session, member_id, iso_week), snapshot=True
    )
    return s.WeeklyRewardOut(
        member=member_id,
        week=reward.week,
        asset=STK,
        scale=scale,
        policy_version=reward.policy_version,
        policy_hash=reward.policy_hash,
        status=reward.status,
        points=reward.points,
        amount=money(reward.units, scale),
        paid=money(reward.paid_units, scale),
        prorata=reward.prorata,
        breakdown=reward.breakdown,
        adjustments=[
            s.AdjustmentOut(
                paid_in_week=a.paid_in_week,
                delta=money(a.delta_units, scale),
                points_after=a.points_after,
                amount_after=money(a.units_after, scale),
            )
            for a in reward.adjustments
        ],
    )
