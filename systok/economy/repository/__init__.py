"""All SQL of the member API's economy reads and writes (balances, history, rewards,
entitlements, freezes, supply). Functions take the caller's session; nothing commits.

Reads of one member are keyed by indexes: the member's account by its natural key,
postings by ``(account_id, transaction_id)``, pending vesting holds by
``(credit_account_id, status)``, rewards by ``(member_id, run_id)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, and_, bindparam, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from systok.core.ledger import AccountRef, AccountType, HoldStatus
from systok.core.times import MICROS_PER_DAY
from systok.db.kit import (
    accounts_t,
    adjustments_t,
    entitlements_t,
    freezes_t,
    holds_t,
    members_t,
    postings_t,
    rewards_t,
    runs_t,
    transactions_t,
)
from systok.economy.repository.transfer_call import call_member_transfer as call_member_transfer
from systok.economy.repository.transfers import paid_member_on as paid_member_on
from systok.economy.repository.transfers import transfer_checks as transfer_checks
from systok.economy.schemas import MemberState
from systok.ledger import repository as ledger_repo


def _member_state_statement() -> Any:
    """The statement of ``member_state``, built once: building a SELECT with two
    subqueries costs more Python than running it (ADR 0046); the bound values are
    ``member_id`` and ``asset``."""
    vesting = (
        select(func.coalesce(func.sum(holds_t.c.amount_units), 0))
        .where(
            holds_t.c.credit_account_id == accounts_t.c.id,
            holds_t.c.status == HoldStatus.PENDING.value,
        )
        .scalar_subquery()
    )
    frozen = (
        select(freezes_t.c.reason).where(freezes_t.c.member_id == members_t.c.id).scalar_subquery()
    )
    return (
        select(
            members_t.c.id,
            accounts_t.c.id.label("account_id"),
            accounts_t.c.posted_units,
            accounts_t.c.held_units,
            vesting.label("vesting_units"),
            frozen.label("frozen_reason"),
        )
        .select_from(
            members_t.outerjoin(
                accounts_t,
                and_(
                    accounts_t.c.type == AccountType.MEMBER.value,
                    accounts_t.c.owner == members_t.c.id,
                    accounts_t.c.asset == bindparam("asset"),
                ),
            )
        )
        .where(members_t.c.id == bindparam("member_id"))
    )


_MEMBER_STATE = _member_state_statement()


def member_state(session: Session, member_id: str, asset: str) -> MemberState | None:
    """The member's balance, pending vesting and freeze in one statement; None if unknown.

    One round trip: this is the path of ``GET balance``, the API's hottest read.
    """
    row = session.execute(_MEMBER_STATE, {"member_id": member_id, "asset": asset}).one_or_none()
    if row is None:
        return None
    return MemberState(
        member_id=row.id,
        account_id=row.account_id,
        posted_units=int(row.posted_units or 0),
        held_units=int(row.held_units or 0),
        vesting_units=int(row.vesting_units or 0) if row.account_id is not None else 0,
        frozen_reason=row.frozen_reason,
    )


# --- history and transactions ----------------------------------------------------------


def balance_before(session: Session, account_id: int, before_us: int) -> int:
    """The posted balance of an account just before ``before_us``."""
    total = session.execute(
        select(func.coalesce(func.sum(postings_t.c.amount_units), 0))
        .select_from(
            postings_t.join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        )
        .where(postings_t.c.account_id == account_id, transactions_t.c.created_at_us < before_us)
    ).scalar_one()
    return int(total)


def daily_changes(
    session: Session, account_id: int, from_us: int, to_us: int
) -> list[tuple[int, int, int]]:
    """``(day, net change, postings)`` per UTC day with movement in ``[from_us, to_us)``."""
    day = (transactions_t.c.created_at_us // literal(MICROS_PER_DAY)).label("day")
    rows = session.execute(
        select(day, func.sum(postings_t.c.amount_units), func.count())
        .select_from(
            postings_t.join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        )
        .where(
            postings_t.c.account_id == account_id,
            transactions_t.c.created_at_us >= from_us,
            transactions_t.c.created_at_us < to_us,
        )
        .group_by(day)
        .order_by(day)
    )
    return [(int(d), int(change), int(n)) for d, change, n in rows]


def account_transactions(
    session: Session,
    account_id: int,
    *,
    before_id: int | None,
    codes: Sequence[str],
    from_us: int | None,
    to_us: int | None,
    limit: int,
) -> list[Row[Any]]:
    """The account's postings with their entry, newest first, after the cursor.

    Keyset pagination on the transaction id (``ix_postings_account``): a page costs the
    same at the millionth row as at the first.
    """
    query = (
        select(
            transactions_t.c.id,
            transactions_t.c.code,
            transactions_t.c.reference,
            transactions_t.c.created_at_us,
            postings_t.c.amount_units,
        )
        .select_from(
            postings_t.join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        )
        .where(postings_t.c.account_id == account_id)
        .order_by(postings_t.c.transaction_id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(postings_t.c.transaction_id < before_id)
    if codes:
        query = query.where(transactions_t.c.code.in_(list(codes)))
    if from_us is not None:
        query = query.where(transactions_t.c.created_at_us >= from_us)
    if to_us is not None:
        query = query.where(transactions_t.c.created_at_us < to_us)
    return list(session.execute(query))


def transaction_postings(session: Session, transaction_id: int) -> list[tuple[AccountRef, int]]:
    """The postings of one journal entry, with their accounts' natural keys."""
    rows = session.execute(
        ledger_repo.named_postings().where(postings_t.c.transaction_id == transaction_id)
    )
    return [(AccountRef(AccountType(r.type), r.asset, r.owner), int(r.amount_units)) for r in rows]


# --- weekly rewards --------------------------------------------------------------------


def member_rewards(session: Session, member_id: str, limit: int) -> list[Row[Any]]:
    """The member's weekly rewards with their run, newest week first (no breakdowns)."""
    adjusted = (
        select(func.coalesce(func.sum(adjustments_t.c.delta_units), 0))
        .where(
            adjustments_t.c.member_id == member_id,
            adjustments_t.c.week == runs_t.c.week,
        )
        .scalar_subquery()
    )
    return list(
        session.execute(
            select(
                runs_t.c.week,
                runs_t.c.policy_version,
                runs_t.c.stage,
                rewards_t.c.points,
                rewards_t.c.units,
                rewards_t.c.paid_units,
                adjusted.label("adjusted_units"),
            )
            .select_from(rewards_t.join(runs_t, runs_t.c.id == rewards_t.c.run_id))
            .where(rewards_t.c.member_id == member_id)
            .order_by(runs_t.c.week.desc(), runs_t.c.id.desc())
            .limit(limit)
        )
    )


def member_paid_between(
    session: Session, member_id: str, first_week: str, last_week: str
) -> dict[str, int]:
    """The member's paid units per week from ``first_week`` to ``last_week`` (ISO week
    text sorts as the weeks do), the latest run of each week; weeks without a reward
    are absent. A weekly statement's 12-week chart."""
    rows = session.execute(
        select(runs_t.c.week, rewards_t.c.paid_units)
        .select_from(rewards_t.join(runs_t, runs_t.c.id == rewards_t.c.run_id))
        .where(
            rewards_t.c.member_id == member_id,
            runs_t.c.week >= first_week,
            runs_t.c.week <= last_week,
        )
        .order_by(runs_t.c.week, runs_t.c.id)
    )
    return {str(week): int(paid) for week, paid in rows}


def member_week_reward(session: Session, member_id: str, week: str) -> Row[Any] | None:
    """The member's reward of one week (the latest run of that week), with its run id.

    The breakdown is not stored: ``systok.accrual.explain.explain_reward`` renders it.
    """
    query: Any = (
        select(
            runs_t.c.id.label("run_id"),
            runs_t.c.week,
            runs_t.c.policy_version,
            runs_t.c.policy_hash,
            runs_t.c.stage,
            runs_t.c.prorata,
            rewards_t.c.points,
            rewards_t.c.units,
            rewards_t.c.paid_units,
        )
        .select_from(rewards_t.join(runs_t, runs_t.c.id == rewards_t.c.run_id))
        .where(rewards_t.c.member_id == member_id, runs_t.c.week == week)
        .order_by(runs_t.c.id.desc())
        .limit(1)
    )
    row: Row[Any] | None = session.execute(query).one_or_none()
    return row


def week_adjustments(session: Session, member_id: str, week: str) -> list[Row[Any]]:
    """Later corrections of the member's reward of ``week`` (late events), in order paid."""
    return list(
        session.execute(
            select(
                runs_t.c.week.label("paid_in_week"),
                adjustments_t.c.delta_units,
                adjustments_t.c.points_after,
                adjustments_t.c.units_after,
            )
            .select_from(adjustments_t.join(runs_t, runs_t.c.id == adjustments_t.c.paying_run_id))
            .where(adjustments_t.c.member_id == member_id, adjustments_t.c.week == week)
            .order_by(adjustments_t.c.paying_run_id)
        )
    )


# --- entitlements ----------------------------------------------------------------------


def entitlement_by_request(session: Session, member_id: str, request_key: str) -> Row[Any] | None:
    """The entitlement a purchase with this Idempotency-Key created, if any."""
    return session.execute(
        select(entitlements_t).where(
            entitlements_t.c.member_id == member_id,
            entitlements_t.c.request_key == request_key,
        )
    ).one_or_none()


def entitlement_end(session: Session, member_id: str, service_id: str) -> int | None:
    """When the member's latest period of a service ends (None: never bought)."""
    end = session.execute(
        select(func.max(entitlements_t.c.ends_at_us)).where(
            entitlements_t.c.member_id == member_id, entitlements_t.c.service_id == service_id
        )
    ).scalar_one()
    return None if end is None else int(end)


def insert_entitlement(session: Session, **values: Any) -> Row[Any]:
    """Record an entitlement; returns the stored row."""
    entitlement_id = session.execute(
        insert(entitlements_t).values(**values).returning(entitlements_t.c.id)
    ).scalar_one()
    return session.execute(
        select(entitlements_t).where(entitlements_t.c.id == entitlement_id)
    ).one()


# --- freezes ---------------------------------------------------------------------------


def member_exists(session: Session, member_id: str) -> bool:
    return (
        session.execute(select(members_t.c.id).where(members_t.c.id == member_id)).first()
        is not None
    )


def freeze(session: Session, member_id: str, reason: str, now_us: int) -> bool:
    """Freeze a member; False when they were frozen already (the first reason stays)."""
    if session.execute(
        select(freezes_t.c.member_id).where(freezes_t.c.member_id == member_id)
    ).first():
        return False
    session.execute(
        insert(freezes_t).values(member_id=member_id, reason=reason, frozen_at_us=now_us)
    )
    return True


def unfreeze(session: Session, member_id: str) -> bool:
    """Lift a freeze; False when the member was not frozen."""
    result = session.execute(delete(freezes_t).where(freezes_t.c.member_id == member_id))
    return bool(getattr(result, "rowcount", 0))


# --- supply and distribution -----------------------------------------------------------


def balances_by_type(session: Session, asset: str) -> list[Row[Any]]:
    """Per account type: accounts, Σ posted, Σ held (one grouped scan of ``accounts``)."""
    return list(
        session.execute(
            select(
                accounts_t.c.type,
                func.count().label("accounts"),
                func.coalesce(func.sum(accounts_t.c.posted_units), 0).label("posted_units"),
                func.coalesce(func.sum(accounts_t.c.held_units), 0).label("held_units"),
            )
            .where(accounts_t.c.asset == asset)
            .group_by(accounts_t.c.type)
            .order_by(accounts_t.c.type)
        )
    )


def member_balances(session: Session, asset: str) -> list[int]:
    """Every member account's positive posted balance, ascending."""
    return [
        int(units)
        for (units,) in session.execute(
            select(accounts_t.c.posted_units)
            .where(
                accounts_t.c.type == AccountType.MEMBER.value,
                accounts_t.c.asset == asset,
                accounts_t.c.posted_units > 0,
            )
            .order_by(accounts_t.c.posted_units)
        )
    ]
