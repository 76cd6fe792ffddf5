"""Why a member got exactly this many tokens: the breakdown, rendered on demand.

A run stores each reward's numbers (points, units, pro-rata, the carried streak or
rank), not its breakdown. The breakdown is a pure function of what the run collected,
the member's profile and the policy, so ``explain_reward`` re-scores the member with
the reference scorer (``score_week``, day by day and type by type) from the events as
they stood at collect, and checks the result against the stored reward. Rendering on
demand instead of storing several KB of JSON per member is what lets a week of
100 000 members settle in seconds (ADR 0009); ``systok verify`` replays every member
the same way, so what is explained is what was paid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import Field, dataclass, fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from functools import cache
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.accrual import repository as repo
from systok.accrual.score import reference_scores
from systok.core.policy import Policy, WeightedDailyCaps
from systok.core.scoring import Ineligible, WeeklyScore
from systok.core.times import day_of_date, us_to_iso
from systok.core.weeks import IsoWeek
from systok.db.engine import run_transaction
from systok.errors import RunError
from systok.ingest.repository import find_member


@dataclass(frozen=True)
class Explanation:
    """A stored reward with the breakdown that produces it.

    Attributes:
        reward: the stored row (points, units, paid_units, streak or rank).
        score: the reference scorer's full breakdown of the member's week.
        prorata: the run's pro-rata factor ("paid/wanted"), or None.
        matches: the breakdown reproduces the stored points and units exactly; False
            means the stored reward or the events changed since (run ``verify``).
    """

    reward: Any
    score: WeeklyScore
    prorata: str | None
    matches: bool

    def as_json(self) -> dict[str, Any]:
        """The breakdown as plain JSON values (decimals as strings), for APIs."""
        data: dict[str, Any] = breakdown(self.score)
        data["paid_units"] = int(self.reward.paid_units)
        data["prorata"] = self.prorata
        data["matches_stored"] = self.matches
        return data


def explain_reward(
    session: Session, policy: Policy, run: Any, member_id: str
) -> Explanation | None:
    """The breakdown of ``member_id``'s reward in ``run``, or None if the run paid none."""
    reward = repo.member_reward(session, run.id, member_id)
    if reward is None:
        return None
    week = IsoWeek.parse(run.week)
    first = day_of_date(week.monday)
    if isinstance(policy.scoring, WeightedDailyCaps):
        counts = repo.recount_week(
            session, first, first + 6, run.collected_at_us, members=[member_id]
        )
    else:
        counts = repo.run_counts(session, run.id, member_id)
    score = reference_scores(session, policy, week, {member_id: counts.get(member_id, {})})[
        member_id
    ]
    matches = score.units == reward.units and score.points == Decimal(reward.points)
    return Explanation(reward, score, run.prorata, matches)


def explain_week(
    session: Session, policy: Policy, week: str, member_ids: list[str]
) -> dict[str, Explanation | None]:
    """``explain_reward`` of several members in the week's run under ``policy`` (empty
    when the week has no run)."""
    run = repo.find_run(session, week, policy.version)
    if run is None:
        return {}
    return {m: explain_reward(session, policy, run, m) for m in member_ids}


INELIGIBLE_LABELS = {
    Ineligible.NOT_REWARDED.value: "earns nothing by policy",
    Ineligible.NO_PAID_MEMBERSHIP.value: "no paid membership that day",
}
"""What a person reads for each ``ineligible_reason``: a type the policy gives no value
(weight 0, such as PageView) is not the member's fault, so it is not "ineligible"."""


def breakdown(score: WeeklyScore) -> dict[str, Any]:
    """The score's full breakdown as plain JSON values.

    Each line also carries ``ineligible_label``, the reason in words (``"earns nothing
    by policy"`` for a weight-0 type), or None when every event counted.
    """
    plain: dict[str, Any] = _plain(score)
    for day in plain["days"]:
        for line in day["lines"]:
            line["ineligible_label"] = INELIGIBLE_LABELS.get(line["ineligible_reason"] or "")
    return plain


def level_multipliers(score: WeeklyScore) -> list[dict[str, Any]]:
    """Each day's qualification level and the multiplier applied to its base points.

    ``weighted_daily_caps``: the level's coefficient; ``rank_ladder``: the rank's
    multiplier (``kind`` says which). ``level_assumed`` is true when the member had no
    level that day and the policy's lowest was used.
    """
    kind = "rank_multiplier" if score.rank is not None else "qualification_coefficient"
    return [
        {
            "date": day.calendar_date.isoformat(),
            "level": day.level,
            "level_name": day.level_name,
            "level_assumed": day.level_assumed,
            "multiplier": str(day.coefficient),
            "kind": kind,
        }
        for day in score.days
    ]


def vesting_of(session: Session, run_id: int, member_id: str) -> list[dict[str, Any]]:
    """The member's frozen parts of this run's reward: type, units, unlock date, status."""
    return [
        {
            "grant": row.id,
            "event_type": row.event_type,
            "units": int(row.units),
            "unlock_at": us_to_iso(row.unlock_at_us),
            "status": row.status,
        }
        for row in repo.member_grants(session, run_id, member_id)
    ]


def explain_member(
    engine: Engine, policy: Policy, run: Any, member_id: str
) -> tuple[Explanation | None, list[dict[str, Any]]]:
    """``systok explain``: the member's breakdown in ``run`` and their vesting grants,
    read in one snapshot (None: the run paid the member nothing).

    Raises:
        RunError: no member has this platform id (exit 1, like a member who earned
            nothing: ``explain`` answers about a run, and the run has no such member).
    """

    def read(session: Session) -> tuple[Explanation | None, list[dict[str, Any]]]:
        if find_member(session, member_id) is None:
            raise RunError(f"unknown member {member_id!r}: no member has this platform id")
        explained = explain_reward(session, policy, run, member_id)
        vesting = vesting_of(session, run.id, member_id) if explained is not None else []
        return explained, vesting

    return run_transaction(engine, read, snapshot=True)


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal | Fraction):
        return str(value)
    if isinstance(value, IsoWeek):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and mappings as plain JSON values (no copies, unlike asdict)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in _fields_of(type(value))}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | str):
        return value
    return _encode(value)


@cache
def _fields_of(kind: type) -> tuple[Field[Any], ...]:
    return fields(kind)
