"""The SQL only the quarterly report needs: emission, transfers and rewards of a period.

Everything else the report reads comes from the ledger, health, quarter and backing
repositories. Functions take the caller's session; nothing here writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from systok.core.ledger import AccountType, TransactionCode
from systok.db.kit import accounts_t, postings_t, quarter_prices_t, transactions_t


def _credits(code: TransactionCode, asset: str, start_us: int, end_us: int) -> Select[Any]:
    return (
        select()
        .select_from(postings_t)
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        .where(
            transactions_t.c.code == code.value,
            postings_t.c.amount_units > 0,
            accounts_t.c.asset == asset,
            transactions_t.c.created_at_us >= start_us,
            transactions_t.c.created_at_us < end_us,
        )
    )


def emission_credits(session: Session, asset: str, start_us: int, end_us: int) -> dict[str, int]:
    """Σ credited by ``emission`` entries in [start, end), per account type."""
    rows = session.execute(
        _credits(TransactionCode.EMISSION, asset, start_us, end_us)
        .add_columns(accounts_t.c.type, func.sum(postings_t.c.amount_units))
        .group_by(accounts_t.c.type)
    )
    return {str(kind): int(units) for kind, units in rows if units}


def transfer_volume(session: Session, asset: str, start_us: int, end_us: int) -> int:
    """Σ credited to member accounts by ``transfer`` entries in [start, end): the amounts
    the recipients received (the fee is not volume)."""
    total = session.execute(
        _credits(TransactionCode.TRANSFER, asset, start_us, end_us)
        .add_columns(func.coalesce(func.sum(postings_t.c.amount_units), 0))
        .where(accounts_t.c.type == AccountType.MEMBER.value)
    ).scalar_one()
    return int(total)


def rewards_paid(session: Session, asset: str, start_us: int, end_us: int) -> tuple[int, int]:
    """(Σ units, members) credited to member accounts by ``reward`` entries in
    [start, end): the weekly rewards paid out (vesting parts are holds, not paid)."""
    units, members = session.execute(
        _credits(TransactionCode.REWARD, asset, start_us, end_us)
        .add_columns(
            func.coalesce(func.sum(postings_t.c.amount_units), 0),
            func.count(func.distinct(accounts_t.c.owner)),
        )
        .where(accounts_t.c.type == AccountType.MEMBER.value)
    ).one()
    return int(units), int(members)


def first_entry_us(session: Session, asset: str) -> int | None:
    """When the first ledger entry in ``asset`` was made (None: the ledger is empty)."""
    first = session.execute(
        select(func.min(transactions_t.c.created_at_us))
        .select_from(postings_t)
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        .where(accounts_t.c.asset == asset)
    ).scalar_one()
    return None if first is None else int(first)


def prices_between(session: Session, first: str, last: str) -> dict[str, int]:
    """Quarter → directive price (``quarter_prices``) for quarters ``first … last``;
    quarter text sorts chronologically."""
    rows = session.execute(
        select(quarter_prices_t.c.quarter, quarter_prices_t.c.price_units).where(
            quarter_prices_t.c.quarter >= first, quarter_prices_t.c.quarter <= last
        )
    )
    return {str(quarter): int(units) for quarter, units in rows}
