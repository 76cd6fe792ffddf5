"""The HTTP edge: who may send a body, and how many bytes of it (ADR 0010).

``EdgeMiddleware`` is plain ASGI, so nothing upstream of it buffers a body:

1. **Authenticate before the body.** A route that takes a body is registered with a
   *gate* (``BodyGate``; ``create_app`` lists them): a check of the request's headers
   only (an API key, a member token, the shape of a webhook signature). The middleware
   runs the gate before the route is called, so an unauthenticated client is answered
   (401/403) without one byte of its body being read; whatever it keeps sending is
   discarded by the server as it arrives, and memory does not grow with it.
2. **Count bytes as they stream.** ``receive`` is wrapped: every ``http.request``
   chunk is counted, with or without ``Content-Length`` (chunked transfer included).
   A declared length above the limit is refused at once; once the streamed bytes pass
   the limit the request is answered 413 naming the limit, whatever the route had
   started to do with the body (it is never handed more than the limit).

FastAPI reads and parses a route's body *before* it resolves the route's dependencies,
which is why authentication cannot stay a dependency for routes with a body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from systok.errors import SystokError
from systok.observability.logs import log_refusal

Gate = Callable[[Request], Any]
"""Checks a request's headers (it may query the database: it runs in a thread); raises a
``SystokError`` to refuse, or returns what the route's dependency may reuse."""

GATE_RESULT = "systok_gate_result"
"""Key of ``request.state`` holding what the gate returned (the verified caller)."""


@dataclass(frozen=True)
class BodyGate:
    """The header check of one route that takes a body: ``POST /api/v1/events`` → gate."""

    method: str
    path: str
    """The route's path template, e.g. ``/tokenomics/services/{service_id}/purchase``."""
    check: Gate

    @property
    def pattern(self) -> re.Pattern[str]:
        """The path template as a regex (Starlette's own compilation of route paths)."""
        regex, _format, _convertors = compile_path(self.path)
        return regex


class FieldRefused(SystokError):
    """A refusal about one named field of the request (``body.amount``, ``query.cursor``).

    Rendered like request validation errors: ``detail`` reads ``<field>: <reason>`` and
    ``fields`` holds ``[{"field": …, "reason": …}]``, so clients read one shape.
    """

    status_code = 422

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class RequestInvalid(FieldRefused):
    """The request body or a parameter does not match what the endpoint takes."""


class PayloadTooLarge(SystokError):
    """Too many events, or too many bytes, in one request (or in one event's payload)."""

    status_code = 413

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class _BodyLimitExceeded(Exception):
    """Raised from ``receive`` once the streamed body passes the limit."""


def gate_result(request: Request) -> Any:
    """What this request's gate returned (None when the route has no gate)."""
    return request.scope.get("state", {}).get(GATE_RESULT)


def error_json(error: SystokError) -> JSONResponse:
    """The one JSON shape of every error (``fields`` when the error names a field)."""
    content: dict[str, Any] = {"error": error.error_name, "detail": error.message}
    field = getattr(error, "field", None)
    if isinstance(field, str):
        reason = getattr(error, "reason", None) or error.message
        content["fields"] = [{"field": field, "reason": reason}]
    return JSONResponse(
        content, status_code=error.status_code, headers=getattr(error, "headers", None)
    )


def body_too_large(limit_bytes: int) -> PayloadTooLarge:
    """The 413 of a body above ``limit_bytes`` (names the limit and the setting)."""
    return PayloadTooLarge(
        f"request body exceeds {limit_bytes} bytes (SYSTOK_REQUEST_BODY_MAX_BYTES); "
        "send fewer events per request"
    )


class EdgeMiddleware:
    """Runs a route's gate before its body is read, and bounds the body as it streams."""

    def __init__(self, app: ASGIApp, *, body_max_bytes: int, gates: list[BodyGate]) -> None:
        self.app = app
        self.body_max_bytes = body_max_bytes
        self.gates = [(gate.method, gate.pattern, gate.check) for gate in gates]

    def _gate(self, scope: Scope) -> Gate | None:
        method, path = scope.get("method"), str(scope.get("path", ""))
        for gate_method, pattern, check in self.gates:
            if method == gate_method and pattern.match(path):
                return check
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.body_max_bytes
        declared, chunked = b"", False
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if declared.isdigit() and int(declared) > limit:
            await error_json(body_too_large(limit))(scope, receive, send)
            return
        gate = self._gate(scope)
        if gate is not None:
            try:
                result = await run_in_threadpool(gate, Request(scope))
            except SystokError as error:
                log_refusal(Request(scope), error)
                await error_json(error)(scope, receive, send)
                return
            scope.setdefault("state", {})[GATE_RESULT] = result
        if not chunked and declared in (b"", b"0"):
            # HTTP/1.1 frames a body only by these two headers: without them there is
            # none to count, and GET balance skips the wrappers below (ADR 0046).
            await self.app(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:  # never hand the route more than the limit
                raise _BodyLimitExceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyLimitExceeded
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the route's answer to a cut-off body is replaced by the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _BodyLimitExceeded:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await error_json(body_too_large(limit))(scope, receive, send)


async def read_body(request: Request, on_chunk: Callable[[bytes], None] | None = None) -> bytes:
    """The request's body, read chunk by chunk (``on_chunk`` sees each, e.g. to hash it).

    The edge middleware bounds the total, so the result is at most the body limit.
    """
    chunks = bytearray()
    async for chunk in request.stream():
        if on_chunk is not None:
            on_chunk(chunk)
        chunks += chunk
    return bytes(chunks)
