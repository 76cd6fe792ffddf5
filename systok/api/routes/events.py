"""``POST /api/v1/events``: a batch of up to 10 000 events from a live source.

Each event is the file/HTTP format (``IncomingEvent``); each gets its own answer, in
input order: ``accepted``, ``duplicate`` (same ``source`` and ``id`` stored before, same
content), ``conflict`` (same ``source`` and ``id``, other content: the differing fields;
the stored event is kept) or ``rejected`` (quarantined: the field, the reason and the
quarantine row's id). A bad
event never fails the batch, so a client resends nothing that was accepted; only a
body that is not ``{"events": [...]}`` is a 422, and more than 10 000 events a 413.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from systok.access.schemas import ApiKeyInfo
from systok.api.auth import SCOPE_EVENTS_WRITE, require_scope
from systok.api.deps import AppPolicy, Work
from systok.api.edge import BodyGate, PayloadTooLarge
from systok.api.schemas import ErrorOut
from systok.config import Settings
from systok.ingest.collection import collection_paused
from systok.ingest.service import BatchResult, Ingestor, Outcome, RecordResult

BATCH_EVENTS_MAX = 10_000
EVENTS_WRITER = require_scope(SCOPE_EVENTS_WRITE)
BATCH_SOURCE = "http"
"""The label of HTTP batches in ``ingest_batches`` (each event keeps its own source)."""

router = APIRouter(tags=["events"])


class EventBatch(BaseModel):
    """The request body. Events are checked one by one by the ingestor, not here."""

    events: list[Any] = Field(description="IncomingEvent objects (source, id, type, …).")


def outcome_name(outcome: Outcome) -> str:
    """The API's word for an outcome: ``quarantined`` is ``rejected`` to a client."""
    return "rejected" if outcome is Outcome.QUARANTINED else outcome.value


def payload_bytes(event: Any) -> int:
    """Size of an event's ``payload`` as compact UTF-8 JSON (0 when it has none)."""
    if not isinstance(event, dict) or event.get("payload") is None:
        return 0
    try:
        text = json.dumps(event["payload"], ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return 0  # not JSON-able: the ingestor refuses it with its own reason
    return len(text.encode("utf-8", "surrogatepass"))


def refuse_large_payloads(events: list[Any], payload_max_bytes: int) -> None:
    """413 naming the first event whose payload passes ``payload_max_bytes``.

    The whole batch is refused rather than quarantining the event: a quarantine row
    would store the oversized payload, which is what the bound is there to prevent.
    When all payloads together fit (written as one JSON list, in one call instead of
    one per event), none passes and they are not measured one by one.
    """
    if _all_payloads_bytes(events) <= payload_max_bytes:
        return
    for index, event in enumerate(events):
        size = payload_bytes(event)
        if size > payload_max_bytes:
            field = f"body.events.{index}.payload"
            raise PayloadTooLarge(
                f"{field}: {size} bytes; an event's payload may hold at most "
                f"{payload_max_bytes} bytes (SYSTOK_EVENT_PAYLOAD_MAX_BYTES)",
                field=field,
            )


def _all_payloads_bytes(events: list[Any]) -> float:
    """An upper bound of every event's ``payload_bytes``: all payloads as one JSON list
    (infinite when that cannot be written, so each is then measured alone)."""
    payloads = [e.get("payload") if isinstance(e, dict) else None for e in events]
    try:
        text = json.dumps(payloads, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return float("inf")
    return len(text.encode("utf-8", "surrogatepass"))


def result_json(index: int, result: RecordResult) -> dict[str, Any]:
    """One event's answer (only the keys that apply)."""
    answer: dict[str, Any] = {
        "index": index,
        "outcome": outcome_name(result.outcome),
        "id": result.source_event_id,
    }
    if result.outcome is Outcome.QUARANTINED:
        answer |= {
            "field": result.field,
            "reason": result.reason,
            "quarantine_id": result.quarantine_id,
        }
    elif result.outcome is Outcome.CONFLICT:
        answer |= {
            "event_id": result.event_id,
            "fields": list(result.differing),
            "reason": result.reason,
            "quarantine_id": result.quarantine_id,
        }
    else:
        answer["event_id"] = result.event_id
    return answer


def batch_json(batch: BatchResult) -> dict[str, Any]:
    """Counts and per-event results of one ingestion call."""
    return {
        "received": len(batch.results),
        "accepted": batch.count(Outcome.ACCEPTED),
        "duplicate": batch.count(Outcome.DUPLICATE),
        "conflict": batch.count(Outcome.CONFLICT),
        "rejected": batch.count(Outcome.QUARANTINED),
        "results": [result_json(i, r) for i, r in enumerate(batch.results)],
    }


@router.post(
    "/events",
    response_model=dict[str, Any],
    responses={
        401: {"model": ErrorOut, "description": "No API key, or an unknown or revoked one."},
        403: {"model": ErrorOut, "description": "The key lacks the events:write scope."},
        413: {
            "model": ErrorOut,
            "description": "More than 10 000 events, a body above SYSTOK_REQUEST_BODY_MAX_BYTES "
            "(32 MiB by default), or an event payload above SYSTOK_EVENT_PAYLOAD_MAX_BYTES "
            "(256 KiB by default).",
        },
        422: {"model": ErrorOut, "description": 'The body is not {"events": [...]}.'},
    },
)
def post_events(
    request: Request,
    body: EventBatch,
    _key: Annotated[ApiKeyInfo, Depends(EVENTS_WRITER)],
    work: Work,
    policy: AppPolicy,
) -> Response:
    """Store a batch of live events; answer per event, in order."""
    if len(body.events) > BATCH_EVENTS_MAX:
        raise PayloadTooLarge(
            f"{len(body.events)} events in one request; at most {BATCH_EVENTS_MAX} "
            "(split the batch)"
        )
    settings: Settings = request.app.state.settings
    refuse_large_payloads(body.events, settings.event_payload_max_bytes)
    # A non-object element goes in as its JSON text, so the ingestor refuses it as "not
    # an object" (a bare string would otherwise be read as a JSON line).
    records = [e if isinstance(e, dict) else json.dumps(e) for e in body.events]
    # The collector paused through the answer too, which is as many objects as the
    # batch; the answer is written as JSON directly: FastAPI's generic encoding of
    # 10 000 per-event answers cost about as much as storing the events (ADR 0048).
    with collection_paused():
        batch = work(
            lambda session: Ingestor(session, policy=policy).ingest(
                records, source=BATCH_SOURCE, live=True
            )
        )
        return JSONResponse(batch_json(batch))


BODY_GATES = [BodyGate("POST", "/events", EVENTS_WRITER)]
"""Checked by the edge before a body is read (paths below the API prefix)."""
