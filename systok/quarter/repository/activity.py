"""Members' last activity at a quarter's close, read from the ledger and the events
(ADR 0027; the definition is docs/quarter.md §4).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from systok.core.ledger import AccountType, TransactionCode
from systok.core.times import day_of_us
from systok.db.kit import (
    accounts_t,
    day_counts_t,
    entitlements_t,
    events_t,
    members_t,
    postings_t,
    sale_purchases_t,
    transactions_t,
    wallets_t,
)

# --- activity (ADR 0027) ----------------------------------------------------------------


def last_activity_days(
    session: Session,
    members: Iterable[str],
    asset: str,
    last_day: int,
    end_us: int,
    *,
    known_at_us: int | None = None,
) -> dict[str, int]:
    """The last day (UTC day number) each member was active, up to a quarter's close.

    Activity is defined once, here (ADR 0027, docs/quarter.md "Activity"): a day on which
    the member had a counted event (``event_day_counts`` with ``count > 0``), or started
    an action — sent a transfer or sold in a buyback (the debited member of a
    ``transfer`` or ``buyback`` entry), bought on the marketplace (an entitlement),
    bought in the initial sale (a purchase; ADR 0041), or linked a wallet. Staking and
    voting do not exist yet; they join the definition when they land. Only days up to
    ``last_day`` and times before ``end_us`` (the close) count. A member with no activity at all is
    treated as active on their first-known day: the member row's ``created_at_us``
    (when ingestion first knew them), else, for an account owner with no member row, the
    day their custodial account opened.
    Members with no known day at all are left out of the answer.

    ``known_at_us`` (``verify quarter``): count events from the raw events as they
    stood then (received by it, not retracted by it) instead of the live day counts,
    so an event that arrived or was retracted after the snapshot does not move it.
    """
    wanted = set(members)
    last: dict[str, int] = {}

    def seen(member_id: str, day: int) -> None:
        if member_id in wanted and day > last.get(member_id, day - 1):
            last[member_id] = day

    counted = (
        select(day_counts_t.c.member_id, func.max(day_counts_t.c.day))
        .where(day_counts_t.c.count > 0, day_counts_t.c.day <= last_day)
        .group_by(day_counts_t.c.member_id)
    )
    if known_at_us is not None:
        counted = _counted_event_days(last_day, known_at_us)
    for member_id, day in session.execute(counted):
        seen(member_id, int(day))
    sent = (
        select(accounts_t.c.owner, func.max(transactions_t.c.created_at_us))
        .select_from(postings_t)
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        .where(
            transactions_t.c.code.in_(
                (TransactionCode.TRANSFER.value, TransactionCode.BUYBACK.value)
            ),
            accounts_t.c.type == AccountType.MEMBER.value,
            postings_t.c.amount_units < 0,
            transactions_t.c.created_at_us < end_us,
        )
        .group_by(accounts_t.c.owner)
    )
    bought = (
        select(entitlements_t.c.member_id, func.max(entitlements_t.c.created_at_us))
        .where(entitlements_t.c.created_at_us < end_us)
        .group_by(entitlements_t.c.member_id)
    )
    bought_in_sale = (
        select(sale_purchases_t.c.member_id, func.max(sale_purchases_t.c.purchased_at_us))
        .where(sale_purchases_t.c.purchased_at_us < end_us)
        .group_by(sale_purchases_t.c.member_id)
    )
    linked = select(wallets_t.c.member_id, wallets_t.c.linked_at_us).where(
        wallets_t.c.linked_at_us < end_us
    )
    for statement in (sent, bought, bought_in_sale, linked):
        for member_id, at_us in session.execute(statement):
            seen(member_id, day_of_us(int(at_us)))
    # Never active: the member row's creation, else (no member row) the account's opening.
    opened = select(accounts_t.c.owner, accounts_t.c.created_at_us).where(
        and_(accounts_t.c.type == AccountType.MEMBER.value, accounts_t.c.asset == asset)
    )
    known = set(last)
    for statement in (select(members_t.c.id, members_t.c.created_at_us), opened):
        for member_id, at_us in session.execute(statement):
            if member_id not in known:
                known.add(member_id)
                seen(member_id, day_of_us(int(at_us)))
    return last


def _counted_event_days(last_day: int, known_at_us: int) -> Any:
    """Each member's last day with a counted event, from the raw events as they stood at
    ``known_at_us``: the rule ``event_day_counts`` keeps (attributed, not retracted, not
    a self-interaction), as ``accrual`` recounts a week."""
    return (
        select(events_t.c.member_id, func.max(events_t.c.occurred_day))
        .where(
            events_t.c.occurred_day <= last_day,
            events_t.c.member_id.is_not(None),
            events_t.c.received_at_us <= known_at_us,
            (events_t.c.retracted_at_us.is_(None)) | (events_t.c.retracted_at_us > known_at_us),
            (events_t.c.counterpart_member_id.is_(None))
            | (events_t.c.counterpart_member_id != events_t.c.member_id),
        )
        .group_by(events_t.c.member_id)
    )
