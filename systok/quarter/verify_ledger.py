"""What ``verify quarter`` rebuilds from the ledger rather than from the run's own rows
(issue 13): the snapshot at the close, and the list of the quarter's slash and tranche
entries, each of which must be one the run recorded.

A check against the run's own rows only sees what those rows say: a snapshot rewritten
together with its redistribution row, a row deleted while its entry stays, or an entry
posted under another key all replay "exactly". The ledger is append-only and the
events are kept with when they arrived and were retracted, so both can be read as they
stood when the stage ran.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from systok.core.ledger import TransactionCode
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.times import datetime_to_us
from systok.ledger.repository.coded import entries_naming_or_within
from systok.quarter import repository as repo
from systok.quarter.context import StageContext
from systok.quarter.schemas import Stage
from systok.quarter.stages import snapshot_rows, stored_snapshot

SNAPSHOT_FIELDS = (
    "posted_units",
    "held_units",
    "wallet_units",
    "last_activity_day",
    "days_inactive",
)
RUN_CODES = [TransactionCode.SLASH.value, TransactionCode.VESTING_TRANCHE.value]
"""The codes only the quarterly run writes (redistribution and fund vesting)."""


def snapshot_differences(session: Session, policy: Policy, quarter: Quarter, run: Any) -> list[str]:
    """The stored snapshot against the one the ledger and the events give at the close,
    with events as they stood when the snapshot stage committed (later arrivals and
    retractions do not count; a run with no recorded stage time uses the live counts)."""
    known_at_us = repo.stage_finished_at(session, int(run.id), Stage.SNAPSHOT.value)
    context = StageContext(session, policy, run, quarter, clock=lambda: 0)
    rebuilt = {r.member_id: r for r in snapshot_rows(context, known_at_us)}
    stored = {r.member_id: r for r in stored_snapshot(session, int(run.id))}
    differences = []
    for member_id in sorted(set(rebuilt) | set(stored)):
        want, got = rebuilt.get(member_id), stored.get(member_id)
        if want is None or got is None:
            where = "stored only" if want is None else "missing (the ledger has tokens)"
            differences.append(f"snapshot of {member_id}: {where}")
            continue
        for field in SNAPSHOT_FIELDS:
            if getattr(got, field) != getattr(want, field):
                differences.append(
                    f"snapshot of {member_id}: {field} is {getattr(got, field)}, the ledger "
                    f"at the close gives {getattr(want, field)}"
                )
    return differences


def unclaimed_entries(session: Session, quarter: Quarter, claimed_by_run: set[int]) -> list[str]:
    """Each slash or tranche entry of ``quarter`` that no row of its run refers to.

    An entry is the quarter's when its key or reference names the quarter, or when it
    names no quarter's row at all (claimed by no run) and was written between the
    quarter's close and the next quarter's close, when its run runs.
    """
    claimed_anywhere = repo.claimed_entry_ids(session)
    window_us = (datetime_to_us(quarter.end), _next_close_us(quarter))
    names = (f":{quarter}:", f" {quarter} ")
    differences = []
    for entry in entries_naming_or_within(session, RUN_CODES, names, window_us):
        entry_id = int(entry.id)
        if entry_id in claimed_by_run:
            continue
        named = names[0] in entry.idempotency_key or names[1] in entry.reference
        if not named and entry_id in claimed_anywhere:
            continue  # another quarter's run, posted in this window
        differences.append(
            f"{quarter}: ledger entry {entry_id} ({entry.code}, key {entry.idempotency_key!r}) "
            "matches no row of the run"
        )
    return differences


def _next_close_us(quarter: Quarter) -> int:
    """The next quarter's close; the last quarter in range has none, so no end."""
    try:
        return datetime_to_us(quarter.next().end)
    except ValueError:
        return 2**63 - 1
