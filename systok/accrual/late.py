"""Late events: pay, once, what events that arrived after a week was settled change.

The score stage re-scores each settled earlier week that saw events arrive (or be
retracted) after what it absorbed, and stores the differences as adjustments of the
current run; the post stage pays them in one balanced transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from systok.accrual import repository as repo
from systok.accrual.score import score_members
from systok.core.amount import UNITS_MAX
from systok.core.ledger import (
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.core.policy import Policy
from systok.core.times import day_of_date
from systok.core.weeks import IsoWeek
from systok.ledger.service import Ledger


def adjust_late_weeks(session: Session, policy: Policy, row: Any, clock: Callable[[], int]) -> None:
    """Store, once, what late events change in settled earlier weeks.

    For each settled earlier week with events received (or retracted) after what it
    absorbed and up to this run's collect, the week is re-scored with everything
    known at this run's collect (streaks carried as they were; later weeks'
    coefficients are not re-opened) and the difference to what was paid for it
    becomes an adjustment of this run. A debit never exceeds what the member holds
    now: the adjustment records what can be taken back. The earlier run then counts
    as absorbed up to this collect, so each late event is paid exactly once.
    """
    known_at = row.collected_at_us
    ledger = Ledger(session)
    for earlier in repo.settled_runs_before(session, row.week, policy.version):
        earlier_week = IsoWeek.parse(earlier.week)
        first = day_of_date(earlier_week.monday)
        absorbed = earlier.absorbed_to_us or earlier.collected_at_us
        if not repo.has_late_events(session, first, first + 6, absorbed, known_at):
            continue
        counts = repo.recount_week(session, first, first + 6, known_at)
        rescored = {
            r["member_id"]: r
            for r in score_members(session, policy, earlier_week, counts, UNITS_MAX).rows
        }
        paid = repo.paid_for_week(session, earlier.id, earlier.week)
        rows = []
        for member_id in sorted(set(rescored) | set(paid)):
            units_after = rescored[member_id]["units"] if member_id in rescored else 0
            delta = units_after - paid.get(member_id, 0)
            if delta < 0:
                held = ledger.balance(member_account(member_id)).available_units
                delta = -min(-delta, held)
            if delta == 0:
                continue
            rows.append(
                {
                    "paying_run_id": row.id,
                    "week": earlier.week,
                    "member_id": member_id,
                    "delta_units": delta,
                    "units_after": units_after,
                    "points_after": rescored[member_id]["points"] if member_id in rescored else "0",
                }
            )
        repo.insert_adjustments(session, rows)
        repo.mark_absorbed(session, earlier.id, known_at, clock())


def post_adjustments(ledger: Ledger, policy: Policy, row: Any) -> None:
    """One balanced transaction for every adjustment this run pays (amounts as stored)."""
    adjustments = repo.run_adjustments(ledger.session, row.id)
    if not adjustments:
        return
    by_member: dict[str, int] = {}
    for adjustment in adjustments:
        by_member[adjustment.member_id] = (
            by_member.get(adjustment.member_id, 0) + adjustment.delta_units
        )
    postings = [Posting(member_account(m), d) for m, d in sorted(by_member.items()) if d]
    pool_delta = -sum(p.amount_units for p in postings)
    if not postings:
        return
    if pool_delta:
        postings.append(Posting(system_account(AccountType.POOL_REWARDS), pool_delta))
    ledger.post(
        TransactionDraft(
            code=TransactionCode.ADJUSTMENT,
            idempotency_key=f"adjustment:{policy.version}:{row.week}",
            reference=f"late events of earlier weeks, paid with {row.week}",
            postings=tuple(postings),
        )
    )
