"""``POST /api/v1/webhooks/discourse``: Discourse deliveries, signed with HMAC-SHA256.

The signature (``X-Discourse-Event-Signature: sha256=<hex>``) is checked over the raw
bytes before anything is parsed; a missing or wrong one, or no secret configured, is
401 and stores nothing, quarantine included (an unsigned body is not ours to keep).
No secret, or a header that is not ``sha256=`` and 64 hex digits, is refused before one
byte of the body is read (the edge gate, ADR 0010); the HMAC is then computed while the
body streams, under the request body limit. During a rotation (ADR 0014) a delivery
signed with the previous secret, ``SYSTOK_DISCOURSE_WEBHOOK_SECRET_PREVIOUS``, is
accepted too: both MACs are computed in the same pass over the body.
A delivery that earns nothing (ping, PM, whisper, self-like, …) is a 200 that says
why, so Discourse does not retry it. Retries carry a new ``X-Discourse-Event-Id``;
events are deduplicated on the payload's ids instead (see ``discourse_webhook``). A reply
to a topic as a whole reads the topic's author from Discourse's REST API when it is
configured (one short try; see ``discourse_topics.webhook_topic_lookup``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from systok.api.deps import AppPolicy, Work
from systok.api.edge import BodyGate, read_body
from systok.api.routes.events import batch_json
from systok.api.schemas import ErrorOut
from systok.clock import now_us
from systok.config import Settings
from systok.core.times import us_to_iso
from systok.errors import SystokError
from systok.ingest.service import Ingestor
from systok.ingest.sources.discourse_topics import webhook_topic_lookup
from systok.ingest.sources.discourse_webhook import map_webhook, parse_webhook_body

SIGNATURE_SCHEME = "sha256="
SIGNATURE_SHAPE = re.compile(r"sha256=[0-9a-fA-F]{64}")
WEBHOOK_SOURCE = "discourse"

router = APIRouter(tags=["webhooks"])
log = logging.getLogger(__name__)


class WebhookSignatureInvalid(SystokError):
    """The delivery is not signed with the configured secret (or no secret is set)."""

    status_code = 401


CURRENT = "current"
PREVIOUS = "previous"


def webhook_secrets(settings: Settings) -> dict[str, str]:
    """The secrets a delivery may be signed with: the current one, and during a rotation
    the previous one (``SYSTOK_DISCOURSE_WEBHOOK_SECRET_PREVIOUS``). Settings are read
    when the process starts: a rotation step takes a restart (docs/api.md)."""
    secrets = {CURRENT: settings.discourse_webhook_secret or ""}
    if settings.discourse_webhook_secret_previous:
        secrets[PREVIOUS] = settings.discourse_webhook_secret_previous
    return secrets


class BodySigner:
    """HMAC-SHA256 of the body under each accepted secret, fed chunk by chunk as it
    streams (one pass over the body, however many secrets)."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.macs = {
            name: hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
            for name, secret in secrets.items()
        }

    def update(self, chunk: bytes) -> None:
        for mac in self.macs.values():
            mac.update(chunk)

    def matching(self, expected_hex: str) -> str | None:
        """Which secret (``current``/``previous``) signed the body, or None.

        Every MAC is compared in constant time, all of them, whichever matches.
        """
        matches = [
            name
            for name, mac in self.macs.items()
            if hmac.compare_digest(mac.hexdigest(), expected_hex)
        ]
        return matches[0] if matches else None


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
    work: Work,
    policy: AppPolicy,
) -> dict[str, Any]:
    """Verify, map and store one Discourse delivery."""
    expected = signature_gate(request)  # again: cheap, and the route is callable alone
    settings: Settings = request.app.state.settings
    signer = BodySigner(webhook_secrets(settings))
    raw_body = await read_body(request, signer.update)
    matched = signer.matching(expected)
    if matched is None:
        raise WebhookSignatureInvalid("X-Discourse-Event-Signature does not match the body")
    if matched == PREVIOUS:
        log.warning(  # a warning: shown without any logging set up (the rotation's signal)
            "Discourse delivery signed with SYSTOK_DISCOURSE_WEBHOOK_SECRET_PREVIOUS: "
            "the webhook in Discourse still has the old secret"
        )
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
