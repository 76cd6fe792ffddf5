"""Calendar quarters in UTC: the period of the quarterly economy.

Redistribution, fund vesting, the directive price, health and stabilisation all run once
per quarter [002 §Перераспределение, 001 §Котировка]. A quarter runs from the first day
of its first month 00:00:00 UTC to the first day of the next quarter (exclusive), so
"at the quarter's close" is one instant, ``Quarter.end``. Quarters are calendar
quarters (Q1 = January–March), not ISO-week quarters: prices and reports are read by
people who count in calendar quarters.

Pure, standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

_QUARTER_TEXT = re.compile(r"^(\d{4})-Q([1-4])$")
MONTHS_PER_QUARTER = 3
QUARTERS_PER_YEAR = 4
YEAR_MIN = 1
YEAR_MAX = 9998
"""The years a quarter may have: the close of 9998-Q4 (9999-01-01) is still a
``datetime``; 9999-Q4's would not be, so 9999 is refused rather than half-working."""


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    """One calendar quarter, ordered chronologically.

    Attributes:
        year: the calendar year.
        number: 1..4 (Q1 = January–March).
    """

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= QUARTERS_PER_YEAR:
            raise ValueError(f"a quarter is numbered 1..4, got {self.number}")
        if not YEAR_MIN <= self.year <= YEAR_MAX:
            raise ValueError(f"year {self.year} is out of range {YEAR_MIN}..{YEAR_MAX}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``"2026-Q3"`` (four-digit year, ``-Q``, one digit 1..4).

        Raises:
            ValueError: on any other shape, naming what was given.
        """
        if not isinstance(text, str):
            raise ValueError(f"a quarter must be text like '2026-Q3', got {text!r}")
        match = _QUARTER_TEXT.match(text.strip())
        if match is None:
            raise ValueError(f"a quarter must look like '2026-Q3', got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, moment: datetime | date) -> Quarter:
        """The quarter a UTC moment (or a calendar day) falls in.

        Raises:
            ValueError: for a naive datetime (its zone would be a guess).
        """
        if isinstance(moment, datetime):
            if moment.tzinfo is None:
                raise ValueError("a naive datetime has no zone; pass an aware UTC datetime")
            moment = moment.astimezone(UTC).date()
        return cls(moment.year, (moment.month - 1) // MONTHS_PER_QUARTER + 1)

    @classmethod
    def last_closed(cls, now: datetime) -> Quarter:
        """The latest quarter that has ended at ``now`` (the one before ``now``'s)."""
        return cls.containing(now).previous()

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.number}"

    @property
    def first_day(self) -> date:
        """The quarter's first calendar day."""
        return date(self.year, (self.number - 1) * MONTHS_PER_QUARTER + 1, 1)

    @property
    def last_day(self) -> date:
        """The quarter's last calendar day."""
        return date.fromordinal(self._next_first_day.toordinal() - 1)

    @property
    def start(self) -> datetime:
        """The first instant of the quarter (UTC), inclusive."""
        return datetime.combine(self.first_day, time(0), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The quarter's close: the first instant after it (UTC), exclusive."""
        return datetime.combine(self._next_first_day, time(0), tzinfo=UTC)

    @property
    def days(self) -> int:
        """How many calendar days the quarter has (90, 91 or 92)."""
        return self._next_first_day.toordinal() - self.first_day.toordinal()

    @property
    def _next_first_day(self) -> date:
        """The first day after the quarter, built from the calendar rather than from
        ``next()``: the last quarter in range (9998-Q4) has no next quarter, yet its
        close, 9999-01-01, is a real day."""
        if self.number == QUARTERS_PER_YEAR:
            return date(self.year + 1, 1, 1)
        return date(self.year, self.number * MONTHS_PER_QUARTER + 1, 1)

    def contains(self, moment: datetime | date) -> bool:
        """Whether a UTC moment or a calendar day falls in this quarter."""
        return Quarter.containing(moment) == self

    def next(self) -> Quarter:
        """The quarter after this one.

        Raises:
            ValueError: for 9998-Q4, the last quarter in range.
        """
        if self.number == QUARTERS_PER_YEAR:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        """The quarter before this one.

        Raises:
            ValueError: for 0001-Q1, the first quarter in range.
        """
        if self.number == 1:
            return Quarter(self.year - 1, QUARTERS_PER_YEAR)
        return Quarter(self.year, self.number - 1)

    def is_closed_at(self, now: datetime) -> bool:
        """Whether the quarter has ended at ``now`` (its close is not after ``now``)."""
        return self.end <= now
