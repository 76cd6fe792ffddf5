"""When a week may run: its end plus the policy's grace window for late events.

Events of a week that arrive inside ``ingestion.weekly_grace_hours`` after Sunday still
count in it; running earlier would settle the week without them, and they would become
next week's adjustments for no reason but an early timer. This module is the one place
that reads the grace window: ``systok run week`` refuses a week still inside it, and the
default week (of the run, the demo and the timers) is the last one past it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from systok import clock
from systok.core.policy import Policy
from systok.core.weeks import IsoWeek
from systok.errors import RunError
from systok.policy_files import policy_for_week


def runnable_from(week: IsoWeek, policy: Policy) -> datetime:
    """The moment ``week`` may run: its end plus ``ingestion.weekly_grace_hours``."""
    return week.end + timedelta(hours=policy.ingestion.weekly_grace_hours)


def refuse_open_week(week: IsoWeek, policy: Policy, now: datetime) -> None:
    """Raise :class:`RunError` saying when ``week`` may run if it is still open or in grace."""
    opens = runnable_from(week, policy)
    if opens <= now:
        return
    grace = policy.ingestion.weekly_grace_hours
    why = (
        f"it has not closed yet (it ends {week.end.isoformat()})"
        if week.end > now
        else f"it closed at {week.end.isoformat()} but is inside its {grace} h grace window "
        "for late events"
    )
    raise RunError(
        f"week {week} cannot run yet: {why}; it may run from {opens.isoformat()} "
        f"(policy {policy.version}: ingestion.weekly_grace_hours = {grace})"
    )


def last_closed_week(now: datetime | None = None) -> IsoWeek:
    """The newest week whose grace window (under its own policy) has passed.

    ``now`` defaults to :func:`systok.clock.now`; pass it to ask about another moment.
    """
    moment = clock.now() if now is None else now
    candidate = IsoWeek.containing(moment).previous()
    while runnable_from(candidate, policy_for_week(candidate)) > moment:
        candidate = candidate.previous()
    return candidate
