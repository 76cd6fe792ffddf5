"""``GET /tokenomics/stabilisation`` (admin): the stabilisation proposals the quarterly
run recorded and the decisions on them (ADR 0030). Decisions are taken with
``systok stabilise approve|reject``, not over HTTP.

| endpoint | member token | API key scope |
|---|---|---|
| GET stabilisation | 403 | admin:read |
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from pydantic import Field

from systok.api.deps import Work
from systok.api.routes.common import (
    QUARTER_PATTERN,
    Administrator,
    errors,
    query_quarter,
    tokenomics_router,
)
from systok.api.schemas import Timestamp, _Out
from systok.core.times import us_to_iso
from systok.stabilisation import service
from systok.stabilisation.schemas import ProposalStatus

router = tokenomics_router()


class ProposalOut(_Out):
    """A rule that fired for a quarter, and the decision on it."""

    id: int
    quarter: str = Field(examples=["2026-Q1"])
    rule: str = Field(examples=["buyback"])
    action: str
    metric: str = Field(examples=["price_change"])
    numerator: str = Field(description="The metric's exact value: numerator / denominator.")
    denominator: str
    direction: str = Field(examples=["below"])
    threshold: str = Field(examples=["-20"])
    step_bps: int | None
    automatic: bool
    status: str = Field(examples=["proposed"])
    effective_quarter: str = Field(description="The quarter an approval takes effect in.")
    decided_by: str | None
    decided_at: Timestamp | None
    reason: str | None
    amount_units: int | None = Field(description="STK base units burned (executed burns).")
    transaction_id: int | None
    budget_units: int | None = Field(
        description="An approved buyback's budget in quote minor units (kopecks); ADR 0034."
    )
    spent_units: int | None = Field(
        description="What the buyback's sales paid so far, quote minor units."
    )


@router.get(
    "/stabilisation",
    response_model=list[ProposalOut],
    responses=errors(401, 403, 422, 503),
    summary="Stabilisation proposals and their decisions, by quarter then id",
)
def get_stabilisation(
    work: Work,
    _principal: Administrator,
    quarter: Annotated[
        str | None, Query(pattern=QUARTER_PATTERN, description="Only this quarter.")
    ] = None,
    status: Annotated[
        Literal["proposed", "approved", "rejected", "executed"] | None,
        Query(description="Only this status."),
    ] = None,
) -> list[ProposalOut]:
    """Admin: every recorded proposal (ADR 0030)."""
    wanted = query_quarter(quarter) if quarter else None
    wanted_status = ProposalStatus(status) if status else None
    rows = work(lambda session: service.list_proposals(session, wanted, wanted_status))
    return [
        ProposalOut(
            id=p.id,
            quarter=p.quarter,
            rule=p.rule,
            action=p.action,
            metric=p.metric,
            numerator=str(p.value.numerator),
            denominator=str(p.value.denominator),
            direction=p.direction,
            threshold=p.threshold,
            step_bps=p.step_bps,
            automatic=p.automatic,
            status=p.status.value,
            effective_quarter=str(p.effective_quarter),
            decided_by=p.decided_by,
            decided_at=None if p.decided_at_us is None else us_to_iso(p.decided_at_us),
            reason=p.reason,
            amount_units=p.amount_units,
            transaction_id=p.transaction_id,
            budget_units=p.budget_units,
            spent_units=p.spent_units,
        )
        for p in rows
    ]
