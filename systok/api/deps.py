"""What every route takes from the app: its unit of work, policy, settings and metrics.

The one way to open a unit of work in the API (ADR 0022): ``unit_of_work(request)``,
declared as a route dependency (``Work``) or called by an edge gate, which is not a
route. ``UnitOfWork`` runs a service function in one transaction, retried on
deadlocks and serialization failures like the CLI's ``run_transaction``; services
take the session and never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.api.metrics import ApiMetrics
from systok.config import Settings
from systok.core.policy import Policy
from systok.db.engine import run_transaction

T = TypeVar("T")


class UnitOfWork:
    """Runs one request's database work in one transaction (retried on deadlocks)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, work: Callable[[Session], T], *, snapshot: bool = False) -> T:
        """``work`` in one transaction; ``snapshot``: read-only, one consistent snapshot."""
        return run_transaction(self.engine, work, snapshot=snapshot)


def unit_of_work(request: Request) -> UnitOfWork:
    """The app's unit-of-work runner (a route dependency, or called by a gate)."""
    engine: Engine = request.app.state.engine
    return UnitOfWork(engine)


def app_policy(request: Request) -> Policy:
    """The policy the app runs with (its limits, its event types, its catalogue)."""
    policy: Policy = request.app.state.policy
    return policy


def app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def api_metrics(request: Request) -> ApiMetrics:
    """The app's Prometheus metrics."""
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


Work = Annotated[UnitOfWork, Depends(unit_of_work)]
AppPolicy = Annotated[Policy, Depends(app_policy)]
Metrics = Annotated[ApiMetrics, Depends(api_metrics)]
