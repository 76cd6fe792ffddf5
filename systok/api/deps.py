"""What every route takes from the app: its unit of work, policy, settings and metrics.

The one way to open a unit of work in the API (ADR 0022): ``unit_of_work(request)``,
declared as a route dependency (``Work``) or called by an edge gate, which is not a
route. ``UnitOfWork`` runs a service function in one transaction, retried on
deadlocks and serialization failures like the CLI's ``run_transaction``; services
take the session and never commit.

The dependencies are ``async`` functions that only read ``app.state``: FastAPI runs a
sync dependency in the thread pool, one hop (a thread wake-up and a GIL hand-over)
per dependency per request, which on ``GET balance`` cost more than the query itself
(ADR 0046). The plain functions stay for callers that are not routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from systok.api.metrics import ApiMetrics
from systok.config import Settings
from systok.core.policy import Policy
from systok.db.engine import run_transaction

T = TypeVar("T")


class UnitOfWork:
    """Runs one request's database work in one transaction (retried on deadlocks).

    Built once per app: the autocommit view of the engine it keeps for one-statement
    reads shares the engine's pool.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._autocommit = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else engine
        )

    def __call__(self, work: Callable[[Session], T], *, snapshot: bool = False) -> T:
        """``work`` in one transaction; ``snapshot``: read-only, one consistent snapshot."""
        return run_transaction(self.engine, work, snapshot=snapshot)

    def one_statement(self, work: Callable[[Session], T]) -> T:
        """``work``, a read of exactly one statement, without BEGIN and COMMIT.

        One statement is atomic and sees one snapshot on its own, so wrapping it in a
        transaction adds two round trips and nothing else: on PostgreSQL it runs on an
        autocommit connection (1 round trip instead of 3). Never for writes, nor for
        reads of several statements (they would see different snapshots). SQLite runs
        it in a transaction as before (its ``BEGIN IMMEDIATE`` is how it queues).
        """
        return run_transaction(self._autocommit, work)

    async def in_thread(
        self, work: Callable[[Session], T], *, snapshot: bool = False, one_statement: bool = False
    ) -> T:
        """``work`` (as ``__call__`` or ``one_statement`` runs it) from an ``async`` route.

        A sync route costs two thread-pool hops: FastAPI runs the route in the pool and
        then validates its answer against the response model in the pool again. An
        ``async`` route hops once, for the database work alone (ADR 0046).
        """
        if one_statement:
            return await run_in_threadpool(self.one_statement, work)
        return await run_in_threadpool(self, work, snapshot=snapshot)


def unit_of_work(request: Request) -> UnitOfWork:
    """The app's unit-of-work runner (called by a gate; routes declare ``Work``)."""
    work: UnitOfWork = request.app.state.work
    return work


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


async def _work(request: Request) -> UnitOfWork:
    return unit_of_work(request)


async def _policy(request: Request) -> Policy:
    return app_policy(request)


async def _metrics(request: Request) -> ApiMetrics:
    return api_metrics(request)


Work = Annotated[UnitOfWork, Depends(_work)]
AppPolicy = Annotated[Policy, Depends(_policy)]
Metrics = Annotated[ApiMetrics, Depends(_metrics)]
