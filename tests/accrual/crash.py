"""A weekly run that crashes right after a chosen stage commits, to prove resume.

The run commits each stage through ``WeeklyRun.step``; this subclass raises
``SimulatedCrash`` once the chosen stage's commit is done, as a killed process would
stop there.
"""

from __future__ import annotations

from typing import Any

from systok.accrual.schemas import Stage
from systok.accrual.service import WeeklyRun
from systok.core.weeks import IsoWeek


class SimulatedCrash(RuntimeError):
    """Raised right after a stage committed."""


class CrashingRun(WeeklyRun):
    """``WeeklyRun`` that stops with ``SimulatedCrash`` after ``crash_after`` commits."""

    def __init__(self, *args: Any, crash_after: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crash_after = Stage(crash_after)

    def step(self, run_id: int, week: IsoWeek) -> Stage:
        reached = super().step(run_id, week)
        if reached == self.crash_after.next:
            raise SimulatedCrash(f"crashed after {self.crash_after}")
        return reached
