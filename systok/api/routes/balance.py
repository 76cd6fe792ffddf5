"""``GET /tokenomics/balance`` and ``…/balance/history``: what a member holds, day by day."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Request

from systok import clock
from systok.api import schemas as s
from systok.api.deps import AppPolicy, Work, app_policy, unit_of_work
from systok.api.edge import RequestInvalid
from systok.api.member_auth import acting_member
from systok.api.routes.common import (
    READ_ERRORS,
    IsoDay,
    MemberQuery,
    Reader,
    money,
    tokenomics_router,
)
from systok.core.amount import STK
from systok.economy import service

HISTORY_DAYS_DEFAULT = 30
HISTORY_DAYS_MAX = 366

router = tokenomics_router()


@router.get(
    "/balance",
    response_model=s.BalanceOut,
    responses=READ_ERRORS,
    summary="The member's balance: available, held, vesting, staked",
)
async def get_balance(
    request: Request, principal: Reader, member: MemberQuery = None
) -> s.BalanceOut:
    """Spendable now (``available``), reserved (``held``), frozen by vesting (``vesting``).

    The API's hottest path (ADR 0046): ``async``, its one-statement read in the thread
    pool (one thread hop per request), and the unit of work and the policy taken from
    the app, not as dependencies (FastAPI resolves each dependency per request)."""
    member_id = acting_member(principal, member)
    scale = app_policy(request).stk_scale
    state = await unit_of_work(request).in_thread(
        lambda session: service.balance(session, member_id), one_statement=True
    )
    return s.BalanceOut(
        member=member_id,
        asset=STK,
        scale=scale,
        available=money(state.available_units, scale),
        held=money(state.held_units, scale),
        vesting=money(state.vesting_units, scale),
        staked=money(0, scale),
        posted=money(state.posted_units, scale),
        frozen=state.frozen_reason is not None,
    )


@router.get(
    "/balance/history",
    response_model=s.HistoryOut,
    responses=READ_ERRORS,
    summary="Closing balance per UTC day with movement",
)
async def get_balance_history(  # noqa: PLR0917 - FastAPI passes query parameters by name
    work: Work,
    policy: AppPolicy,
    principal: Reader,
    member: MemberQuery = None,
    from_: Annotated[
        IsoDay | None,
        Query(
            alias="from",
            description="First UTC day, YYYY-MM-DD (default: to − 29 days). At most 366 days "
            "from `from` to `to` inclusive, and not after `to` (else 422 naming query.from).",
        ),
    ] = None,
    to: Annotated[
        IsoDay | None,
        Query(description="Last UTC day, YYYY-MM-DD (default: today)."),
    ] = None,
) -> s.HistoryOut:
    """The posted balance at the end of each day with movement, at most 366 days per request
    (``from`` after ``to``, or a longer range, is a 422 naming ``query.from``)."""
    member_id = acting_member(principal, member)
    last = to or clock.now().date()
    first = from_ or date.fromordinal(max(1, last.toordinal() - (HISTORY_DAYS_DEFAULT - 1)))
    if first > last:
        raise RequestInvalid("query.from", f"{first} is after to ({last})")
    if (last - first).days >= HISTORY_DAYS_MAX:
        raise RequestInvalid("query.from", f"at most {HISTORY_DAYS_MAX} days per request")
    scale = policy.stk_scale
    history = await work.in_thread(
        lambda session: service.balance_history(session, member_id, first, last), snapshot=True
    )
    return s.HistoryOut(
        member=member_id,
        asset=STK,
        scale=scale,
        from_=first,
        to=last,
        opening=money(history.opening_units, scale),
        closing=money(history.closing_units, scale),
        days=[
            s.HistoryPoint(
                day=day.day,
                change=money(day.change_units, scale),
                balance=money(day.balance_units, scale),
                transactions=day.transactions,
            )
            for day in history.days
        ],
    )
