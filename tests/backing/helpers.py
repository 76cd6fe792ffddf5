"""What the backing tests share: minting at an instant, every table's row count."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, text

from systok.core.ledger import AccountRef, AccountType, Posting, TransactionCode, TransactionDraft
from systok.db.engine import run_transaction
from systok.db.tables import Base
from systok.ledger.service import Ledger

STK = 10**6
RUB = 100
LATER_US = 1_811_808_000_000_000  # 2027-06-01 00:00 UTC: every quarter the tests use is closed


def mint(engine: Engine, units: int, at: datetime, key: str) -> None:
    """Issue ``units`` STK base units from ``world`` into the treasury, dated ``at``."""
    draft = TransactionDraft(
        TransactionCode.EMISSION,
        key,
        (
            Posting(AccountRef(AccountType.WORLD, "STK"), -units),
            Posting(AccountRef(AccountType.FUND_TREASURY, "STK"), units),
        ),
    )
    stamp = int(at.timestamp()) * 1_000_000
    run_transaction(engine, lambda s: Ledger(s, clock=lambda: stamp).post(draft))


def every_table_count(engine: Engine) -> dict[str, int]:
    """Rows in every table of the schema (a refusal must leave all of them unchanged)."""
    with engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(text(f"SELECT COUNT(*) FROM {table.name}")).scalar_one()
            )
            for table in Base.metadata.sorted_tables
        }
