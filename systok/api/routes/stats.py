"""``GET /tokenomics/stats/supply`` and ``…/stats/distribution``: the admins' statistics.

The arithmetic (the supply identity, Gini, percentiles, buckets) is
``systok.core.distribution``; these routes only render it.
"""

from __future__ import annotations

from systok.api import schemas as s
from systok.api.deps import AppPolicy, Work
from systok.api.routes.common import Statistician, errors, money, tokenomics_router
from systok.core.amount import STK
from systok.economy import service

router = tokenomics_router()


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
