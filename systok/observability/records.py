"""The facts ``/metrics`` needs that nothing else stores, written where they happen.

- Each weekly-run stage's duration (``accrual_run_stages``), in the stage's own unit
  of work (``WeeklyRun._step``).
- The summary of each reconciliation (``reconciliations``): the chain is not read at
  scrape time (slow, and it may be down), so the last result is kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.db.engine import run_transaction
from systok.observability import repository as repo

DIFFERENCE_KINDS = ("missing", "extra", "wrong amount")
"""The kinds of ``systok.payout.reconcile.Difference``."""


def record_stage(
    session: Session, run_id: int, stage: str, finished_at_us: int, duration_us: int
) -> None:
    """Record that ``stage`` of run ``run_id`` committed, taking ``duration_us``."""
    repo.insert_stage(session, run_id, stage, finished_at_us, max(0, duration_us))


def record_reconciliation(
    engine: Engine,
    *,
    finished_at_us: int,
    difference_kinds: Iterable[str],
    accounts_checked: int,
    transactions_checked: int,
) -> None:
    """Keep one reconciliation's summary (its own unit of work; the chain was only read)."""
    kinds = Counter(difference_kinds)
    unknown = set(kinds) - set(DIFFERENCE_KINDS)
    assert not unknown, f"unknown difference kinds {sorted(unknown)}"
    run_transaction(
        engine,
        lambda s: repo.insert_reconciliation(
            s,
            finished_at_us=finished_at_us,
            accounts_checked=accounts_checked,
            transactions_checked=transactions_checked,
            missing=kinds["missing"],
            extra=kinds["extra"],
            wrong_amount=kinds["wrong amount"],
        ),
    )
