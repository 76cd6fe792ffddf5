"""One clock: every read of "now" goes through ``systok.clock``, which tests can move."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

import systok
from systok import clock
from systok.accrual import service as accrual_service
from systok.core.times import datetime_to_us
from systok.ingest import service as ingest_service
from systok.ledger import steps as ledger_steps
from tests.conftest import frozen_today

WALL_CLOCK_READS = re.compile(
    r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|time\.time\(|time\.time_ns\(|"
    r"time\.localtime\(|time\.gmtime\("
)


def test_nothing_but_systok_clock_reads_the_wall_clock():
    """Durations (perf_counter, monotonic) are fine; "now" has one source."""
    package = Path(systok.__file__).parent
    offenders = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "clock.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WALL_CLOCK_READS.search(line)
    ]
    assert offenders == []


def test_every_now_us_follows_the_clock():
    moment = datetime(2028, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        assert clock.now() == moment and clock.now().tzinfo is not None
        expected = datetime_to_us(moment)
        assert clock.now_us() == expected
        assert ledger_steps.now_us() == expected
        assert ingest_service.now_us() == expected
        assert accrual_service.now_us() == expected


@pytest.mark.clock
def test_clock_marked_tests_run_on_systok_test_today():
    day = frozen_today()
    if day is None:
        pytest.skip("SYSTOK_TEST_TODAY is not set: this run is on the real date")
    assert clock.now().date() == day and clock.now().hour == 12
