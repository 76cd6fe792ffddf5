"""``POST /api/v1/webhooks/discourse``: Discourse deliveries, signed with HMAC-SHA256.

The signature (``X-Discourse-Event-Signature: sha256=<hex>``) is checked over the raw
bytes before anything is parsed; a missing or wrong one, or no secret configured, is
401 and stores nothing, quarantine included (an unsigned body is not ours to keep).
No secret, or a header that is not ``sha256=`` and 64 hex digits, is refused before one
byte of the body is read (the edge gate, ADR 0010); the HMAC is then computed while the
body streams, under the request body limit.
A delivery that earns nothing (ping, PM, whisper, self-like, …) is a 200 that says
why, so Discourse does not retry it. Retries carry a new ``X-Discourse-Event-Id``;
events are deduplicated on the payload's ids instead (see ``discourse_webhook``). A reply
to a topic as a whole reads the topic's author from Discourse's REST API when it is
configured (one short try; see ``discourse_topics.webhook_topic_lookup``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from systok.api.app import UnitOfWork, app_policy, unit_of_work
from systok.api.edge import BodyGate, read_body
from systok.api.events import batch_json
from systok.api.schemas import ErrorOut
from systok.config import Settings
from systok.core.policy import Policy
from systok.core.times import us_to_iso
from systok.errors import SystokError
from systok.ingest.service import Ingestor, now_us
from systok.ingest.sources.discourse_topics import webhook_topic_lookup
from systok.ingest.sources.discourse_webhook import map_webhook, parse_webhook_body

SIGNATURE_SCHEME = "sha256="
SIGNATURE_SHAPE = re.compile(r"sha256=[0-9a-fA-F]{64}")
WEBHOOK_SOURCE = "discourse"

router = APIRouter(tags=["webhooks"])


class WebhookSignatureInvalid(SystokError):
    """The delivery is not signed with the configured secret (or no secret is set)."""

    status_code = 401


def signature_gate(request: Request) -> str:
    """Before the body is read: a secret is configured and the header looks like a signature.

    Returns the signature's hex digest (lower case), checked against the body later.
    """
    settings: Settings = request.app.state.settings
    if not settings.discourse_webhook_secret:
        raise WebhookSignatureInvalid(
            "no Discourse webhook secret is configured (SYSTOK_DISCOURSE_WEBHOOK_SECRET); "
            "unsigned deliveries are refused"
        )
    header = request.headers.get("x-discourse-event-signature", "").strip()
    if not SIGNATURE_SHAPE.fullmatch(header):
        raise WebhookSignatureInvalid(
            "X-Discourse-Event-Signature is missing or not sha256=<64 hex digits>"
        )
    return header[len(SIGNATURE_SCHEME) :].lower()


@router.post(
    "/webhooks/discourse",
    responses={
        401: {"model": ErrorOut, "description": "Unsigned, wrongly signed, or no secret set."},
        422: {"model": ErrorOut, "description": "A signed payload that cannot be mapped."},
    },
)
async def discourse_webhook(
    request: Request,
    work: UnitOfWork = Depends(unit_of_work),
    policy: Policy = Depends(app_policy),
) -> dict[str, Any]:
    """Verify, map and store one Discourse delivery."""
    expected = signature_gate(request)  # again: cheap, and the route is callable alone
    settings: Settings = request.app.state.settings
    secret = settings.discourse_webhook_secret or ""
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    raw_body = await read_body(request, mac.update)
    if not hmac.compare_digest(mac.hexdigest(), expected):
        raise WebhookSignatureInvalid("X-Discourse-Event-Signature does not match the body")
    body = parse_webhook_body(raw_body)
    event_name = request.headers.get("x-discourse-event")
    mapping = await run_in_threadpool(  # a topic-level reply may read its topic's author
        partial(
            map_webhook,
            event_name,
            body,
            delivered_at=us_to_iso(now_us()),
            topic_of=webhook_topic_lookup(settings),
        )
    )
    answer: dict[str, Any] = {"event": event_name or "ping", "ignored": mapping.ignored}
    if not mapping.records:
        return answer | {
            "received": 0,
            "accepted": 0,
            "duplicate": 0,
            "conflict": 0,
            "rejected": 0,
            "results": [],
        }
    batch = await run_in_threadpool(
        work,
        lambda session: Ingestor(session, policy=policy).ingest(
            mapping.records, source=WEBHOOK_SOURCE, live=True
        ),
    )
    return answer | batch_json(batch)


BODY_GATES = [BodyGate("POST", "/webhooks/discourse", signature_gate)]
"""Checked by the edge before a body is read (paths below the API prefix)."""
