"""``GET /tokenomics/transactions``: the member's ledger entries, with signed cursors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Annotated

from fastapi import Query, Request

from systok.api import schemas as s
from systok.api.deps import AppPolicy, Work
from systok.api.edge import FieldRefused
from systok.api.member_auth import acting_member
from systok.api.routes.common import (
    READ_ERRORS,
    IsoDay,
    MemberQuery,
    Reader,
    money,
    tokenomics_router,
)
from systok.core.amount import STK, UNITS_MAX
from systok.core.ledger import TransactionCode
from systok.core.times import us_to_iso
from systok.economy import service

PAGE_DEFAULT = 50
PAGE_MAX = 200
CURSOR_VERSION = b"\x02"
CURSOR_MAC_BYTES = 12
CURSOR_ID_BYTES = 8
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{28}$"
"""The shape of every cursor (21 bytes in unpadded base64url); only signed ones are valid."""

router = tokenomics_router()


class CursorInvalid(FieldRefused):
    """The ``cursor`` is not one this API handed out (or was signed by another key)."""


def cursor_key(request: Request) -> bytes:
    """The key that signs this app's cursors (``SYSTOK_CURSOR_SECRET``, else per process)."""
    key: bytes = request.app.state.cursor_key
    return key


def encode_cursor(transaction_id: int, key: bytes) -> str:
    """An opaque cursor: the last id of a page, signed so clients cannot build their own."""
    body = CURSOR_VERSION + transaction_id.to_bytes(CURSOR_ID_BYTES, "big")
    mac = hmac.new(key, body, hashlib.sha256).digest()[:CURSOR_MAC_BYTES]
    return base64.urlsafe_b64encode(body + mac).decode().rstrip("=")


def decode_cursor(cursor: str, key: bytes) -> int:
    """The id a cursor stands for; ``CursorInvalid`` for anything this API did not sign."""
    refused = CursorInvalid("query.cursor", "not a cursor from this API (pass next_cursor as is)")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise refused from None
    body, mac = raw[: 1 + CURSOR_ID_BYTES], raw[1 + CURSOR_ID_BYTES :]
    if len(raw) != 1 + CURSOR_ID_BYTES + CURSOR_MAC_BYTES or body[:1] != CURSOR_VERSION:
        raise refused
    expected = hmac.new(key, body, hashlib.sha256).digest()[:CURSOR_MAC_BYTES]
    if not hmac.compare_digest(expected, mac):
        raise refused
    transaction_id = int.from_bytes(body[1:], "big")
    if not 0 < transaction_id <= UNITS_MAX:
        raise refused
    return transaction_id


@router.get(
    "/transactions",
    response_model=s.TransactionsOut,
    responses=READ_ERRORS,
    summary="The member's ledger entries, newest first, cursor-paginated",
)
def get_transactions(  # noqa: PLR0917 - FastAPI passes query parameters by name
    request: Request,
    work: Work,
    policy: AppPolicy,
    principal: Reader,
    member: MemberQuery = None,
    code: Annotated[
        list[TransactionCode] | None, Query(description="Only these codes (repeatable).")
    ] = None,
    from_: Annotated[
        IsoDay | None, Query(alias="from", description="From this UTC day (YYYY-MM-DD).")
    ] = None,
    to: Annotated[
        IsoDay | None, Query(description="Up to and including this UTC day (YYYY-MM-DD).")
    ] = None,
    cursor: Annotated[
        str | None,
        Query(
            pattern=CURSOR_PATTERN,
            description="next_cursor of the previous page, as is: cursors are opaque and "
            "signed; anything else is a 422 naming query.cursor.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
) -> s.TransactionsOut:
    """Entries that touched the member's account; filter by code and by period."""
    member_id = acting_member(principal, member)
    before_id = decode_cursor(cursor, cursor_key(request)) if cursor is not None else None
    scale = policy.stk_scale
    lines = work(
        lambda session: service.ledger_lines(
            session,
            member_id,
            before_id=before_id,
            codes=[c.value for c in code or ()],
            first=from_,
            last=to,
            limit=limit + 1,
        )
    )
    page = lines[:limit]
    return s.TransactionsOut(
        member=member_id,
        asset=STK,
        scale=scale,
        items=[
            s.TransactionOut(
                id=line.transaction_id,
                time=us_to_iso(line.created_at_us),
                code=TransactionCode(line.code),
                reference=line.reference,
                amount=money(line.amount_units, scale),
            )
            for line in page
        ],
        next_cursor=(
            encode_cursor(page[-1].transaction_id, cursor_key(request))
            if len(lines) > limit
            else None
        ),
    )
