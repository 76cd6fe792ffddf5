"""What a stage of the quarterly run is given, and the one handler signature."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.times import datetime_to_us, day_of_date


@dataclass(frozen=True)
class StageContext:
    """One stage's unit of work and what the run knows."""

    session: Session
    policy: Policy
    run: Any
    """The run row as locked for this stage."""
    quarter: Quarter
    clock: Callable[[], int]

    @property
    def last_day(self) -> int:
        """The quarter's last UTC day number."""
        return day_of_date(self.quarter.last_day)

    @property
    def end_us(self) -> int:
        """The quarter's close: its first instant after, in microseconds."""
        return datetime_to_us(self.quarter.end)


StageHandler = Callable[[StageContext], None]
