"""Calendar quarters: parsing, edges, ordering and closing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.core.quarters import YEAR_MAX, YEAR_MIN, Quarter


@pytest.mark.parametrize(
    ("text", "first", "last", "days"),
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), 90),
        ("2028-Q1", date(2028, 1, 1), date(2028, 3, 31), 91),  # leap year
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30), 91),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30), 92),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), 92),
    ],
)
def test_each_quarter_has_its_calendar_months(
    text: str, first: date, last: date, days: int
) -> None:
    quarter = Quarter.parse(text)
    assert (quarter.first_day, quarter.last_day, quarter.days) == (first, last, days)
    assert str(quarter) == text
    assert quarter.start == datetime(first.year, first.month, 1, tzinfo=UTC)
    assert quarter.end == quarter.start + timedelta(days=days)


@pytest.mark.parametrize("text", ["2026-Q0", "2026-Q5", "2026Q1", "26-Q1", "2026-q1", "", "Q1"])
def test_other_shapes_are_refused_naming_the_input(text: str) -> None:
    with pytest.raises(ValueError, match="quarter must look like '2026-Q3'"):
        Quarter.parse(text)


def test_the_close_is_the_next_quarters_first_instant() -> None:
    q4 = Quarter(2026, 4)
    assert q4.next() == Quarter(2027, 1) and Quarter(2027, 1).previous() == q4
    last_moment = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert q4.contains(last_moment) and not q4.is_closed_at(last_moment)
    assert q4.is_closed_at(q4.end) and Quarter.last_closed(q4.end) == q4
    assert Quarter.last_closed(last_moment) == Quarter(2026, 3)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        Quarter.containing(datetime(2026, 1, 1))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9000, 12, 31)))
def test_every_day_falls_in_exactly_the_quarter_that_spans_it(day: date) -> None:
    quarter = Quarter.containing(day)
    assert quarter.first_day <= day <= quarter.last_day
    assert quarter.previous() < quarter < quarter.next()
    assert quarter.previous().next() == quarter
    assert Quarter.parse(str(quarter)) == quarter


@given(st.integers(min_value=YEAR_MIN, max_value=YEAR_MAX), st.integers(min_value=1, max_value=4))
def test_every_quarter_in_range_prints_parses_and_has_edges(year: int, number: int) -> None:
    """Over the whole year range, including 0001-Q1 and 9998-Q4: the text has four
    year digits (the API's pattern), parses back, and start/end/days never raise."""
    quarter = Quarter(year, number)
    text = str(quarter)
    assert len(text) == len("2026-Q3") and Quarter.parse(text) == quarter
    assert quarter.start < quarter.end and quarter.days in (90, 91, 92)
    assert quarter.last_day < quarter.end.date() and quarter.contains(quarter.last_day)


def test_the_edges_of_the_range() -> None:
    """0001-Q1 prints with four digits; 9998-Q4 closes at 9999-01-01 00:00 UTC (92 days:
    October 31 + November 30 + December 31); neither has a neighbour out of range."""
    assert str(Quarter(1, 1)) == "0001-Q1"
    last = Quarter.parse("9998-Q4")
    assert last.end == datetime(9999, 1, 1, tzinfo=UTC) and last.days == 92
    assert last.last_day == date(9998, 12, 31)
    with pytest.raises(ValueError, match="out of range"):
        last.next()
    with pytest.raises(ValueError, match="out of range"):
        Quarter(1, 1).previous()
    with pytest.raises(ValueError, match="out of range"):
        Quarter.parse("9999-Q1")
