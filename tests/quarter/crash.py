"""A quarterly run that crashes right after a chosen stage commits, to prove resume."""

from __future__ import annotations

from typing import Any

from systok.core.quarters import Quarter
from systok.quarter.schemas import Stage
from systok.quarter.service import QuarterRun


class SimulatedCrash(RuntimeError):
    """Raised right after a stage committed."""


class CrashingQuarterRun(QuarterRun):
    """``QuarterRun`` that stops with ``SimulatedCrash`` after ``crash_after`` commits."""

    def __init__(self, *args: Any, crash_after: Stage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crash_after = crash_after

    def step(self, run_id: int, quarter: Quarter) -> Stage:
        reached = super().step(run_id, quarter)
        if reached == self.crash_after.next:
            raise SimulatedCrash(f"crashed after {self.crash_after}")
        return reached
