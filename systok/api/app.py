"""The HTTP API: ``create_app(engine, settings)`` builds it; ``systok serve`` runs it.

Routes (``systok.api.routes``, one module per resource): event ingestion (``events``,
``webhooks``), the member and admin API under ``/api/v1/tokenomics`` (``balance``,
``transactions``, ``transfers``, ``rewards``, ``marketplace``, ``stats``, ``wallets``),
and here ``/api/v1/health`` and Prometheus ``/metrics``.

Every endpoint does its database work in one unit of work (``systok.api.deps.Work``,
which retries deadlocks and serialization failures like the CLI does). Every error is
rendered one way, by the handlers here: ``{"error": <class name>, "detail": <message>}``
with the ``SystokError``'s status; request validation errors are a 422 that names the
field; unknown routes and methods keep their 404/405 in the same shape.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from systok.api.deps import UnitOfWork, Work
from systok.api.edge import BodyGate, EdgeMiddleware, RequestInvalid, error_json
from systok.api.metrics import ApiMetrics, MetricsMiddleware
from systok.config import Settings
from systok.core.policy import Policy
from systok.db.engine import ping
from systok.errors import SystokError
from systok.observability.collector import DatabaseCollector
from systok.observability.logs import log_refusal

API_PREFIX = "/api/v1"


def _field_of(location: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in location)


def _state_amount_pattern(app: FastAPI, pattern: str) -> None:
    """Put the policy's amount pattern (its scale) on ``TransferIn.amount`` in the schema,
    the pattern the transfer route enforces."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        amount = schema["components"]["schemas"]["TransferIn"]["properties"]["amount"]
        amount["pattern"] = pattern
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(engine: Engine, settings: Settings, policy: Policy | None = None) -> FastAPI:
    """Build the API on ``engine``.

    Args:
        policy: the policy whose ingestion limits and event types apply; default the
            pinned or newest one (``default_policy``), read once at start-up.
    """
    from systok.api.member_auth import MemberTokens
    from systok.api.routes import BODY_GATES, ROUTERS
    from systok.api.routes.transfers import amount_pattern
    from systok.api.schemas import HealthOut
    from systok.policy_files import default_policy

    app = FastAPI(
        title="SysTok API",
        version="1",
        summary="The STK economy: members' balances, history, rewards with explanations, "
        "transfers and the marketplace; admin statistics; ingestion of activity events.",
    )
    app.state.engine = engine
    app.state.work = UnitOfWork(engine)
    app.state.settings = settings
    app.state.policy = policy if policy is not None else default_policy(settings)
    app.state.member_tokens = MemberTokens(settings)
    app.state.metrics = ApiMetrics()
    app.state.metrics.registry.register(DatabaseCollector(engine))
    app.state.cursor_key = (
        settings.cursor_secret.encode("utf-8")
        if settings.cursor_secret
        else secrets.token_bytes(32)
    )

    @app.exception_handler(SystokError)
    async def _systok_error(request: Request, error: SystokError) -> JSONResponse:
        log_refusal(request, error)
        return error_json(error)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [{"field": _field_of(e["loc"]), "reason": str(e["msg"])} for e in error.errors()]
        detail = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
        return JSONResponse(
            {"error": RequestInvalid.__name__, "detail": detail, "fields": problems},
            status_code=RequestInvalid.status_code,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:  # FastAPI's "error parsing the body": a malformed body
            reason = "not valid JSON (send a JSON document, Content-Type: application/json)"
            return JSONResponse(
                {
                    "error": RequestInvalid.__name__,
                    "detail": f"body: {reason}",
                    "fields": [{"field": "body", "reason": reason}],
                },
                status_code=RequestInvalid.status_code,
            )
        name = {404: "NotFound", 405: "MethodNotAllowed"}.get(error.status_code, "HTTPError")
        return JSONResponse(
            {"error": name, "detail": str(error.detail)},
            status_code=error.status_code,
            headers=error.headers,
        )

    @app.get(
        f"{API_PREFIX}/health",
        response_model=HealthOut,
        responses={503: {"model": HealthOut, "description": "The database is unreachable."}},
        tags=["health"],
    )
    async def health(work: Work) -> JSONResponse:
        """Liveness and database reachability (for load balancers and `systok serve`)."""
        try:
            await work.in_thread(ping, one_statement=True)
        except Exception as error:
            return JSONResponse(
                {"status": "degraded", "database": type(error).__name__}, status_code=503
            )
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get(
        "/metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
        tags=["health"],
    )
    def metrics() -> PlainTextResponse:
        """Prometheus metrics: requests by route and status, latencies, transfer outcomes,
        and what the database says of runs, ingestion, quarantine, payouts and the last
        reconciliation (read at scrape time: see docs/monitoring.md)."""
        return PlainTextResponse(
            generate_latest(app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
        )

    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    _state_amount_pattern(app, amount_pattern(app.state.policy.stk_scale))
    gates = [BodyGate(gate.method, API_PREFIX + gate.path, gate.check) for gate in BODY_GATES]
    app.add_middleware(EdgeMiddleware, body_max_bytes=settings.request_body_max_bytes, gates=gates)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app
