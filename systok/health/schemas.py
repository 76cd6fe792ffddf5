"""The data shapes of health readings: a period and what is stored for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

from systok.core.health import WEEKS_PER_YEAR, HealthStatus
from systok.core.quarters import QUARTERS_PER_YEAR, Quarter
from systok.core.times import datetime_to_us, day_of_date
from systok.core.weeks import IsoWeek

QUARTER = "quarter"
WEEK = "week"


@dataclass(frozen=True)
class Period:
    """A calendar quarter or an ISO week, in UTC, as the health readings see it."""

    kind: str
    """``quarter`` or ``week``."""
    span: Quarter | IsoWeek

    def __str__(self) -> str:
        return str(self.span)

    @property
    def periods_per_year(self) -> int:
        """4 for a quarter, 52 for a week (``core.health``)."""
        return QUARTERS_PER_YEAR if self.kind == QUARTER else WEEKS_PER_YEAR

    @property
    def start_us(self) -> int:
        """The period's first instant."""
        return datetime_to_us(self.span.start)

    @property
    def end_us(self) -> int:
        """The period's close: the first instant after it."""
        return datetime_to_us(self.span.end)

    @property
    def first_day(self) -> int:
        """The period's first UTC day number."""
        return day_of_date(self.span.start.date())

    @property
    def last_day(self) -> int:
        """The period's last UTC day number."""
        return day_of_date(self.span.end.date()) - 1

    @property
    def last_week(self) -> IsoWeek:
        """The ISO week holding the period's last day (whose policy rates it)."""
        return IsoWeek.containing(self.span.end - timedelta(microseconds=1))


@dataclass(frozen=True)
class StoredReading:
    """One metric of one period as stored (``health_readings``)."""

    metric: str
    unit: str
    value: Fraction | None
    status: HealthStatus
    policy_version: str
    policy_hash: str
    computed_at_us: int


@dataclass(frozen=True)
class PeriodHealth:
    """Every reading of a period, in ``core.health.assess`` order."""

    period: Period
    readings: tuple[StoredReading, ...]
    computed_now: bool
    """Whether this call computed and stored them (false: they were stored before)."""
