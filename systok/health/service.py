"""Health readings of closed periods: computed from the ledger once, then kept (ADR 0028).

``period_health`` is what the quarterly run's health stage, the weekly run's last stage
(the weekly history, ADR 0036), ``systok health`` and ``GET /tokenomics/stats/health``
call: for a closed quarter or ISO week it returns the
stored readings, or computes them (``core.health.health_of`` on
``repository.health_inputs``), stores them and returns them. A closed period's readings
never change: the first computation stands, whoever asks later and under whatever policy.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from sqlalchemy.orm import Session

from systok.core.amount import STK
from systok.core.health import HealthInputs, HealthStatus, health_of
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.times import us_to_datetime
from systok.core.weeks import IsoWeek
from systok.errors import HealthPeriodInvalid, HealthPeriodOpen
from systok.health import repository as repo
from systok.health.schemas import QUARTER, WEEK, Period, PeriodHealth, StoredReading
from systok.policy_files import policy_for_week


def parse_period(text: str) -> Period:
    """A quarter (``2026-Q3``) or an ISO week (``2026-W05``).

    Raises:
        HealthPeriodInvalid: the text is neither, naming the field and the reason.
    """
    cleaned = text.strip().upper()
    try:
        if "-Q" in cleaned:
            return Period(QUARTER, Quarter.parse(cleaned))
        return Period(WEEK, IsoWeek.parse(cleaned))
    except ValueError as error:
        raise HealthPeriodInvalid(
            f"period: {text!r} is neither a quarter like 2026-Q3 nor an ISO week like "
            f"2026-W05 ({error})"
        ) from None


def last_closed_week(now: datetime) -> Period:
    """The ISO week before the one holding ``now``: the last closed week."""
    return Period(WEEK, IsoWeek.containing(now).previous())


def period_policy(period: Period) -> Policy:
    """The policy in force for the period's last week: the one that rates it."""
    return policy_for_week(period.last_week)


def period_health(session: Session, policy: Policy, period: Period, *, now_us: int) -> PeriodHealth:
    """The period's readings: stored ones as they are, else computed now and stored.

    Raises:
        HealthPeriodOpen: the period has not closed at ``now_us`` (nothing is written).
    """
    if period.end_us > now_us:
        closes = us_to_datetime(period.end_us).isoformat()
        raise HealthPeriodOpen(
            f"period: {period} is still open (it closes {closes}); "
            "its health is computed after the close (nothing was written)"
        )
    stored = _stored(session, period)
    if stored:
        return PeriodHealth(period, stored, computed_now=False)
    inputs = _inputs(session, period)
    repo.insert_readings(
        session,
        [
            {
                "period_kind": period.kind,
                "period": str(period),
                "metric": reading.metric,
                "unit": reading.unit,
                "numerator": None if reading.value is None else str(reading.value.numerator),
                "denominator": None if reading.value is None else str(reading.value.denominator),
                "status": reading.status.value,
                "policy_version": policy.version,
                "policy_hash": policy.content_hash,
                "computed_at_us": now_us,
            }
            for reading in health_of(policy, inputs)
        ],
    )
    return PeriodHealth(period, _stored(session, period), computed_now=True)


def weekly_history(session: Session, limit: int) -> list[PeriodHealth]:
    """The stored weekly readings, newest week first, at most ``limit`` weeks: the
    history the weekly run's last stage keeps (ADR 0036). Reads only; computes nothing."""
    weeks = [
        Period(WEEK, IsoWeek.parse(text)) for text in repo.stored_periods(session, WEEK, limit)
    ]
    return [PeriodHealth(week, _stored(session, week), computed_now=False) for week in weeks]


def verify_readings(session: Session, policy: Policy, period: Period) -> list[str]:
    """The stored readings of a period recomputed from the ledger; each difference named.

    Values are compared always; statuses and units only for readings stored under
    ``policy`` (same hash). No stored readings: nothing to compare (an empty list).
    """
    stored = {r.metric: r for r in _stored(session, period)}
    if not stored:
        return []
    differences = []
    for want in health_of(policy, _inputs(session, period)):
        got = stored.pop(want.metric, None)
        if got is None:
            differences.append(f"health {period} {want.metric}: not stored")
            continue
        if got.value != want.value:
            differences.append(
                f"health {period} {want.metric}: stored value {got.value}, "
                f"the ledger gives {want.value}"
            )
        same_policy = got.policy_hash == policy.content_hash
        if same_policy and (got.status, got.unit) != (want.status, want.unit):
            differences.append(
                f"health {period} {want.metric}: stored {got.status.value} ({got.unit}), "
                f"the policy gives {want.status.value} ({want.unit})"
            )
    differences.extend(f"health {period} {name}: stored, not a metric" for name in sorted(stored))
    return differences


def _inputs(session: Session, period: Period) -> HealthInputs:
    return repo.health_inputs(
        session,
        STK,
        start_us=period.start_us,
        end_us=period.end_us,
        first_day=period.first_day,
        last_day=period.last_day,
        periods_per_year=period.periods_per_year,
    )


def stored_readings(session: Session, period: Period) -> tuple[StoredReading, ...]:
    """The period's stored readings as they are (none when never computed); writes nothing."""
    return _stored(session, period)


def _stored(session: Session, period: Period) -> tuple[StoredReading, ...]:
    return tuple(
        StoredReading(
            metric=row.metric,
            unit=row.unit,
            value=(
                None
                if row.numerator is None
                else Fraction(int(row.numerator), int(row.denominator))
            ),
            status=HealthStatus(row.status),
            policy_version=row.policy_version,
            policy_hash=row.policy_hash,
            computed_at_us=int(row.computed_at_us),
        )
        for row in repo.readings(session, period.kind, str(period))
    )


def bounds_of(policy: Policy, metric: str) -> dict[str, str | None]:
    """The policy's target and critical bounds of a metric, as decimal text (None: none)."""
    bounds = policy.health.get(metric)

    def text(value: object) -> str | None:
        return None if value is None else str(value)

    if bounds is None:
        return dict.fromkeys(("target_min", "target_max", "critical_below", "critical_above"))
    return {
        "target_min": text(bounds.target_min),
        "target_max": text(bounds.target_max),
        "critical_below": text(bounds.critical_below),
        "critical_above": text(bounds.critical_above),
    }
