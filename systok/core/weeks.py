"""ISO weeks in UTC: the period of every accrual run and the key of every policy.

The economy counts by week: points are summed per ISO week, a policy takes effect from
an ISO week, and a run is keyed by its week. An ISO week runs from Monday 00:00:00 UTC
to the next Monday 00:00:00 UTC (exclusive), so "the week closes Sunday 23:59 UTC"
[002 §Процесс недельного начисления] needs no special case. ISO numbering (not
calendar-year numbering) is used because it never splits a week across two years:
2024-12-30 belongs to 2025-W01.

Pure, standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

_WEEK_TEXT = re.compile(r"^(\d{4})-W(\d{2})$")
_ONE_WEEK = timedelta(days=7)


@dataclass(frozen=True, order=True, slots=True)
class IsoWeek:
    """One ISO 8601 week, ordered chronologically (year first, then week).

    Attributes:
        year: the ISO year (may differ from the calendar year of some of its days).
        week: 1..52 or 1..53, depending on the year.
    """

    year: int
    week: int

    def __post_init__(self) -> None:
        # date.fromisocalendar knows which years have a week 53.
        try:
            date.fromisocalendar(self.year, self.week, 1)
        except (ValueError, TypeError) as error:
            raise ValueError(f"no ISO week {self.week} in year {self.year}: {error}") from None

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Parse ``"2025-W20"`` (four-digit year, ``-W``, two-digit week).

        Raises:
            ValueError: on any other shape or on a week the year does not have
                (``"2025-W53"``: 2025 has 52 ISO weeks).
        """
        if not isinstance(text, str):
            raise ValueError(f"ISO week must be text like '2025-W20', got {text!r}")
        match = _WEEK_TEXT.match(text.strip())
        if match is None:
            raise ValueError(f"ISO week must look like '2025-W20', got {text!r}")
        year, week = int(match.group(1)), int(match.group(2))
        try:
            return cls(year, week)
        except ValueError:
            raise ValueError(f"{text!r} is not a week: year {year} has no week {week}") from None

    @classmethod
    def containing(cls, moment: datetime | date) -> IsoWeek:
        """The week that contains a date or an aware datetime (taken in UTC).

        Naive datetimes are refused: a time without a zone could belong to either of two
        weeks near midnight on Sunday, and rewards must not depend on a server's zone.
        """
        if isinstance(moment, datetime):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"datetime {moment.isoformat()} has no time zone; give UTC")
            day = moment.astimezone(UTC).date()
        else:
            day = moment
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        """The first day of the week."""
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def start(self) -> datetime:
        """Monday 00:00:00 UTC, inclusive."""
        return datetime.combine(self.monday, time(0, 0), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The next Monday 00:00:00 UTC, exclusive: ``start <= t < end`` is in the week."""
        return self.start + _ONE_WEEK

    def days(self) -> tuple[date, ...]:
        """The seven dates Monday..Sunday (per-day limits are counted on these UTC days)."""
        first = self.monday
        return tuple(first + timedelta(days=offset) for offset in range(7))

    def contains(self, moment: datetime | date) -> bool:
        """Whether a date or aware datetime falls in this week."""
        return IsoWeek.containing(moment) == self

    def next(self) -> IsoWeek:
        """The week after this one (crossing years correctly)."""
        return IsoWeek.containing(self.monday + _ONE_WEEK)

    def previous(self) -> IsoWeek:
        """The week before this one (crossing years correctly)."""
        return IsoWeek.containing(self.monday - _ONE_WEEK)
