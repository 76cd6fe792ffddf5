"""ISO weeks: parsing, bounds in UTC, ordering, and crossing year ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from systok.core.weeks import IsoWeek


def test_parse_and_str_round_trip() -> None:
    week = IsoWeek.parse("2025-W20")
    assert week == IsoWeek(2025, 20)
    assert str(week) == "2025-W20"
    assert str(IsoWeek(2026, 1)) == "2026-W01"


@pytest.mark.parametrize(
    "text",
    ["2025-20", "2025W20", "2025-W5", "25-W20", "2025-W00", "2025-W53", "", "2025-w20", "x"],
)
def test_parse_refuses_bad_text(text: str) -> None:
    with pytest.raises(ValueError, match=r"2025-W20|week"):
        IsoWeek.parse(text)


def test_week_53_exists_only_in_long_years() -> None:
    assert IsoWeek.parse("2020-W53").days()[-1] == date(2021, 1, 3)
    with pytest.raises(ValueError, match="no week 53"):
        IsoWeek.parse("2025-W53")
    with pytest.raises(ValueError):
        IsoWeek(2025, 0)


def test_start_and_end_are_monday_midnight_utc() -> None:
    week = IsoWeek(2025, 20)
    assert week.start == datetime(2025, 5, 12, tzinfo=UTC)
    assert week.end == datetime(2025, 5, 19, tzinfo=UTC)
    assert week.end - week.start == timedelta(days=7)
    assert week.start.tzinfo is UTC


def test_days_are_monday_to_sunday() -> None:
    days = IsoWeek(2025, 1).days()
    assert len(days) == 7
    assert days[0] == date(2024, 12, 30)  # ISO 2025-W01 starts in calendar 2024
    assert days[-1] == date(2025, 1, 5)
    assert [d.isoweekday() for d in days] == [1, 2, 3, 4, 5, 6, 7]


def test_ordering_is_chronological() -> None:
    weeks = [IsoWeek(2026, 1), IsoWeek(2025, 52), IsoWeek(2025, 3)]
    assert sorted(weeks) == [IsoWeek(2025, 3), IsoWeek(2025, 52), IsoWeek(2026, 1)]
    assert IsoWeek(2025, 9) < IsoWeek(2025, 10)


def weeks_until(first: IsoWeek, other: IsoWeek) -> int:
    """How many weeks ``other`` is after ``first`` (negative when before)."""
    return (other.monday - first.monday).days // 7


def test_next_and_previous_cross_year_ends() -> None:
    assert IsoWeek(2025, 52).next() == IsoWeek(2026, 1)
    assert IsoWeek(2026, 1).previous() == IsoWeek(2025, 52)
    assert IsoWeek(2020, 53).next() == IsoWeek(2021, 1)
    assert IsoWeek(2021, 1).previous() == IsoWeek(2020, 53)
    assert IsoWeek(2025, 20).next().previous() == IsoWeek(2025, 20)
    assert weeks_until(IsoWeek(2025, 50), IsoWeek(2026, 2)) == 4


def test_containing_dates_and_aware_datetimes() -> None:
    assert IsoWeek.containing(date(2025, 5, 18)) == IsoWeek(2025, 20)  # a Sunday
    last_second = datetime(2025, 5, 18, 23, 59, 59, tzinfo=UTC)
    assert IsoWeek.containing(last_second) == IsoWeek(2025, 20)
    assert IsoWeek.containing(last_second + timedelta(seconds=1)) == IsoWeek(2025, 21)
    # 01:00 Monday in UTC+3 is still Sunday in UTC: the zone is respected.
    moscow = timezone(timedelta(hours=3))
    assert IsoWeek.containing(datetime(2025, 5, 19, 1, 0, tzinfo=moscow)) == IsoWeek(2025, 20)
    assert IsoWeek(2025, 20).contains(date(2025, 5, 12))
    assert not IsoWeek(2025, 20).contains(date(2025, 5, 19))


def test_containing_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="time zone"):
        IsoWeek.containing(datetime(2025, 5, 18, 12, 0))


def test_weeks_are_frozen_and_hashable() -> None:
    week = IsoWeek(2025, 20)
    assert {week: 1}[IsoWeek.parse("2025-W20")] == 1
    with pytest.raises(AttributeError):
        week.week = 21  # type: ignore[misc]
