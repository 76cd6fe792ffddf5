"""The one place SysTok reads "now".

Every wall-clock read in the code goes through :func:`now` or :func:`now_us` (or takes
"now" as a parameter from a caller that did). Tests freeze or move this clock with
``time-machine`` (which patches the standard library's clocks underneath), so no result
depends on the day the suite happens to run. Durations (``time.perf_counter``,
``time.monotonic``) are not "now" and stay where they are measured.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> datetime:
    """The current moment as an aware UTC datetime."""
    return datetime.now(UTC)


def now_us() -> int:
    """The current moment in integer microseconds since the Unix epoch (UTC)."""
    return time.time_ns() // 1000
