"""``GET /tokenomics/rewards``, ``…/rewards/weekly`` and ``…/rewards/proof``: what a
member earned, why, and the proof it is in the week's published Merkle root.

``rewards/weekly`` is the weekly statement (docs/statement.md): the A4 PDF when the
client's ``Accept`` prefers ``application/pdf`` (``common.prefers_pdf``, as the quarterly
report reads it), else JSON — the breakdown and the same statement model the PDF is
drawn from. A member token reads only its own member's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Query
from fastapi.responses import Response

from systok.api import schemas as s
from systok.api.deps import AppPolicy, Work
from systok.api.edge import RequestInvalid
from systok.api.member_auth import acting_member
from systok.api.routes.common import (
    READ_ERRORS,
    MemberQuery,
    Reader,
    money,
    pdf_content,
    pdf_response,
    prefers_pdf,
    tokenomics_router,
)
from systok.core.amount import STK
from systok.core.language import Language
from systok.core.weeks import IsoWeek
from systok.documents.statement import render_statement
from systok.documents.statement_schemas import MerkleProof
from systok.documents.statement_service import member_language, member_proof, member_statement
from systok.economy import service

REWARD_WEEKS_DEFAULT = 52
REWARD_WEEKS_MAX = 520
WEEK_PATTERN = r"^[1-9][0-9]{3}-W(0[1-9]|[1-4][0-9]|5[0-3])$"

WEEK_DESCRIPTION = "ISO week, e.g. 2026-W46 (W53 only in years that have one, else 422)."
WEEKLY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **pdf_content(
        "The statement: JSON by default, the A4 PDF when `Accept` prefers `application/pdf`."
    ),
    **READ_ERRORS,
}

router = tokenomics_router()


def _iso_week(week: str) -> str:
    """The ``week`` query as canonical text, or a 422 naming ``query.week``."""
    try:
        return str(IsoWeek.parse(week))
    except ValueError as error:
        raise RequestInvalid("query.week", str(error)) from None


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
    responses=WEEKLY_RESPONSES,
    summary="The member's weekly statement: PDF or JSON (the breakdown and the statement)",
)
def get_weekly_reward(
    work: Work,
    policy: AppPolicy,
    principal: Reader,
    response: Response,
    *,
    week: Annotated[str, Query(pattern=WEEK_PATTERN, description=WEEK_DESCRIPTION)],
    member: MemberQuery = None,
    lang: Annotated[
        Language | None,
        Query(description="The PDF's language (default: the member's profile, else ru)."),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> s.WeeklyRewardOut | Response:
    """The reward with its breakdown, re-scored by the reference scorer from what the run
    collected (ADR 0009); ``breakdown.matches_stored`` is false if the events or the
    reward changed since. ``statement`` is what the PDF shows: the comparison with the
    previous week, the last 12 weeks, recommendations, the Merkle proof."""
    member_id = acting_member(principal, member)
    iso_week = _iso_week(week)
    response.headers["Vary"] = "Accept"  # the same URL answers JSON or PDF
    if prefers_pdf(accept):
        found, own_language = work(
            lambda session: (
                member_statement(session, member_id, iso_week),
                member_language(session, member_id),
            ),
            snapshot=True,
        )
        return pdf_response(
            render_statement(found, lang or own_language), f"statement-{iso_week}.pdf"
        )
    scale = policy.stk_scale
    reward, statement = work(
        lambda session: (
            service.weekly_reward(session, member_id, iso_week),
            member_statement(session, member_id, iso_week),
        ),
        snapshot=True,
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
        statement=statement,
    )


@router.get(
    "/rewards/proof",
    response_model=MerkleProof,
    responses=READ_ERRORS,
    summary="The Merkle proof that the member's paid reward is in the week's root",
)
def get_reward_proof(
    work: Work,
    principal: Reader,
    week: Annotated[str, Query(pattern=WEEK_PATTERN, description=WEEK_DESCRIPTION)],
    member: MemberQuery = None,
) -> MerkleProof:
    """The leaf, the path of sibling hashes and the root; recompute it as
    docs/statement.md describes to check inclusion without trusting SysTok."""
    member_id = acting_member(principal, member)
    iso_week = _iso_week(week)
    return work(lambda session: member_proof(session, member_id, iso_week), snapshot=True)
