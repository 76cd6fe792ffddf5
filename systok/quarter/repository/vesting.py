"""The vest stage's reads and rows (ADR 0033, 0041), and the weekly runs a quarter waits
for (ADR 0041).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, insert, select
from sqlalchemy.orm import Session

from systok.core.ledger import AccountType, TransactionCode
from systok.db.kit import (
    accounts_t,
    postings_t,
    quarter_redistributions_t,
    quarter_runs_t,
    quarter_vesting_releases_t,
    runs_t,
    sale_purchases_t,
    sales_t,
    transactions_t,
)

# --- the vest stage (ADR 0033) -----------------------------------------------------------


def fund_grants(session: Session, asset: str, end_us: int) -> list[tuple[str, int, int]]:
    """Every emission credit to a locked fund account before ``end_us``: (fund name,
    the entry's time, units), oldest first. Each is one grant (ADR 0033)."""
    rows = session.execute(
        select(accounts_t.c.owner, transactions_t.c.created_at_us, postings_t.c.amount_units)
        .select_from(postings_t)
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        .where(
            transactions_t.c.code == TransactionCode.EMISSION.value,
            accounts_t.c.type == AccountType.FUND_VESTING.value,
            accounts_t.c.asset == asset,
            postings_t.c.amount_units > 0,
            transactions_t.c.created_at_us < end_us,
        )
        .order_by(transactions_t.c.created_at_us, transactions_t.c.id)
    )
    return [(str(owner), int(at_us), int(units)) for owner, at_us, units in rows]


def sale_grants(session: Session, end_us: int) -> list[tuple[str, int, int, int]]:
    """Every initial-sale purchase before ``end_us``: (member, purchase time, units, the
    sale's ``vesting_days``), oldest first. Each is one grant (ADR 0033)."""
    rows = session.execute(
        select(
            sale_purchases_t.c.member_id,
            sale_purchases_t.c.purchased_at_us,
            sale_purchases_t.c.units,
            sales_t.c.vesting_days,
        )
        .join(sales_t, sales_t.c.id == sale_purchases_t.c.sale_id)
        .where(sale_purchases_t.c.purchased_at_us < end_us)
        .order_by(sale_purchases_t.c.purchased_at_us, sale_purchases_t.c.id)
    )
    return [(str(m), int(at_us), int(units), int(days)) for m, at_us, units, days in rows]


def insert_vesting_releases(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store the vest stage's tranches."""
    if rows:
        session.execute(insert(quarter_vesting_releases_t), rows)


def weekly_run_stages(session: Session, through_week: str) -> dict[str, set[str]]:
    """The stages of the weekly runs (``accrual_runs``) of weeks up to ``through_week``
    (``YYYY-Www`` sorts as text), by week."""
    found: dict[str, set[str]] = {}
    rows = session.execute(
        select(runs_t.c.week, runs_t.c.stage).where(runs_t.c.week <= through_week)
    )
    for week, stage in rows:
        found.setdefault(str(week), set()).add(str(stage))
    return found


def released_before(session: Session, quarter: str) -> dict[tuple[str, str], int]:
    """Σ released per (kind, grantee) by the vest stages of quarters before ``quarter``
    (``YYYY-Qn`` sorts as text), whatever their runs' stage: a stored row is a posted entry."""
    rows = session.execute(
        select(
            quarter_vesting_releases_t.c.kind,
            quarter_vesting_releases_t.c.grantee,
            func.sum(quarter_vesting_releases_t.c.released_units),
        )
        .join(quarter_runs_t, quarter_runs_t.c.id == quarter_vesting_releases_t.c.run_id)
        .where(quarter_runs_t.c.quarter < quarter)
        .group_by(quarter_vesting_releases_t.c.kind, quarter_vesting_releases_t.c.grantee)
    )
    return {(str(kind), str(grantee)): int(total) for kind, grantee, total in rows}


def run_vesting_releases(session: Session, run_id: int) -> list[Row[Any]]:
    """A run's tranches, funds first, then by grantee."""
    return list(
        session.execute(
            select(quarter_vesting_releases_t)
            .where(quarter_vesting_releases_t.c.run_id == run_id)
            .order_by(quarter_vesting_releases_t.c.kind, quarter_vesting_releases_t.c.grantee)
        )
    )


# --- verification: the run's own entries ------------------------------------------------


def claimed_entry_ids(session: Session) -> set[int]:
    """Every ledger entry a quarterly run's redistribution or tranche row refers to."""
    claimed: set[int] = set()
    for table in (quarter_redistributions_t, quarter_vesting_releases_t):
        rows = session.execute(
            select(table.c.transaction_id).where(table.c.transaction_id.is_not(None))
        )
        claimed.update(int(transaction_id) for (transaction_id,) in rows)
    return claimed
