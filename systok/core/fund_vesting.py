"""Fund vesting: how a grant of tokens is released quarter by quarter [SPEC §4, 001
§Эмиссия и распределение].

The startup fund's share of each emission vests over the policy's
``funds.split.startup.vesting_days`` (3–5 years; 1 095 days in the shipped policies),
and what members buy in the initial sale over ``initial_sale.vesting_days`` (1 year).
Any fund with a non-zero ``vesting_days`` is treated the same way.

A *grant* is ``units`` base units that vest linearly by whole UTC days over
``vesting_days`` days, the first of which is ``start``. By the end of day ``d``:

    elapsed(d) = min(max(d − start + 1, 0), vesting_days)   (schedule days completed)
    vested(d)  = floor(units × elapsed(d) / vesting_days)

and a grant with ``vesting_days = 0`` has vested whole by the end of ``start`` (nothing
before). Rounding: floor of the *cumulative* amount, so a release is never more than
what has vested and the remainders do not pile up; on the last schedule day
(``start + vesting_days − 1``) the fraction is 1 and ``vested`` is exactly ``units``,
so the last release carries what the floors held back and the releases add up to the
grant exactly.

A quarter ``q`` releases what vested during its days:

    released(q) = vested(q.last_day) − vested(q.first_day − 1 day)

Pure: standard library and ``systok.core`` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from systok.core.policy.model import Policy
from systok.core.quarters import Quarter

__all__ = [
    "Grant",
    "Release",
    "fund_grant",
    "initial_sale_grant",
    "release_schedule",
    "released_in",
    "tranche",
    "vested_by",
]


@dataclass(frozen=True, slots=True)
class Grant:
    """Units that vest linearly by day from 00:00 UTC of ``start`` over ``vesting_days``.

    Raises:
        ValueError: for a negative ``units`` or ``vesting_days``, naming the field.
    """

    units: int
    start: date
    vesting_days: int

    def __post_init__(self) -> None:
        for name in ("units", "vesting_days"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")

    @property
    def completed_on(self) -> date:
        """The schedule's last day: by its end the whole grant has vested (``start``
        itself when ``vesting_days`` is 0)."""
        return self.start + timedelta(days=max(self.vesting_days, 1) - 1)


def vested_by(grant: Grant, day: date) -> int:
    """Units vested by the end of ``day``: ``floor(units × elapsed / vesting_days)``."""
    if day < grant.start:
        return 0
    if day >= grant.completed_on:
        return grant.units
    elapsed = (day - grant.start).days + 1
    return grant.units * elapsed // grant.vesting_days


def released_in(grant: Grant, quarter: Quarter) -> int:
    """Units the grant releases in ``quarter``: vested by its last day minus vested by
    the day before its first."""
    before = quarter.first_day - timedelta(days=1)
    return vested_by(grant, quarter.last_day) - vested_by(grant, before)


def tranche(grants: Iterable[Grant], quarter: Quarter) -> int:
    """What a grantee's grants release together in ``quarter``: Σ ``released_in``.

    The quarterly run posts this as one entry per grantee and quarter (ADR 0033); each
    grant is floored on its own cumulative schedule, so the sum is exact per grant.
    """
    return sum(released_in(grant, quarter) for grant in grants)


def catch_up(grants: Iterable[Grant], quarter: Quarter, released_before: int) -> int:
    """What a grantee is owed at ``quarter``'s close: Σ vested by its last day minus what
    earlier quarters already released (ADR 0041).

    For a grantee whose every earlier quarter ran, ``released_before`` is Σ vested by the
    previous quarter's last day, so this equals ``tranche`` (the quarter's own slice); a
    quarter that was skipped is caught up by the next one that runs, so no token stays
    locked for good. Never negative (a release is never taken back).
    """
    vested = sum(vested_by(grant, quarter.last_day) for grant in grants)
    return max(vested - released_before, 0)


@dataclass(frozen=True, slots=True)
class Release:
    """What one quarter releases of a grant."""

    quarter: Quarter
    units: int


def release_schedule(grant: Grant) -> tuple[Release, ...]:
    """Every quarter from the one the grant starts in to the one it completes in, with
    its release (a quarter may release 0 when the grant is small); Σ units = the grant.

    A grant with ``vesting_days = 0`` is released whole in the quarter of ``start``.
    """
    first = Quarter.containing(grant.start)
    last = Quarter.containing(grant.completed_on)
    releases = []
    quarter = first
    while quarter <= last:
        releases.append(Release(quarter, released_in(grant, quarter)))
        quarter = quarter.next()
    return tuple(releases)


def fund_grant(policy: Policy, fund: str, units: int, start: date) -> Grant:
    """A fund's share of one emission as a grant, vesting over the fund's
    ``funds.split.<fund>.vesting_days`` (0: released at once).

    Raises:
        ValueError: when the policy has no such fund.
    """
    split = policy.funds.split
    if fund not in split:
        raise ValueError(f"fund {fund!r} is not in the policy's funds.split ({sorted(split)})")
    return Grant(units, start, split[fund].vesting_days)


def initial_sale_grant(policy: Policy, units: int, start: date) -> Grant:
    """A member's initial-sale purchase as a grant over ``initial_sale.vesting_days``.

    Raises:
        ValueError: when the policy has no ``[initial_sale]``.
    """
    sale = policy.initial_sale
    if sale is None:
        raise ValueError(f"policy {policy.version} has no initial_sale section")
    return Grant(units, start, sale.vesting_days)
