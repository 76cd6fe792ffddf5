"""``POST /api/v1/webhooks/discourse``: Discourse deliveries, signed with HMAC-SHA256.

The signature (``X-Discourse-Event-Signature: sha256=<hex>``) is checked over the raw
bytes before anything is parsed; a missing or wrong one, or no secret configured, is
401 and stores nothing, quarantine included (an unsigned body is not ours to keep).
A delivery that earns nothing (ping, PM, whisper, self-like, …) is a 200 that says
why, so Discourse does not retry it. Retries carry a new ``X-Discourse-Event-Id``;
events are deduplicated on the payload's ids instead (see ``discourse_webhook``). A reply
to a topic as a whole reads the topic's author from Discourse's REST API when it is
configured (one short try; see ``discourse_topics.webhook_topic_lookup``).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from systok.api.app import UnitOfWork, app_policy, unit_of_work
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
WEBHOOK_SOURCE = "discourse"

router = APIRouter(tags=["webhooks"])


class WebhookSignatureInvalid(SystokError):
    """The delivery is not signed with the configured secret (or no secret is set)."""

    status_code = 401


def signature_valid(raw_body: bytes, header: str | None, secret: str) -> bool:
    """True when ``header`` is ``sha256=<hex HMAC-SHA256(secret, raw_body)>``."""
    if not header or not header.startswith(SIGNATURE_SCHEME):
        return False
    expected = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len(SIGNATURE_SCHEME) :].strip().lower())


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
    settings: Settings = request.app.state.settings
    raw_body = await request.body()
    secret = settings.discourse_webhook_secret
    if not secret:
        raise WebhookSignatureInvalid(
            "no Discourse webhook secret is configured (SYSTOK_DISCOURSE_WEBHOOK_SECRET); "
            "unsigned deliveries are refused"
        )
    if not signature_valid(raw_body, request.headers.get("x-discourse-event-signature"), secret):
        raise WebhookSignatureInvalid("X-Discourse-Event-Signature is missing or does not match")
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
