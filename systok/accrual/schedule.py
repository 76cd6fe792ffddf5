"""When a week may run: its end plus the policy's grace window for late events.

Events of a week that arrive inside ``ingestion.weekly_grace_hours`` after Sunday still
count in it; running earlier would settle the week without them, and they would become
next week's adjustments for no reason but an early timer. This module is the one place
that reads the grace window: ``systok run week`` refuses a week still inside it, and the
default week (of the run, the demo and the timers) is the last one past it.

It also reads the policy's ``[schedule]``: each stage's Monday deadline, against which
``systok run status`` shows whether the stage finished on time (ADR 0036).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from systok import clock
from systok.core.policy import Policy
from systok.core.times import datetime_to_us
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


@dataclass(frozen=True, slots=True)
class StageDeadline:
    """One stage of a weekly run against its Monday deadline (ADR 0036).

    ``on_time`` is True when the stage finished by the deadline, False when it finished
    after it or has not finished and the deadline has passed, None while it is pending
    with time left.
    """

    stage: str
    key: str
    deadline: datetime
    finished_at_us: int | None
    on_time: bool | None


def deadline_hours(policy: Policy) -> dict[str, tuple[str, int]]:
    """Stage → (its ``schedule`` key, the Monday UTC hour it must finish by).

    collect is the aggregation, score and report are themselves; the payouts are sent
    by ``payout_by_hour`` when the confirm stage (every batch final) has finished; the
    notify stage is due at ``notify_at_hour``. The post and payout-planning stages have
    no deadline of their own: they sit inside the payout window.
    """
    schedule = policy.schedule
    return {
        "collect": ("aggregate_by_hour", schedule.aggregate_by_hour),
        "score": ("score_by_hour", schedule.score_by_hour),
        "report": ("report_by_hour", schedule.report_by_hour),
        "confirm": ("payout_by_hour", schedule.payout_by_hour),
        "notify": ("notify_at_hour", schedule.notify_at_hour),
    }


def stage_deadlines(
    week: IsoWeek, policy: Policy, finished_us: dict[str, int], now: datetime
) -> list[StageDeadline]:
    """Each deadline stage of ``week``'s run: due the Monday after the week (``week.end``)
    at the policy's hour; ``finished_us`` maps a stage to when it committed."""
    found = []
    for stage, (key, hour) in deadline_hours(policy).items():
        deadline = week.end + timedelta(hours=hour)
        finished = finished_us.get(stage)
        if finished is not None:
            on_time: bool | None = finished <= datetime_to_us(deadline)
        else:
            on_time = False if now > deadline else None
        found.append(StageDeadline(stage, key, deadline, finished, on_time))
    return found
