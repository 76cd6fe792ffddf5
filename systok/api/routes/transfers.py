"""``POST /tokenomics/transfer``: a member sends STK to another; the policy's fee on top."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends

from systok.api import schemas as s
from systok.api.auth import SCOPE_TRANSFERS_WRITE
from systok.api.deps import AppPolicy, Metrics, UnitOfWork, Work
from systok.api.edge import BodyGate, RequestInvalid
from systok.api.member_auth import Principal, acting_member
from systok.api.routes.common import (
    IdempotencyKey,
    MemberQuery,
    caller,
    counted,
    errors,
    first_answer,
    gate,
    money,
    tokenomics_router,
)
from systok.clock import now_us
from systok.core.amount import STK, AmountError, parse_amount
from systok.core.policy import Policy
from systok.economy import service
from systok.economy.transfer_statement import send_transfer_in_one_statement
from systok.economy.transfers import TransferOutcome, send_transfer
from systok.errors import RecipientIneligible, RecipientUnknown, SelfTransfer, SystokError

SENDER_GATE = gate(SCOPE_TRANSFERS_WRITE, members=True)
Sender = Annotated[Principal, Depends(caller(SENDER_GATE))]

router = tokenomics_router()


def amount_pattern(scale: int) -> str:
    """The regex of a transfer amount at ``scale``: positive, plain, at most ``scale``
    decimals, below 10^(18 − scale) (so its base units fit a signed 64-bit column).

    The OpenAPI schema states it (``create_app`` puts it on ``TransferIn.amount``) and the
    route enforces it, so the schema and the answers agree.
    """
    whole = rf"[1-9][0-9]{{0,{17 - scale}}}"
    if scale == 0:
        return rf"^{whole}$"
    fractions = "|".join(
        "0" * zeros + "[1-9]" + (rf"[0-9]{{0,{scale - zeros - 1}}}" if scale - zeros > 1 else "")
        for zeros in range(scale)
    )
    return rf"^({whole}(\.[0-9]{{1,{scale}}})?|0\.({fractions}))$"


def transfer_amount_units(text: str, scale: int) -> int:
    """Base units of a transfer's ``amount``, or a 422 naming ``body.amount``."""
    if not re.fullmatch(amount_pattern(scale), text):
        try:
            units = parse_amount(text, scale)
        except AmountError as error:
            raise RequestInvalid("body.amount", str(error)) from None
        if units <= 0:
            raise RequestInvalid("body.amount", f"amount {text!r} must be positive")
        raise RequestInvalid(
            "body.amount", f"amount {text!r} does not match {amount_pattern(scale)}"
        )
    return parse_amount(text, scale)


RECIPIENT_REFUSALS = (SelfTransfer, RecipientUnknown, RecipientIneligible)
"""Refusals about the body's ``to``: rendered with ``fields`` naming ``body.to``."""


def name_field(error: SystokError, field: str) -> None:
    """Let a domain refusal name the request field it is about (``fields`` in the answer)."""
    setattr(error, "field", field)  # noqa: B010 - the renderer reads it with getattr
    setattr(error, "reason", error.message)  # noqa: B010


@router.post(
    "/transfer",
    response_model=s.TransferOut,
    responses=errors(401, 403, 404, 409, 413, 422, 503),
    summary="Send STK to another member; the policy's fee is paid on top",
)
def post_transfer(  # noqa: PLR0917 - FastAPI passes parameters by name
    body: s.TransferIn,
    idempotency_key: IdempotencyKey,
    work: Work,
    policy: AppPolicy,
    metrics: Metrics,
    principal: Sender,
    member: MemberQuery = None,
) -> s.TransferOut:
    """One balanced transaction: sender −(amount + fee), recipient +amount, fee account +fee.

    Refusals name their reason: ``SelfTransfer``, ``RecipientUnknown``,
    ``RecipientIneligible`` (no paid membership), ``AccountFrozen``,
    ``InsufficientFunds``, ``IdempotencyConflict`` (the key was used for another
    transfer).
    """
    sender_id = acting_member(principal, member)
    scale = policy.stk_scale
    amount_units = transfer_amount_units(body.amount, scale)
    try:
        outcome = counted(
            metrics.transfers,
            lambda: answer_transfer(
                work,
                policy,
                sender_id=sender_id,
                recipient_id=body.to,
                amount_units=amount_units,
                request_key=idempotency_key,
            ),
            lambda answer: answer.entry.replayed,
        )
    except RECIPIENT_REFUSALS as error:
        name_field(error, "body.to")
        raise
    return s.TransferOut(
        transaction_id=outcome.entry.transaction_id,
        from_=sender_id,
        to=body.to,
        asset=STK,
        amount=money(outcome.amount_units, scale),
        fee=money(outcome.fee_units, scale),
        debited=money(outcome.amount_units + outcome.fee_units, scale),
        replayed=outcome.entry.replayed,
    )


def answer_transfer(
    work: UnitOfWork,
    policy: Policy,
    *,
    sender_id: str,
    recipient_id: str,
    amount_units: int,
    request_key: str,
) -> TransferOutcome:
    """What the route answers a transfer request (``bench/ledger.py`` measures this).

    On PostgreSQL a request that posts or replays is one autocommit statement (ADR 0045);
    everything else, and SQLite always, runs ``send_transfer`` in a unit of work, where
    every refusal is raised and a refused request defers to an answer its key got.
    """
    at_us = now_us()
    done = send_transfer_in_one_statement(
        work.engine,
        policy,
        sender_id=sender_id,
        recipient_id=recipient_id,
        amount_units=amount_units,
        request_key=request_key,
        now_us=at_us,
    )
    if done is not None:
        return done
    return first_answer(
        work,
        lambda session: service.transfer_key_used(session, sender_id, request_key),
        lambda session: send_transfer(
            session,
            policy,
            sender_id=sender_id,
            recipient_id=recipient_id,
            amount_units=amount_units,
            request_key=request_key,
            now_us=at_us,
        ),
    )


BODY_GATES = [BodyGate("POST", "/tokenomics/transfer", SENDER_GATE)]
"""Checked by the edge before a body is read (paths below the API prefix)."""
