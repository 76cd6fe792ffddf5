"""A quarterly run waits for the quarter's weeks to settle (ADR 0041).

The weekly run mints each week's emission when it runs, so a week settled after its
quarter's run would put its emission in the next quarter by write time (price, health
and the report count by write time). So ``run quarter Q`` is refused while a week of Q
— an ISO week whose Thursday is in Q, the ISO rule ``core.stabilisation_steps``
uses — has no ``done`` weekly run.

Which weeks are owed a weekly run: those of Q from the first week any weekly run was
ever made for (earlier weeks predate SysTok's weekly runs or their policy) through Q's
last week. A database with no weekly run up to Q's last week owes none: its emission,
if any, was posted otherwise (the quarterly tests' hand-built ledgers, an import).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from systok.accrual.schemas import Stage as WeekStage
from systok.core.quarters import Quarter
from systok.core.weeks import IsoWeek
from systok.errors import QuarterError
from systok.quarter import repository as repo

THURSDAY_OFFSET_DAYS = 3


def quarter_weeks(quarter: Quarter) -> list[IsoWeek]:
    """The ISO weeks whose Thursday lies in ``quarter``, in order (13 or 14)."""
    week = IsoWeek.containing(quarter.first_day)
    if week.monday + timedelta(days=THURSDAY_OFFSET_DAYS) < quarter.first_day:
        week = IsoWeek.containing(quarter.first_day + timedelta(days=7))
    weeks = []
    while quarter.contains(week.monday + timedelta(days=THURSDAY_OFFSET_DAYS)):
        weeks.append(week)
        week = IsoWeek.containing(week.monday + timedelta(days=7))
    return weeks


def unsettled_weeks(session: Session, quarter: Quarter) -> list[IsoWeek]:
    """The weeks of ``quarter`` owed a weekly run that have no ``done`` one."""
    weeks = quarter_weeks(quarter)
    stages = repo.weekly_run_stages(session, str(weeks[-1]))
    if not stages:
        return []
    first = min(IsoWeek.parse(week) for week in stages)
    return [
        week
        for week in weeks
        if week >= first and WeekStage.DONE.value not in stages.get(str(week), set())
    ]


def refuse_unsettled(session: Session, quarter: Quarter) -> None:
    """Refuse a quarter whose weeks are not all settled.

    Raises:
        QuarterError: naming each week without a ``done`` weekly run.
    """
    missing = unsettled_weeks(session, quarter)
    if missing:
        names = ", ".join(str(week) for week in missing)
        raise QuarterError(
            f"quarter {quarter}: week(s) {names} have no finished weekly run; run them "
            "first (systok run week WEEK / run resume), then the quarter"
        )
