"""``GET /tokenomics/services`` and ``POST …/services/{id}/purchase``: the marketplace."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from systok.api import schemas as s
from systok.api.auth import SCOPE_PURCHASES_WRITE
from systok.api.deps import AppPolicy, Metrics, Work
from systok.api.edge import BodyGate
from systok.api.member_auth import Principal, acting_member
from systok.api.routes.common import (
    IdempotencyKey,
    MemberQuery,
    caller,
    counted,
    errors,
    first_answer,
    gate,
    money,
    tokenomics_router,
)
from systok.clock import now_us
from systok.core.amount import STK
from systok.core.times import us_to_iso
from systok.economy import service
from systok.economy.marketplace import purchase

BUYER_GATE = gate(SCOPE_PURCHASES_WRITE, members=True)
Buyer = Annotated[Principal, Depends(caller(BUYER_GATE))]

router = tokenomics_router()


@router.get(
    "/services",
    response_model=s.ServicesOut,
    summary="The marketplace catalogue of the policy in force (public)",
)
def get_services(policy: AppPolicy) -> s.ServicesOut:
    """Services with price, period and split; open rules need no credentials."""
    scale = policy.stk_scale
    return s.ServicesOut(
        policy_version=policy.version,
        asset=STK,
        scale=scale,
        items=[
            s.ServiceOut(
                id=offer.service_id,
                name=offer.name,
                price=money(offer.price, scale),
                period_days=offer.period_days,
                split=[
                    s.ServiceShareOut(role=role, share_bps=bps, payee=offer.payees[role])
                    for role, bps in sorted(offer.split_bps.items())
                ],
                remainder_to=offer.remainder_to,
            )
            for offer in sorted(policy.services.values(), key=lambda v: v.service_id)
        ],
    )


@router.post(
    "/services/{service_id}/purchase",
    response_model=s.PurchaseOut,
    responses=errors(401, 403, 404, 409, 422, 503),
    summary="Buy a service: pay by its split, activate it for its period",
)
def post_purchase(  # noqa: PLR0917 - FastAPI passes parameters by name
    service_id: Annotated[str, Path(max_length=64, description="A service id of GET services.")],
    idempotency_key: IdempotencyKey,
    work: Work,
    policy: AppPolicy,
    metrics: Metrics,
    principal: Buyer,
    member: MemberQuery = None,
) -> s.PurchaseOut:
    """One balanced transaction (buyer −price, each role +share) and the entitlement.

    Buying an active service again extends it: the new period starts where the last
    one ends.
    """
    buyer_id = acting_member(principal, member)
    scale = policy.stk_scale
    outcome = counted(
        metrics.purchases,
        lambda: first_answer(
            work,
            lambda session: service.purchase_key_used(session, buyer_id, idempotency_key),
            lambda session: purchase(
                session,
                policy,
                buyer_id=buyer_id,
                service_id=service_id,
                request_key=idempotency_key,
                now_us=now_us(),
            ),
        ),
        lambda answer: answer.replayed,
    )
    row = outcome.entitlement
    return s.PurchaseOut(
        member=buyer_id,
        asset=STK,
        transaction_id=row.transaction_id,
        entitlement=s.EntitlementOut(
            id=row.id,
            service=row.service_id,
            starts_at=us_to_iso(row.starts_at_us),
            ends_at=us_to_iso(row.ends_at_us),
            price=money(row.price_units, scale),
            policy_version=row.policy_version,
        ),
        split=[
            s.SplitLineOut(
                role=line.role, account=line.account, amount=money(line.amount_units, scale)
            )
            for line in outcome.split
        ],
        replayed=outcome.replayed,
    )


BODY_GATES = [BodyGate("POST", "/tokenomics/services/{service_id}/purchase", BUYER_GATE)]
"""Checked by the edge before a body is read (paths below the API prefix)."""
