"""``GET /tokenomics/stats/supply``, ``…/distribution`` and ``…/health``: the admins'
statistics (API key scope ``stats:read``).

The arithmetic (the supply identity, Gini, percentiles, buckets) is
``systok.core.distribution``; these routes only render it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import Field

from systok.api import schemas as s
from systok.api.deps import AppPolicy, Work
from systok.api.edge import RequestInvalid
from systok.api.routes.common import Statistician, errors, money, tokenomics_router
from systok.api.schemas import Timestamp, _Out
from systok.clock import now, now_us
from systok.core.amount import STK
from systok.core.health import fraction_text
from systok.core.times import us_to_iso
from systok.economy import service
from systok.errors import HealthPeriodInvalid
from systok.health import service as health

router = tokenomics_router()
PERIOD_PATTERN = r"^[0-9]{4}-(Q[1-4]|W(0[1-9]|[1-4][0-9]|5[0-3]))$"


@router.get(
    "/stats/supply",
    response_model=s.SupplyOut,
    responses=errors(401, 403, 503),
    summary="Issued, burned and circulating supply; balances by account type",
)
def get_supply(work: Work, policy: AppPolicy, _principal: Statistician) -> s.SupplyOut:
    """Supply = −balance(world) − burned, with where every token sits."""
    scale = policy.stk_scale
    by_type, supply = work(service.supply, snapshot=True)
    return s.SupplyOut(
        asset=STK,
        scale=scale,
        issued=money(supply.issued_units, scale),
        burned=money(supply.burned_units, scale),
        supply=money(supply.supply_units, scale),
        circulating=money(supply.circulating_units, scale),
        frozen=money(supply.frozen_units, scale),
        by_type=[
            s.AccountTypeTotal(
                type=account_type,
                accounts=totals.accounts,
                posted=money(totals.posted_units, scale),
                held=money(totals.held_units, scale),
            )
            for account_type, totals in by_type.items()
        ],
    )


@router.get(
    "/stats/distribution",
    response_model=s.DistributionOut,
    responses=errors(401, 403, 503),
    summary="How member balances are spread: Gini, percentiles, top holders (anonymised)",
)
def get_distribution(work: Work, policy: AppPolicy, _principal: Statistician) -> s.DistributionOut:
    """Anonymised: holders are ranks, never ids; top list length from the policy."""
    scale = policy.stk_scale
    top_count = policy.reports.top_holders_count
    spread = work(
        lambda session: service.distribution(session, top_count=top_count, scale=scale),
        snapshot=True,
    )
    return s.DistributionOut(
        asset=STK,
        scale=scale,
        holders=spread.holders,
        total=money(spread.total_units, scale),
        median=money(spread.median_units, scale),
        p90=money(spread.p90_units, scale),
        p99=money(spread.p99_units, scale),
        gini=spread.gini,
        top=[
            s.TopHolder(rank=h.rank, amount=money(h.units, scale), share_bps=h.share_bps)
            for h in spread.top
        ],
        buckets=[
            s.Bucket(
                low=money(b.low_units, scale),
                high=money(b.high_units, scale) if b.high_units is not None else None,
                holders=b.holders,
                amount=money(b.units, scale),
            )
            for b in spread.buckets
        ],
    )


class HealthReadingOut(_Out):
    """One metric of the period, exact, with the policy's bounds (docs/quarter.md §1)."""

    metric: str = Field(examples=["inflation_yearly"])
    unit: str = Field(examples=["percent"])
    numerator: int | None = Field(description="The exact value's numerator; null: no value.")
    denominator: int | None = Field(description="The exact value's denominator (positive).")
    value: str | None = Field(
        description="The value with 6 decimals, floored toward −∞.", examples=["4.000000"]
    )
    status: str = Field(examples=["ok"], description="ok, warning, critical, no_value, unrated.")
    target_min: str | None
    target_max: str | None
    critical_below: str | None
    critical_above: str | None
    policy_version: str
    computed_at: Timestamp


class HealthOut(_Out):
    """A closed period's health readings, computed once and then kept (ADR 0028)."""

    period: str = Field(examples=["2026-Q3", "2026-W05"])
    period_kind: str = Field(examples=["quarter", "week"])
    readings: list[HealthReadingOut]


@router.get(
    "/stats/health",
    response_model=HealthOut,
    responses=errors(401, 403, 404, 409, 422, 503),
    summary="The economy's health metrics of a closed quarter or ISO week, rated",
)
def get_health(
    work: Work,
    _principal: Statistician,
    period: Annotated[
        str | None,
        Query(
            pattern=PERIOD_PATTERN,
            description="2026-Q3 or 2026-W05 (W53 only in ISO years that have a week 53); "
            "default the last closed week. 409 while open; 404 before the first policy.",
        ),
    ] = None,
) -> HealthOut:
    """Stored readings as they are; a closed period asked for the first time is computed
    from the ledger and stored (its readings never change afterwards)."""
    try:
        wanted = health.parse_period(period) if period else health.last_closed_week(now())
    except HealthPeriodInvalid as error:
        raise RequestInvalid("query.period", error.message) from None
    policy = health.period_policy(wanted)
    found = work(lambda session: health.period_health(session, policy, wanted, now_us=now_us()))
    return HealthOut(
        period=str(found.period),
        period_kind=found.period.kind,
        readings=[
            HealthReadingOut(
                metric=r.metric,
                unit=r.unit,
                numerator=None if r.value is None else r.value.numerator,
                denominator=None if r.value is None else r.value.denominator,
                value=None if r.value is None else fraction_text(r.value),
                status=r.status.value,
                **health.bounds_of(policy, r.metric),
                policy_version=r.policy_version,
                computed_at=us_to_iso(r.computed_at_us),
            )
            for r in found.readings
        ],
    )
