"""All SQL of the health readings: the ledger's inputs for a period, the stored readings.

Functions take the caller's session; nothing here commits. The inputs follow
``docs/quarter.md`` §1 exactly (ADR 0028).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, case, func, select
from sqlalchemy.orm import Session

from systok.core.health import HealthInputs
from systok.core.ledger import AccountType, TransactionCode
from systok.db.kit import (
    accounts_t,
    dialect_insert,
    health_readings_t,
    postings_t,
    transactions_t,
)
from systok.ledger.repository.holds import holds_pending_at
from systok.quarter.repository import balances_at, last_activity_days


def posted_by_type(session: Session, asset: str, end_us: int) -> dict[str, int]:
    """Σ postings per account type of the entries written before ``end_us``."""
    rows = session.execute(
        select(accounts_t.c.type, func.sum(postings_t.c.amount_units))
        .select_from(postings_t)
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        .where(accounts_t.c.asset == asset, transactions_t.c.created_at_us < end_us)
        .group_by(accounts_t.c.type)
    )
    return {str(kind): int(units or 0) for kind, units in rows}


def held_by_type(session: Session, asset: str, end_us: int) -> dict[str, int]:
    """Σ held per account type: holds created before ``end_us``, unresolved then."""
    pending = holds_pending_at(end_us)
    rows = session.execute(
        select(accounts_t.c.type, func.sum(pending.c.amount_units))
        .select_from(pending)
        .join(accounts_t, accounts_t.c.id == pending.c.account_id)
        .where(accounts_t.c.asset == asset)
        .group_by(accounts_t.c.type)
    )
    return {str(kind): int(units or 0) for kind, units in rows}


def _spent(session: Session, asset: str, start_us: int, end_us: int) -> int:
    """Members' spending in [start, end): Σ credited to member accounts by ``transfer``
    entries (the recipients' amounts, never the fee) + Σ debited from member accounts by
    ``purchase`` entries (the prices paid)."""
    member = accounts_t.c.type == AccountType.MEMBER.value
    code = transactions_t.c.code
    units = postings_t.c.amount_units
    credited = (code == TransactionCode.TRANSFER.value) & (units > 0)
    paid = (code == TransactionCode.PURCHASE.value) & (units < 0)
    total = session.execute(
        select(
            func.coalesce(func.sum(case((credited, units), else_=0)), 0),
            func.coalesce(func.sum(case((paid, units), else_=0)), 0),
        )
        .select_from(postings_t)
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        .where(
            member,
            accounts_t.c.asset == asset,
            transactions_t.c.created_at_us >= start_us,
            transactions_t.c.created_at_us < end_us,
        )
    ).one()
    return int(total[0]) - int(total[1])


def health_inputs(
    session: Session,
    asset: str,
    *,
    start_us: int,
    end_us: int,
    first_day: int,
    last_day: int,
    periods_per_year: int,
) -> HealthInputs:
    """The inputs of ``core.health`` for the period [start_us, end_us) (docs/quarter.md §1).

    Supply at an instant is −world − burn (the postings before it); issued is what
    ``world`` gave in the period (only ``emission`` entries touch it), burned what
    ``burn`` received. Holders, member balances and active holders are read as the
    quarterly snapshot reads them (``quarter.repository.balances_at`` and
    ``last_activity_days``): active means a last-activity day from ``first_day`` on.
    """
    world, burn = AccountType.WORLD.value, AccountType.BURN.value
    member = AccountType.MEMBER.value
    at_start = posted_by_type(session, asset, start_us)
    at_end = posted_by_type(session, asset, end_us)
    held_start = held_by_type(session, asset, start_us)
    held_end = held_by_type(session, asset, end_us)
    members = balances_at(session, asset, end_us)
    balances = {m: parts[member] for m, parts in members.items() if parts.get(member, 0) > 0}
    activity = last_activity_days(session, set(balances), asset, last_day, end_us)
    return HealthInputs(
        periods_per_year=periods_per_year,
        supply_start_units=-at_start.get(world, 0) - at_start.get(burn, 0),
        issued_units=at_start.get(world, 0) - at_end.get(world, 0),
        burned_units=at_end.get(burn, 0) - at_start.get(burn, 0),
        circulating_start_units=at_start.get(member, 0) - held_start.get(member, 0),
        circulating_end_units=at_end.get(member, 0) - held_end.get(member, 0),
        transaction_volume_units=_spent(session, asset, start_us, end_us),
        holders=len(balances),
        active_holders=sum(
            1 for m in balances if first_day <= activity.get(m, first_day - 1) <= last_day
        ),
        # Ledger holds plus the locked vesting accounts (ADRs 0029, 0041): a sale
        # purchase waiting in hold:vesting:<member>, a fund's share in fund:vesting:<fund>.
        frozen_units=sum(held_end.values())
        + at_end.get(AccountType.HOLD_VESTING.value, 0)
        + at_end.get(AccountType.FUND_VESTING.value, 0),
        treasury_units=at_end.get(AccountType.FUND_TREASURY.value, 0),
        member_balances=tuple(sorted(balances.values())),
    )


def readings(session: Session, kind: str, period: str) -> list[Row[Any]]:
    """The stored readings of a period, in the order they were written."""
    return list(
        session.execute(
            select(health_readings_t)
            .where(health_readings_t.c.period_kind == kind, health_readings_t.c.period == period)
            .order_by(health_readings_t.c.id)
        )
    )


def insert_readings(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store a period's readings (one row per metric); a metric stored already, by a
    concurrent caller, keeps its row (readings of a closed period never change)."""
    if rows:
        statement = dialect_insert(session, health_readings_t).on_conflict_do_nothing(
            index_elements=["period_kind", "period", "metric"]
        )
        session.execute(statement, rows)


def stored_periods(session: Session, kind: str, limit: int) -> list[str]:
    """The periods of ``kind`` with stored readings, newest first (``2026-W05`` and
    ``2026-Q3`` text sorts chronologically), at most ``limit``."""
    return list(
        session.scalars(
            select(health_readings_t.c.period)
            .where(health_readings_t.c.period_kind == kind)
            .distinct()
            .order_by(health_readings_t.c.period.desc())
            .limit(limit)
        )
    )
