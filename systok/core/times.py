"""Time as integers: microseconds and day numbers since the Unix epoch, always UTC.

Events, holds and journal entries carry ``*_at_us`` (microseconds); per-day caps group
by ``day`` (days since 1970-01-01 UTC). Integers compare and hash the same on every
backend and in every session time zone, which dates and timestamps do not
(MEASUREMENTS.md: SQLite date pitfalls, session time zones moving day boundaries).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_DAY = 86_400_000_000
_EPOCH_DATE = date(1970, 1, 1)


class TimeError(ValueError):
    """A timestamp or date could not be read exactly."""


def parse_utc_us(text: str) -> int:
    """Parse an ISO 8601 timestamp *with* a zone (``Z`` or ``+03:00``) into UTC micros.

    A timestamp without a zone is refused: guessing the zone moves events between days.
    """
    if not isinstance(text, str):
        raise TimeError(f"{text!r} is not a timestamp string")
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise TimeError(f"{text!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise TimeError(f"{text!r} has no time zone (add Z for UTC)")
    return datetime_to_us(moment)


def datetime_to_us(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact)."""
    if moment.tzinfo is None:
        raise TimeError("naive datetimes are refused; give a time zone")
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def us_to_datetime(micros: int) -> datetime:
    """Integer microseconds as an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=micros)


def us_to_iso(micros: int) -> str:
    """``2025-05-14T09:03:11.000000Z``."""
    return us_to_datetime(micros).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def day_of_us(micros: int) -> int:
    """The UTC day number of a moment (floor division: correct before 1970 too)."""
    return micros // MICROS_PER_DAY


def day_of_date(day: date) -> int:
    """The day number of a calendar date."""
    return (day - _EPOCH_DATE).days


def date_of_day(day: int) -> date:
    """The calendar date of a day number."""
    return _EPOCH_DATE + timedelta(days=day)


def parse_date_day(text: str) -> int:
    """Parse ``YYYY-MM-DD`` into a day number."""
    try:
        return day_of_date(date.fromisoformat(text))
    except (TypeError, ValueError):
        raise TimeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
