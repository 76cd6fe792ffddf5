"""The API's routers, one per resource, in the order the OpenAPI document lists them.

Routes are thin: they check who calls and what was sent, run one service function in
the request's unit of work (``systok.api.deps.Work``) and render its answer.
"""

from __future__ import annotations

from fastapi import APIRouter

from systok.api.edge import BodyGate
from systok.api.routes import (
    backing,
    balance,
    events,
    marketplace,
    profile,
    reports,
    rewards,
    stabilisation,
    stats,
    transactions,
    transfers,
    wallets,
    webhooks,
)

ROUTERS: list[APIRouter] = [
    events.router,
    webhooks.router,
    balance.router,
    transactions.router,
    transfers.router,
    rewards.router,
    marketplace.router,
    stats.router,
    backing.router,
    reports.router,
    stabilisation.router,
    wallets.router,
    profile.router,
]
BODY_GATES: list[BodyGate] = [
    *events.BODY_GATES,
    *webhooks.BODY_GATES,
    *transfers.BODY_GATES,
    *marketplace.BODY_GATES,
    *wallets.BODY_GATES,
    *profile.BODY_GATES,
]
"""Checked by the edge before a body is read (paths below the API prefix)."""
