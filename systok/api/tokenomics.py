"""``/api/v1/tokenomics``: the member cabinet's and the admins' API (SPEC §11).

Members call with the platform's JWT and see only their own data; API keys with a
scope act for the member named by ``?member=`` or read the statistics
(``member_auth``). Every endpoint is one unit of work; a write is one balanced ledger
transaction, so a refused request changes nothing.

| endpoint | member token | API key scope |
|---|---|---|
| GET balance, balance/history, transactions, rewards, rewards/weekly | own data | admin:read |
| POST transfer | own tokens | transfers:write |
| POST services/{id}/purchase | own tokens | purchases:write |
| GET services | anyone, no credentials needed | |
| GET stats/supply, stats/distribution | 403 | stats:read |
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import date
from fractions import Fraction
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BeforeValidator, WithJsonSchema
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok import clock
from systok.accrual import repository as accrual_repo
from systok.accrual.explain import explain_reward
from systok.accrual.service import STAGES
from systok.api import schemas as s
from systok.api.app import RequestInvalid, api_metrics
from systok.api.auth import (
    SCOPE_ADMIN_READ,
    SCOPE_PURCHASES_WRITE,
    SCOPE_STATS_READ,
    SCOPE_TRANSFERS_WRITE,
)
from systok.api.edge import BodyGate, FieldRefused, gate_result
from systok.api.member_auth import Principal, acting_member, identify
from systok.clock import now_us
from systok.core.amount import (
    BASIS_POINTS_WHOLE,
    STK,
    UNITS_MAX,
    AmountError,
    format_amount,
    parse_amount,
)
from systok.core.ledger import AccountType, TransactionCode
from systok.core.policy import Policy
from systok.core.times import MICROS_PER_DAY, us_to_iso
from systok.core.weeks import IsoWeek
from systok.db.engine import run_transaction
from systok.economy import repository as repo
from systok.economy.marketplace import purchase
from systok.economy.members import request_ledger_key, require_member
from systok.economy.transfers import (
    RecipientIneligible,
    RecipientUnknown,
    SelfTransfer,
    send_transfer,
)
from systok.errors import IdempotencyConflict, SystokError
from systok.ledger import repository as ledger_repo
from systok.policy_files import load_policy

T = TypeVar("T")
HISTORY_DAYS_DEFAULT = 30
HISTORY_DAYS_MAX = 366
PAGE_DEFAULT = 50
PAGE_MAX = 200
REWARD_WEEKS_DEFAULT = 52
REWARD_WEEKS_MAX = 520
CURSOR_VERSION = b"\x02"
CURSOR_MAC_BYTES = 12
CURSOR_ID_BYTES = 8
ISO_DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{28}$"
"""The shape of every cursor (21 bytes in unpadded base64url); only signed ones are valid."""
WEEK_PATTERN = r"^[1-9][0-9]{3}-W(0[1-9]|[1-4][0-9]|5[0-3])$"
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

router = APIRouter(prefix="/tokenomics", tags=["tokenomics"])

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


class CursorInvalid(FieldRefused):
    """The ``cursor`` is not one this API handed out (or was signed by another key)."""


class RewardNotFound(SystokError):
    """The member has no reward in that week (no run yet, or no counted events)."""

    status_code = 404


# --- who may call ----------------------------------------------------------------------


def _gate(key_scope: str | None, members: bool) -> Callable[[Request], Principal]:
    """The header check of a route: run by the edge before a body is read (ADR 0010)."""

    def check(request: Request) -> Principal:
        return identify(request, key_scope=key_scope, members=members)

    return check


def caller(check: Callable[[Request], Principal]) -> Callable[..., Principal]:
    """A route's dependency: the caller the edge gate identified, or ``check`` now (a
    route without a body has no gate). Declares both credentials for OpenAPI."""

    def dependency(request: Request, _bearer: Bearer, _key: HeaderKey) -> Principal:
        checked = gate_result(request)
        if isinstance(checked, Principal):
            return checked  # the edge identified the caller before reading the body
        return check(request)

    return dependency


def _caller(key_scope: str | None, members: bool) -> Callable[..., Principal]:
    return caller(_gate(key_scope, members))


SENDER_GATE = _gate(SCOPE_TRANSFERS_WRITE, members=True)
BUYER_GATE = _gate(SCOPE_PURCHASES_WRITE, members=True)


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


Reader = Annotated[Principal, Depends(_caller(SCOPE_ADMIN_READ, members=True))]
Sender = Annotated[Principal, Depends(_caller(SCOPE_TRANSFERS_WRITE, members=True))]
Buyer = Annotated[Principal, Depends(_caller(SCOPE_PURCHASES_WRITE, members=True))]
Statistician = Annotated[Principal, Depends(_caller(SCOPE_STATS_READ, members=False))]

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


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
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
        503: "A dependency is unavailable (the platform's JWKS).",
    }
    return {code: {"model": s.ErrorOut, "description": described[code]} for code in codes}


READ_ERRORS = _errors(401, 403, 404, 422, 503)


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _policy(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


def _money(units: int, scale: int) -> str:
    return format_amount(units, scale)


def _day_number(day: date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def _status(stage: str) -> Literal["paid", "pending"]:
    return "paid" if STAGES.index(stage) > STAGES.index("post") else "pending"


# --- balance, history, transactions ----------------------------------------------------


@router.get(
    "/balance",
    response_model=s.BalanceOut,
    responses=READ_ERRORS,
    summary="The member's balance: available, held, vesting, staked",
)
def get_balance(request: Request, principal: Reader, member: MemberQuery = None) -> s.BalanceOut:
    """Spendable now (``available``), reserved (``held``), frozen by vesting (``vesting``)."""
    member_id = acting_member(principal, member)
    scale = _policy(request).stk_scale
    state = run_transaction(_engine(request), lambda session: require_member(session, member_id))
    return s.BalanceOut(
        member=member_id,
        asset=STK,
        scale=scale,
        available=_money(state.available_units, scale),
        held=_money(state.held_units, scale),
        vesting=_money(state.vesting_units, scale),
        staked=_money(0, scale),
        posted=_money(state.posted_units, scale),
        frozen=state.frozen_reason is not None,
    )


@router.get(
    "/balance/history",
    response_model=s.HistoryOut,
    responses=READ_ERRORS,
    summary="Closing balance per UTC day with movement",
)
def get_balance_history(
    request: Request,
    principal: Reader,
    member: MemberQuery = None,
    from_: Annotated[
        IsoDay | None,
        Query(
            alias="from",
            description="First UTC day, YYYY-MM-DD (default: to − 29 days). At most 366 days "
            "from `from` to `to` inclusive, and not after `to` (else 422 naming query.from).",
        ),
    ] = None,
    to: Annotated[
        IsoDay | None,
        Query(description="Last UTC day, YYYY-MM-DD (default: today)."),
    ] = None,
) -> s.HistoryOut:
    """The posted balance at the end of each day with movement, at most 366 days per request
    (``from`` after ``to``, or a longer range, is a 422 naming ``query.from``)."""
    member_id = acting_member(principal, member)
    last = to or clock.now().date()
    first = from_ or date.fromordinal(max(1, last.toordinal() - (HISTORY_DAYS_DEFAULT - 1)))
    if first > last:
        raise RequestInvalid("query.from", f"{first} is after to ({last})")
    if (last - first).days >= HISTORY_DAYS_MAX:
        raise RequestInvalid("query.from", f"at most {HISTORY_DAYS_MAX} days per request")
    from_us = _day_number(first) * MICROS_PER_DAY
    to_us = (_day_number(last) + 1) * MICROS_PER_DAY
    scale = _policy(request).stk_scale

    def read(session: Session) -> tuple[int, list[tuple[int, int, int]]]:
        state = require_member(session, member_id)
        if state.account_id is None:
            return 0, []
        opening = repo.balance_before(session, state.account_id, from_us)
        return opening, repo.daily_changes(session, state.account_id, from_us, to_us)

    opening, changes = run_transaction(_engine(request), read, snapshot=True)
    balance = opening
    days = []
    for day, change, count in changes:
        balance += change
        days.append(
            s.HistoryPoint(
                day=date.fromordinal(day + _EPOCH_ORDINAL),
                change=_money(change, scale),
                balance=_money(balance, scale),
                transactions=count,
            )
        )
    return s.HistoryOut(
        member=member_id,
        asset=STK,
        scale=scale,
        from_=first,
        to=last,
        opening=_money(opening, scale),
        closing=_money(balance, scale),
        days=days,
    )


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
    from_us = _day_number(from_) * MICROS_PER_DAY if from_ is not None else None
    to_us = (_day_number(to) + 1) * MICROS_PER_DAY if to is not None else None
    scale = _policy(request).stk_scale

    def read(session: Session) -> list[Any]:
        state = require_member(session, member_id)
        if state.account_id is None:
            return []
        return repo.account_transactions(
            session,
            state.account_id,
            before_id=before_id,
            codes=[c.value for c in code or ()],
            from_us=from_us,
            to_us=to_us,
            limit=limit + 1,
        )

    rows = run_transaction(_engine(request), read)
    page = rows[:limit]
    return s.TransactionsOut(
        member=member_id,
        asset=STK,
        scale=scale,
        items=[
            s.TransactionOut(
                id=row.id,
                time=us_to_iso(row.created_at_us),
                code=TransactionCode(row.code),
                reference=row.reference,
                amount=_money(row.amount_units, scale),
            )
            for row in page
        ],
        next_cursor=(
            encode_cursor(page[-1].id, cursor_key(request)) if len(rows) > limit else None
        ),
    )


# --- transfers -------------------------------------------------------------------------


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


def first_answer(
    engine: Engine, key_used: Callable[[Session], bool], operation: Callable[[Session], T]
) -> T:
    """Run a keyed write; a refusal defers to an answer the key got meanwhile.

    Two identical requests with one Idempotency-Key at the same moment: one posts, the
    other may be refused by what the first just did (its funds are gone). The refused
    one then finds the key used and replays it, so both answer the first answer. A
    refusal itself is not stored against the key (ADR 0010): retrying a refused request
    with the same key is evaluated afresh.
    """
    try:
        return run_transaction(engine, operation)
    except IdempotencyConflict:
        raise
    except SystokError:
        if not run_transaction(engine, key_used):
            raise
    return run_transaction(engine, operation)


@router.post(
    "/transfer",
    response_model=s.TransferOut,
    responses=_errors(401, 403, 404, 409, 413, 422, 503),
    summary="Send STK to another member; the policy's fee is paid on top",
)
def post_transfer(
    request: Request,
    body: s.TransferIn,
    idempotency_key: IdempotencyKey,
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
    policy = _policy(request)
    scale = policy.stk_scale
    amount_units = transfer_amount_units(body.amount, scale)
    metrics = api_metrics(request)
    ledger_key = request_ledger_key("transfer", sender_id, idempotency_key)
    try:
        outcome = first_answer(
            _engine(request),
            lambda session: ledger_repo.find_entry(session, idempotency_key=ledger_key) is not None,
            lambda session: send_transfer(
                session,
                policy,
                sender_id=sender_id,
                recipient_id=body.to,
                amount_units=amount_units,
                request_key=idempotency_key,
                now_us=now_us(),
            ),
        )
    except SystokError as error:
        metrics.transfers.labels(outcome=error.error_name).inc()
        if isinstance(error, RECIPIENT_REFUSALS):
            name_field(error, "body.to")
        raise
    metrics.transfers.labels(outcome="replayed" if outcome.entry.replayed else "posted").inc()
    return s.TransferOut(
        transaction_id=outcome.entry.transaction_id,
        from_=sender_id,
        to=body.to,
        asset=STK,
        amount=_money(outcome.amount_units, scale),
        fee=_money(outcome.fee_units, scale),
        debited=_money(outcome.amount_units + outcome.fee_units, scale),
        replayed=outcome.entry.replayed,
    )


# --- rewards ---------------------------------------------------------------------------


@router.get(
    "/rewards",
    response_model=s.RewardsOut,
    responses=READ_ERRORS,
    summary="The member's weekly rewards, newest first",
)
def get_rewards(
    request: Request,
    principal: Reader,
    member: MemberQuery = None,
    limit: Annotated[int, Query(ge=1, le=REWARD_WEEKS_MAX)] = REWARD_WEEKS_DEFAULT,
) -> s.RewardsOut:
    """Each scored week: points, tokens earned and paid, later corrections."""
    member_id = acting_member(principal, member)
    scale = _policy(request).stk_scale

    def read(session: Session) -> list[Any]:
        require_member(session, member_id)
        return repo.member_rewards(session, member_id, limit)

    rows = run_transaction(_engine(request), read)
    return s.RewardsOut(
        member=member_id,
        asset=STK,
        scale=scale,
        items=[
            s.RewardOut(
                week=row.week,
                policy_version=row.policy_version,
                status=_status(row.stage),
                points=row.points,
                amount=_money(row.units, scale),
                paid=_money(row.paid_units, scale),
                adjusted=_money(int(row.adjusted_units), scale),
            )
            for row in rows
        ],
    )


@router.get(
    "/rewards/weekly",
    response_model=s.WeeklyRewardOut,
    responses=READ_ERRORS,
    summary="Why the member got exactly this much in one week (the breakdown)",
)
def get_weekly_reward(
    request: Request,
    principal: Reader,
    week: Annotated[
        str,
        Query(
            pattern=WEEK_PATTERN,
            description="ISO week, e.g. 2026-W46 (W53 only in years that have one, else 422).",
        ),
    ],
    member: MemberQuery = None,
) -> s.WeeklyRewardOut:
    """The reward with its breakdown, re-scored by the reference scorer from what the run
    collected (ADR 0009); ``breakdown.matches_stored`` is false if the events or the
    reward changed since. The PDF comes with the reports issue."""
    member_id = acting_member(principal, member)
    try:
        iso_week = str(IsoWeek.parse(week))
    except ValueError as error:
        raise RequestInvalid("query.week", str(error)) from None
    scale = _policy(request).stk_scale

    def read(session: Session) -> tuple[Any, list[Any], dict[str, Any]]:
        require_member(session, member_id)
        row = repo.member_week_reward(session, member_id, iso_week)
        if row is None:
            raise RewardNotFound(
                f"{member_id} has no reward in {iso_week} (not run yet, or no counted events)"
            )
        run = accrual_repo.get_run(session, row.run_id)
        explained = explain_reward(session, load_policy(row.policy_version), run, member_id)
        assert explained is not None, "the reward row was just read"
        return row, repo.week_adjustments(session, member_id, iso_week), explained.as_json()

    row, adjustments, breakdown = run_transaction(_engine(request), read, snapshot=True)
    return s.WeeklyRewardOut(
        member=member_id,
        week=row.week,
        asset=STK,
        scale=scale,
        policy_version=row.policy_version,
        policy_hash=row.policy_hash,
        status=_status(row.stage),
        points=row.points,
        amount=_money(row.units, scale),
        paid=_money(row.paid_units, scale),
        prorata=row.prorata,
        breakdown=breakdown,
        adjustments=[
            s.AdjustmentOut(
                paid_in_week=a.paid_in_week,
                delta=_money(a.delta_units, scale),
                points_after=a.points_after,
                amount_after=_money(a.units_after, scale),
            )
            for a in adjustments
        ],
    )


# --- marketplace -----------------------------------------------------------------------


@router.get(
    "/services",
    response_model=s.ServicesOut,
    summary="The marketplace catalogue of the policy in force (public)",
)
def get_services(request: Request) -> s.ServicesOut:
    """Services with price, period and split; open rules need no credentials."""
    policy = _policy(request)
    scale = policy.stk_scale
    return s.ServicesOut(
        policy_version=policy.version,
        asset=STK,
        scale=scale,
        items=[
            s.ServiceOut(
                id=service.service_id,
                name=service.name,
                price=_money(service.price, scale),
                period_days=service.period_days,
                split=[
                    s.ServiceShareOut(role=role, share_bps=bps, payee=service.payees[role])
                    for role, bps in sorted(service.split_bps.items())
                ],
                remainder_to=service.remainder_to,
            )
            for service in sorted(policy.services.values(), key=lambda v: v.service_id)
        ],
    )


@router.post(
    "/services/{service_id}/purchase",
    response_model=s.PurchaseOut,
    responses=_errors(401, 403, 404, 409, 422, 503),
    summary="Buy a service: pay by its split, activate it for its period",
)
def post_purchase(
    request: Request,
    service_id: Annotated[str, Path(max_length=64, description="A service id of GET services.")],
    idempotency_key: IdempotencyKey,
    principal: Buyer,
    member: MemberQuery = None,
) -> s.PurchaseOut:
    """One balanced transaction (buyer −price, each role +share) and the entitlement.

    Buying an active service again extends it: the new period starts where the last
    one ends.
    """
    buyer_id = acting_member(principal, member)
    policy = _policy(request)
    scale = policy.stk_scale
    metrics = api_metrics(request)
    try:
        outcome = first_answer(
            _engine(request),
            lambda session: (
                repo.entitlement_by_request(session, buyer_id, idempotency_key) is not None
            ),
            lambda session: purchase(
                session,
                policy,
                buyer_id=buyer_id,
                service_id=service_id,
                request_key=idempotency_key,
                now_us=now_us(),
            ),
        )
    except SystokError as error:
        metrics.purchases.labels(outcome=error.error_name).inc()
        raise
    metrics.purchases.labels(outcome="replayed" if outcome.replayed else "posted").inc()
    row = outcome.entitlement
    return s.PurchaseOut(
        member=buyer_id,
        asset=STK,
        transaction_id=row.transaction_id,
        entitlement=s.EntitlementOut(
            id=row.id,
            service=row.service_id,
            starts_at=us_to_iso(row.starts_at_us),
            ends_at=us_to_iso(row.ends_at_us),
            price=_money(row.price_units, scale),
            policy_version=row.policy_version,
        ),
        split=[
            s.SplitLineOut(
                role=line.role, account=line.account, amount=_money(line.amount_units, scale)
            )
            for line in outcome.split
        ],
        replayed=outcome.replayed,
    )


# --- admin statistics ------------------------------------------------------------------


@router.get(
    "/stats/supply",
    response_model=s.SupplyOut,
    responses=_errors(401, 403, 503),
    summary="Issued, burned and circulating supply; balances by account type",
)
def get_supply(request: Request, _principal: Statistician) -> s.SupplyOut:
    """Supply = −balance(world) − burned, with where every token sits."""
    scale = _policy(request).stk_scale
    rows = run_transaction(
        _engine(request), lambda session: repo.balances_by_type(session, STK), snapshot=True
    )
    by_type = {row.type: row for row in rows}

    def posted(account_type: AccountType) -> int:
        row = by_type.get(account_type.value)
        return int(row.posted_units) if row is not None else 0

    members = by_type.get(AccountType.MEMBER.value)
    circulating = int(members.posted_units) - int(members.held_units) if members else 0
    issued = -posted(AccountType.WORLD)
    burned = posted(AccountType.BURN)
    return s.SupplyOut(
        asset=STK,
        scale=scale,
        issued=_money(issued, scale),
        burned=_money(burned, scale),
        supply=_money(issued - burned, scale),
        circulating=_money(circulating, scale),
        frozen=_money(sum(int(row.held_units) for row in rows), scale),
        by_type=[
            s.AccountTypeTotal(
                type=row.type,
                accounts=int(row.accounts),
                posted=_money(int(row.posted_units), scale),
                held=_money(int(row.held_units), scale),
            )
            for row in rows
        ],
    )


def gini_text(balances: list[int]) -> str:
    """The Gini coefficient of ascending positive balances, floored to 6 decimals.

    ``G = (2 Σ i·xᵢ − (n + 1) Σ xᵢ) / (n Σ xᵢ)`` with ``i`` from 1, computed exactly
    (``Fraction``); rounding: floor, named here because it is a division.
    """
    n, total = len(balances), sum(balances)
    if n == 0 or total == 0:
        return "0.000000"
    weighted = sum(i * x for i, x in enumerate(balances, start=1))
    gini = Fraction(2 * weighted - (n + 1) * total, n * total)
    micro = gini.numerator * 10**6 // gini.denominator
    return f"{micro // 10**6}.{micro % 10**6:06d}"


def nearest_rank(balances: list[int], percent: int) -> int:
    """The nearest-rank percentile of ascending balances (0 when there are none)."""
    if not balances:
        return 0
    rank = -(-percent * len(balances) // 100)  # ceil without floats
    return balances[max(rank, 1) - 1]


@router.get(
    "/stats/distribution",
    response_model=s.DistributionOut,
    responses=_errors(401, 403, 503),
    summary="How member balances are spread: Gini, percentiles, top holders (anonymised)",
)
def get_distribution(request: Request, _principal: Statistician) -> s.DistributionOut:
    """Anonymised: holders are ranks, never ids; top list length from the policy."""
    policy = _policy(request)
    scale = policy.stk_scale
    balances = run_transaction(
        _engine(request), lambda session: repo.member_balances(session, STK), snapshot=True
    )
    total = sum(balances)
    top = list(reversed(balances[-policy.reports.top_holders_count :]))
    edges = [10 ** (scale + k) for k in range(7)]  # 1, 10, …, 1 000 000 STK
    lows = [0, *edges]
    buckets = []
    for index, low in enumerate(lows):
        high = lows[index + 1] if index + 1 < len(lows) else None
        first = bisect.bisect_left(balances, low)
        last = bisect.bisect_left(balances, high) if high is not None else len(balances)
        buckets.append(
            s.Bucket(
                low=_money(low, scale),
                high=_money(high, scale) if high is not None else None,
                holders=last - first,
                amount=_money(sum(balances[first:last]), scale),
            )
        )
    return s.DistributionOut(
        asset=STK,
        scale=scale,
        holders=len(balances),
        total=_money(total, scale),
        median=_money(nearest_rank(balances, 50), scale),
        p90=_money(nearest_rank(balances, 90), scale),
        p99=_money(nearest_rank(balances, 99), scale),
        gini=gini_text(balances),
        top=[
            s.TopHolder(
                rank=rank,
                amount=_money(units, scale),
                share_bps=units * BASIS_POINTS_WHOLE // total if total else 0,
            )
            for rank, units in enumerate(top, start=1)
        ],
        buckets=buckets,
    )


BODY_GATES = [
    BodyGate("POST", "/tokenomics/transfer", SENDER_GATE),
    BodyGate("POST", "/tokenomics/services/{service_id}/purchase", BUYER_GATE),
]
"""Checked by the edge before a body is read (paths below the API prefix)."""
