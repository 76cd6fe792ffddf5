"""What the ``/api/v1/tokenomics`` routes share: who may call, common parameters, the
error responses they declare, and the keyed-write retry (SPEC §11).

Members call with the platform's JWT and see only their own data; API keys with a
scope act for the member named by ``?member=`` or read the statistics
(``member_auth``). Every endpoint is one unit of work; a write is one balanced ledger
transaction, so a refused request changes nothing.

| endpoint | member token | API key scope |
|---|---|---|
| GET balance, balance/history, transactions, rewards, rewards/weekly | own data | admin:read |
| GET rewards/proof (the Merkle proof; rewards/weekly also as PDF) | own data | admin:read |
| POST transfer | own tokens | transfers:write |
| POST services/{id}/purchase | own tokens | purchases:write |
| GET services | anyone, no credentials needed | |
| GET stats/supply, stats/distribution | 403 | stats:read |
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import Counter
from pydantic import BeforeValidator, WithJsonSchema
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from systok.api import schemas as s
from systok.api.auth import SCOPE_ADMIN_READ, SCOPE_STATS_READ
from systok.api.deps import UnitOfWork
from systok.api.edge import RequestInvalid, gate_result
from systok.api.member_auth import Principal, identify, identify_needs_io
from systok.core.amount import format_amount
from systok.core.quarters import Quarter
from systok.errors import IdempotencyConflict, SystokError

T = TypeVar("T")
ISO_DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A member's JWT from the learning platform, or an API key (stk_…).",
)
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="apiKey", description="An API key (stk_…)."
)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
HeaderKey = Annotated[str | None, Depends(_api_key)]


def tokenomics_router() -> APIRouter:
    """A router of one resource below ``/tokenomics`` (all share one OpenAPI tag)."""
    return APIRouter(prefix="/tokenomics", tags=["tokenomics"])


# --- who may call ----------------------------------------------------------------------


def gate(key_scope: str | None, members: bool) -> Callable[[Request], Principal]:
    """The header check of a route: run by the edge before a body is read (ADR 0010)."""

    def check(request: Request) -> Principal:
        return identify(request, key_scope=key_scope, members=members)

    return check


def caller(check: Callable[[Request], Principal]) -> Callable[..., Awaitable[Principal]]:
    """A route's dependency: the caller the edge gate identified, or ``check`` now (a
    route without a body has no gate). Declares both credentials for OpenAPI.

    ``check`` is a ``gate`` (``identify``): whether it needs I/O is known from the
    credentials alone, so a member token checked with PEM keys runs on the event loop
    and anything else in the thread pool (ADR 0046).
    """

    async def dependency(request: Request, _bearer: Bearer, _key: HeaderKey) -> Principal:
        checked = gate_result(request)
        if isinstance(checked, Principal):
            return checked  # the edge identified the caller before reading the body
        if identify_needs_io(request):
            return await run_in_threadpool(check, request)
        return check(request)  # a signature check: no thread hop for it (ADR 0046)

    return dependency


Reader = Annotated[Principal, Depends(caller(gate(SCOPE_ADMIN_READ, members=True)))]
Statistician = Annotated[Principal, Depends(caller(gate(SCOPE_STATS_READ, members=False)))]
Administrator = Annotated[Principal, Depends(caller(gate(SCOPE_ADMIN_READ, members=False)))]

QUARTER_PATTERN = r"^([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-Q[1-4]$"
"""A quarter of a year from 1 on, as ``core.quarters.Quarter`` takes it (``2026-Q3``)."""


def query_quarter(text: str) -> Quarter:
    """The ``quarter`` query parameter as a Quarter, or a 422 naming ``query.quarter``.

    The pattern above refuses most bad text before a route runs; this is the one place a
    route turns what is left (a year the calendar cannot hold) into a refusal, so no
    quarter text reaches ``Quarter.parse`` unguarded and ends as a 500.
    """
    try:
        return Quarter.parse(text)
    except ValueError as error:
        raise RequestInvalid("query.quarter", str(error)) from None


# --- parameters ------------------------------------------------------------------------


def _iso_day(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` is a day: pydantic would read ``0`` as 1970-01-01 (a timestamp)."""
    if isinstance(value, str) and not re.fullmatch(ISO_DAY_PATTERN, value):
        raise ValueError("a UTC day is written YYYY-MM-DD")
    return value


IsoDay = Annotated[
    date,
    BeforeValidator(_iso_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": ISO_DAY_PATTERN}),
]

MemberQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=128,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="Required with an API key: the member to act for (without it the "
        "answer is 422 MemberParameterRequired naming query.member). With a member token: "
        "optional, and must be the token's own member (else 403).",
    ),
]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Chosen by the client, unique per operation: a retry with the same key "
        "returns the first successful answer and moves nothing again (same key, other "
        "content: 409). A refusal is not stored: retrying it is evaluated afresh.",
    ),
]


# --- answers ---------------------------------------------------------------------------


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of the error statuses a route can answer (one JSON shape)."""
    described = {
        401: "No credentials, or a token or key that is invalid, expired or revoked.",
        403: "Valid credentials without the right: a key without the scope, a member token "
        "on an admin endpoint, or a member naming another member.",
        404: "The member, service or week is unknown.",
        409: "Refused by the state of the accounts: insufficient funds, a frozen account, "
        "or an Idempotency-Key already used for other content.",
        413: "The request body is too large.",
        422: "A parameter or the body is invalid; `fields` names each refused field "
        "(query.member is required with an API key).",
        503: "A dependency is unavailable: the database cannot be reached or its schema "
        "is behind, or the platform's JWKS cannot be fetched.",
    }
    return {code: {"model": s.ErrorOut, "description": described[code]} for code in codes}


READ_ERRORS = errors(401, 403, 404, 422, 503)

PDF = "application/pdf"
JSON = "application/json"


def pdf_content(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of a 200 that is JSON or, negotiated, a PDF document."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": description, "content": {PDF: binary}}}


def prefers_pdf(accept: str | None) -> bool:
    """Whether an ``Accept`` header ranks ``application/pdf`` above JSON.

    The routes that answer either (the quarterly report, the weekly statement) share
    this one reading, so a client's header means the same on both. Each media range's
    ``q`` (default 1) counts; JSON's weight is the best of ``application/json``,
    ``application/*`` and ``*/*``. A tie, a missing or an unparsable header answer
    JSON, the API's default.
    """
    if not accept:
        return False
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)  # a header weight, not money
                except ValueError:
                    quality = 0.0
        media = media.lower()
        weights[media] = max(weights.get(media, 0.0), quality)
    pdf = weights.get(PDF, 0.0)
    json = max(weights.get(JSON, 0.0), weights.get("application/*", 0.0), weights.get("*/*", 0.0))
    return pdf > 0 and pdf > json


def pdf_response(document: bytes, filename: str) -> Response:
    """A PDF answer shown inline under ``filename``; ``Vary: Accept`` because the same
    URL answers JSON to other clients (caches must keep both)."""
    return Response(
        document,
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Vary": "Accept"},
    )


def money(units: int, scale: int) -> str:
    """An amount as the API writes it: a plain decimal with exactly ``scale`` decimals."""
    return format_amount(units, scale)


# --- keyed writes ----------------------------------------------------------------------


def first_answer(
    work: UnitOfWork, key_used: Callable[[Session], bool], operation: Callable[[Session], T]
) -> T:
    """Run a keyed write; a refusal defers to an answer the key got meanwhile.

    Two identical requests with one Idempotency-Key at the same moment: one posts, the
    other may be refused by what the first just did (its funds are gone). The refused
    one then finds the key used and replays it, so both answer the first answer. A
    refusal itself is not stored against the key (ADR 0010): retrying a refused request
    with the same key is evaluated afresh.
    """
    try:
        return work(operation)
    except IdempotencyConflict:
        raise
    except SystokError:
        if not work(key_used):
            raise
    return work(operation)


def counted(counter: Counter, answer: Callable[[], T], replayed: Callable[[T], bool]) -> T:
    """A keyed write's answer, counted by outcome: ``posted``, ``replayed`` or the name of
    the refusal (which is raised on)."""
    try:
        outcome = answer()
    except SystokError as error:
        counter.labels(outcome=error.error_name).inc()
        raise
    counter.labels(outcome="replayed" if replayed(outcome) else "posted").inc()
    return outcome
