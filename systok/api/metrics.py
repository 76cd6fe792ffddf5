"""Prometheus metrics of the API, served at ``/metrics``.

Each app has its own registry (tests build many apps in one process). Request metrics
are labelled by the route *template* (``/api/v1/tokenomics/services/{service_id}/…``),
never the raw path, so a scan of random URLs cannot grow the label set: everything that
matched no route is ``unmatched``. The middleware is plain ASGI, cheaper than
Starlette's ``BaseHTTPMiddleware`` on the hot ``GET balance`` path.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ApiMetrics:
    """The API's counters and histograms, in one registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "systok_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "systok_http_request_duration_seconds",
            "Time from request to the end of the response, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS_SECONDS,
            registry=self.registry,
        )
        self.transfers = Counter(
            "systok_transfers",
            "Member transfer requests by outcome: posted, replayed, or the refusal's name.",
            ["outcome"],
            registry=self.registry,
        )
        self.purchases = Counter(
            "systok_purchases",
            "Marketplace purchase requests by outcome: posted, replayed, or the refusal.",
            ["outcome"],
            registry=self.registry,
        )


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self._kept: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    @staticmethod
    def _template(scope: Scope) -> str:
        """The matched route's full path template, e.g. ``/api/v1/…/{service_id}/purchase``.

        The route object of an included router may carry its path without the router's
        prefix, so the prefix is what precedes the route's own (filled-in) path in the
        request path; values of path parameters never reach the label.
        """
        route: Any = scope.get("route")
        route_path = getattr(route, "path", None)
        if not isinstance(route_path, str):
            return "unmatched"
        params = {key: str(value) for key, value in scope.get("path_params", {}).items()}
        try:
            filled = route_path.format(**params)
        except (KeyError, IndexError, ValueError):
            return route_path
        path = str(scope.get("path", ""))
        prefix = path[: len(path) - len(filled)] if path.endswith(filled) else ""
        return prefix + route_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            count, latency = self._series(str(scope.get("method", "")), scope, status)
            count.inc()
            latency.observe(time.perf_counter() - started)

    def _series(self, method: str, scope: Scope, status: int) -> tuple[Any, Any]:
        """The request counter's and the latency histogram's series of this request.

        ``labels()`` checks and joins its values under a lock on every call; the series
        are kept here by ``(method, template, status)`` instead, a key set no larger than
        the label set itself (route templates, never raw paths: ADR 0046).
        """
        template = self._template(scope)
        key = (method, template, status)
        series = self._kept.get(key)
        if series is None:
            series = (
                self.metrics.requests.labels(method, template, str(status)),
                self.metrics.latency.labels(method, template),
            )
            self._kept[key] = series
        return series
