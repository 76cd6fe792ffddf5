"""The marketplace: buying a service from the policy's catalogue.

A purchase is one unit of work with two writes: one balanced ledger transaction (the
buyer pays the price; each role of the service's split receives its share) and the
entitlement that activates the service for the buyer for ``period_days``.

Rounding: each role's share is ``floor(price × bps / 10 000)`` and the remainder (a few
base units at most) goes to the service's ``remainder_to`` role (``split_by_bps``), so
the shares always sum to the price. Roles paid into the same account are merged into
one posting.

Concurrency: the ledger write locks the buyer's account row until the unit of work
ends, so two purchases by one member run one after the other — the second sees the
first's debit (no overdraft) and its entitlement (the new period starts where the last
one ends). A retry with the same Idempotency-Key returns the first purchase.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from systok.core.amount import STK, format_amount
from systok.core.ledger import (
    REFERENCE_LENGTH_MAX,
    AccountRef,
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
)
from systok.core.policy import Policy, Service
from systok.core.splits import split_by_bps
from systok.core.times import MICROS_PER_DAY, date_of_day, day_of_us
from systok.economy import repository as repo
from systok.economy.members import refuse_if_frozen, request_ledger_key, require_member
from systok.economy.schemas import PurchaseOutcome, SplitLine
from systok.errors import IdempotencyConflict, ServiceNotFound
from systok.ledger.service import Ledger
from systok.notify import service as notify
from systok.notify.schemas import MessageKind


def payee_account(service: Service, role: str) -> AccountRef:
    """The ledger account a role of a service is paid into.

    ``escrow`` keeps the share per service and role (owner ``<service>:<role>``) until the
    provider is named; ``member:<id>`` pays that member; any other type is a system
    account (``fund:treasury``).
    """
    target = service.payees[role]
    if target.startswith("member:"):
        return member_account(target.removeprefix("member:"), STK)
    account_type = AccountType(target)
    owner = f"{service.service_id}:{role}" if account_type is AccountType.ESCROW else ""
    return AccountRef(account_type, STK, owner)


def purchase_postings(service: Service, buyer_id: str) -> tuple[Posting, ...]:
    """The buyer's debit and each payee's credit (roles sharing an account merged)."""
    shares = split_by_bps(service.price, service.split_bps, service.remainder_to)
    credits: dict[AccountRef, int] = defaultdict(int)
    for role in sorted(shares):
        credits[payee_account(service, role)] += shares[role]
    buyer = member_account(buyer_id, STK)
    # A buyer who is a payee of their own purchase pays only the others' shares.
    paid = service.price - credits.pop(buyer, 0)
    lines = [Posting(buyer, -paid)] if paid else []
    lines += [Posting(ref, units) for ref, units in sorted(credits.items()) if units]
    return tuple(lines)


def split_lines(
    service: Service | None, postings: list[tuple[AccountRef, int]]
) -> tuple[SplitLine, ...]:
    """The credits of a purchase entry, named by role where the catalogue still says so."""
    roles: dict[str, str] = {}
    if service is not None:
        for role in sorted(service.payees):
            roles.setdefault(payee_account(service, role).name, role)
    return tuple(
        SplitLine(roles.get(ref.name), ref.name, amount)
        for ref, amount in sorted(postings, key=lambda line: line[0].name)
        if amount > 0
    )


def purchase(
    session: Session,
    policy: Policy,
    *,
    buyer_id: str,
    service_id: str,
    request_key: str,
    now_us: int,
) -> PurchaseOutcome:
    """Buy ``service_id`` for ``buyer_id``: pay by the split, then activate the service.

    Raises:
        ServiceNotFound, MemberNotFound, AccountFrozen, InsufficientFunds,
        IdempotencyConflict (the key was used for another service).
    """
    service = policy.services.get(service_id)
    if service is None:
        raise ServiceNotFound(
            f"no service {service_id!r} in the catalogue of policy {policy.version}"
        )
    existing = repo.entitlement_by_request(session, buyer_id, request_key)
    if existing is not None:
        return _replayed(session, policy, existing, service_id)
    buyer = require_member(session, buyer_id, STK)
    refuse_if_frozen(buyer, "buyer")
    postings = purchase_postings(service, buyer_id)
    transaction_id: int | None = None
    if len(postings) >= 2:
        entry = Ledger(session).post(
            TransactionDraft(
                code=TransactionCode.PURCHASE,
                idempotency_key=request_ledger_key("purchase", buyer_id, request_key),
                reference=f"purchase {service_id} by {buyer_id}"[:REFERENCE_LENGTH_MAX],
                postings=postings,
            )
        )
        if entry.replayed:  # the same request, committed by a concurrent retry meanwhile
            existing = repo.entitlement_by_request(session, buyer_id, request_key)
            assert existing is not None, "a purchase's entry and entitlement commit together"
            return _replayed(session, policy, existing, service_id)
        transaction_id = entry.transaction_id
    # The buyer's account is locked by the post above: no other purchase of theirs can
    # read the entitlement's end between here and the commit.
    last_end = repo.entitlement_end(session, buyer_id, service_id)
    starts_at_us = max(now_us, last_end or now_us)
    row = repo.insert_entitlement(
        session,
        member_id=buyer_id,
        service_id=service_id,
        request_key=request_key,
        policy_version=policy.version,
        price_units=service.price,
        transaction_id=transaction_id,
        starts_at_us=starts_at_us,
        ends_at_us=starts_at_us + service.period_days * MICROS_PER_DAY,
        created_at_us=now_us,
    )
    notify.enqueue(  # in this unit of work: told only if the purchase commits (ADR 0037)
        session,
        MessageKind.PURCHASE_CONFIRMED,
        buyer_id,
        event_key=f"purchase:{buyer_id}:{request_key}",
        params={
            "service": service.name,
            "price": format_amount(service.price, policy.stk_scale),
            "ends_on": date_of_day(day_of_us(row.ends_at_us)).isoformat(),
        },
        now_us=now_us,
    )
    return PurchaseOutcome(row, _split_of(session, service, row), replayed=False)


def _replayed(
    session: Session, policy: Policy, existing: Row[Any], service_id: str
) -> PurchaseOutcome:
    if existing.service_id != service_id:
        raise IdempotencyConflict(
            f"this Idempotency-Key bought {existing.service_id!r} already; "
            f"use a new key to buy {service_id!r}"
        )
    service = policy.services.get(service_id)
    return PurchaseOutcome(existing, _split_of(session, service, existing), replayed=True)


def _split_of(session: Session, service: Service | None, row: Row[Any]) -> tuple[SplitLine, ...]:
    if row.transaction_id is None:
        return ()
    return split_lines(service, repo.transaction_postings(session, row.transaction_id))
