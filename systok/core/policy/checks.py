"""Semantic checks on the structure of a policy: levels, streaks, events, tiers, bounds,
stage order and stabilisation triggers.

Each check reads the TOML data *tolerantly* (a missing or mistyped value is skipped,
since pydantic reports it) and adds every problem it finds with its key path, so a
wrong type in one place never hides a wrong sum in another and an author fixes the
file in one pass. They cannot walk the parsed model: there is none when any value is
mistyped, and the one-pass promise is exactly that the other problems still show.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from systok.core.amount import BASIS_POINTS_WHOLE
from systok.core.events import KNOWN_EVENT_TYPES
from systok.core.policy.canonical import decimal_text, key_path
from systok.errors import PolicyProblem


class Problems:
    """Collects problems of one file, each once, in the order found."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[PolicyProblem] = []

    def add(self, parts: tuple[str | int, ...] | list[str | int], reason: str) -> None:
        problem = PolicyProblem(file=self.source, key_path=key_path(parts), reason=reason)
        if problem not in self.items:
            self.items.append(problem)


def table(data: Any, *keys: str) -> dict[str, Any] | None:
    """``data[k1][k2]…`` when every step is a table, else None (tolerant reading)."""
    node = data
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node if isinstance(node, dict) else None


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_number(value: Any) -> Decimal | None:
    """A Decimal when the value is (or spells) a finite number, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _level_keys(levels: dict[str, Any], path: tuple[str, ...], problems: Problems) -> list[int]:
    """Level keys as sorted ints; reports keys that are not numbers or not 1..N."""
    numbers: list[int] = []
    for key in levels:
        if re.fullmatch(r"[1-9][0-9]*", key) is None:
            problems.add((*path, key), "level keys must be whole numbers 1, 2, …")
        else:
            numbers.append(int(key))
    numbers.sort()
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        problems.add(
            path,
            f"levels must be 1..{len(numbers)} without gaps (got {', '.join(map(str, numbers))})",
        )
    return numbers


def check_increasing(
    levels: dict[str, Any],
    numbers: list[int],
    field_name: str,
    path: tuple[str, ...],
    problems: Problems,
) -> None:
    """Each level's ``field_name`` must be strictly greater than the previous level's."""
    previous: tuple[int, Decimal] | None = None
    for number in numbers:
        entry = levels.get(str(number))
        value = as_number(entry.get(field_name)) if isinstance(entry, dict) else None
        if value is None:
            previous = None
            continue
        if previous is not None and value <= previous[1]:
            problems.add(
                (*path, str(number), field_name),
                f"must be greater than level {previous[0]}'s {decimal_text(previous[1])} "
                f"(got {decimal_text(value)}); {field_name} must strictly increase with level",
            )
        previous = (number, value)


def check_bps_sum(shares: dict[str, int | None], path: tuple[str, ...], problems: Problems) -> None:
    values = [v for v in shares.values() if v is not None]
    if len(values) == len(shares) and sum(values) != BASIS_POINTS_WHOLE:
        problems.add(
            path, f"shares sum to {sum(values)} bps; they must sum to {BASIS_POINTS_WHOLE}"
        )


def check_scoring(data: dict[str, Any], problems: Problems) -> None:
    scoring = table(data, "scoring")
    if scoring is None:
        return
    levels = scoring.get("levels")
    if isinstance(levels, dict) and levels:
        numbers = _level_keys(levels, ("scoring", "levels"), problems)
        if scoring.get("model") == "weighted_daily_caps":
            check_increasing(levels, numbers, "coefficient", ("scoring", "levels"), problems)
        elif scoring.get("model") == "rank_ladder":
            for name in ("base_cap_daily", "multiplier"):
                check_increasing(levels, numbers, name, ("scoring", "levels"), problems)
            floor_level = as_int(scoring.get("floor_level"))
            if floor_level is not None and numbers and floor_level not in numbers:
                problems.add(("scoring", "floor_level"), f"level {floor_level} is not defined")
    if scoring.get("model") == "rank_ladder":
        full = as_int(scoring.get("full_week_active_days"))
        idle = as_int(scoring.get("inactive_week_max_active_days"))
        if full is not None and idle is not None and idle >= full:
            problems.add(
                ("scoring", "inactive_week_max_active_days"),
                f"must be below full_week_active_days ({full}) so a week cannot be both",
            )
    check_consistency(scoring, problems)


def check_consistency(scoring: dict[str, Any], problems: Problems) -> None:
    """Consistency weeks start at 1; coefficients never decrease with a longer streak."""
    consistency = scoring.get("consistency")
    if isinstance(consistency, dict) and consistency:
        path = ("scoring", "consistency")
        weeks: list[int] = []
        for key in consistency:
            if re.fullmatch(r"[1-9][0-9]*", key) is None:
                problems.add((*path, key), "keys are weeks in a row: whole numbers from 1")
            else:
                weeks.append(int(key))
        weeks.sort()
        if weeks and weeks[0] != 1:
            problems.add(path, f"weeks must start at 1 (first is {weeks[0]})")
        previous: tuple[int, Decimal] | None = None
        for week in weeks:
            value = as_number(consistency.get(str(week)))
            if value is None:
                previous = None
                continue
            if previous is not None and value < previous[1]:
                problems.add(
                    (*path, str(week)),
                    f"must not be below week {previous[0]}'s {decimal_text(previous[1])} "
                    f"(got {decimal_text(value)}); coefficients must not decrease",
                )
            previous = (week, value)


def check_events(data: dict[str, Any], problems: Problems) -> None:
    events = table(data, "events")
    if events is None:
        return
    reward_types = table(data, "vesting", "reward_types")
    for name, rule in events.items():
        if name not in KNOWN_EVENT_TYPES:
            problems.add(
                ("events", name),
                f"unknown event type {name!r}; known: {', '.join(sorted(KNOWN_EVENT_TYPES))}",
            )
        reward_type = rule.get("reward_type") if isinstance(rule, dict) else None
        if (
            isinstance(reward_type, str)
            and reward_types is not None
            and reward_type not in reward_types
        ):
            problems.add(
                ("events", name, "reward_type"),
                f"reward type {reward_type!r} is not in vesting.reward_types "
                f"({', '.join(sorted(reward_types))})",
            )


def check_slashing(data: dict[str, Any], problems: Problems) -> None:
    tiers = table(data, "slashing")
    tier_list = tiers.get("tiers") if tiers is not None else None
    if not isinstance(tier_list, list):
        return
    previous_to: int | None = 0
    previous_known = True
    for index, tier in enumerate(tier_list):
        if not isinstance(tier, dict):
            previous_known = False
            continue
        path = ("slashing", "tiers", index)
        start, end = as_int(tier.get("from_days")), as_int(tier.get("to_days"))
        if index == 0 and start is not None and start != 0:
            problems.add((*path, "from_days"), f"the first tier must start at 0 (got {start})")
        if index > 0 and start is not None and previous_known:
            if previous_to is None:
                problems.add(path, "comes after an unbounded tier (only the last may omit to_days)")
            elif start < previous_to:
                problems.add(
                    (*path, "from_days"),
                    f"overlaps the previous tier, which ends at {previous_to} (got {start})",
                )
            elif start > previous_to:
                problems.add(
                    (*path, "from_days"),
                    f"leaves a gap after the previous tier, which ends at {previous_to} "
                    f"(got {start})",
                )
        if start is not None and end is not None and end <= start:
            problems.add((*path, "to_days"), f"must be greater than from_days {start} (got {end})")
        previous_to = end if "to_days" in tier else None
        previous_known = end is not None or "to_days" not in tier
    if tier_list and isinstance(tier_list[-1], dict) and "to_days" in tier_list[-1]:
        problems.add(
            ("slashing", "tiers", len(tier_list) - 1, "to_days"),
            "the last tier must have no to_days, so every inactivity length has a tier",
        )


def check_health(data: dict[str, Any], problems: Problems) -> None:
    health = table(data, "health")
    if health is None:
        return
    for name, metric in health.items():
        if not isinstance(metric, dict):
            continue
        bounds = {
            key: as_number(metric.get(key))
            for key in ("target_min", "target_max", "critical_below", "critical_above")
        }
        t_min, t_max = bounds["target_min"], bounds["target_max"]
        c_below, c_above = bounds["critical_below"], bounds["critical_above"]
        path = ("health", name)
        if t_min is None and t_max is None:
            problems.add(path, "needs target_min or target_max")
        if c_below is None and c_above is None:
            problems.add(path, "needs critical_below or critical_above")
        pairs = (
            ("target_min", t_min, "target_max", t_max, "target range is empty"),
            ("critical_below", c_below, "target_min", t_min, "target range is outside critical"),
            ("critical_below", c_below, "target_max", t_max, "target range is outside critical"),
            ("target_max", t_max, "critical_above", c_above, "target range is outside critical"),
            ("target_min", t_min, "critical_above", c_above, "target range is outside critical"),
            ("critical_below", c_below, "critical_above", c_above, "critical bounds overlap"),
        )
        for low_name, low, high_name, high, why in pairs:
            if low is not None and high is not None and not low < high:
                problems.add(
                    (*path, high_name),
                    f"{why}: {low_name} {decimal_text(low)} must be below "
                    f"{high_name} {decimal_text(high)}",
                )


def check_schedule(data: dict[str, Any], problems: Problems) -> None:
    """Stage deadlines are in order, and the grace window ends before aggregation does."""
    schedule = table(data, "schedule")
    if schedule is not None:
        order = (
            "aggregate_by_hour",
            "score_by_hour",
            "report_by_hour",
            "payout_by_hour",
            "notify_at_hour",
        )
        hours = [(key, as_int(schedule.get(key))) for key in order]
        known = [(key, hour) for key, hour in hours if hour is not None]
        for (before, early), (after, late) in itertools.pairwise(known):
            if late < early:
                problems.add(("schedule", after), f"must not be before {before} ({early})")
        grace = as_int((table(data, "ingestion") or {}).get("weekly_grace_hours"))
        aggregate = as_int(schedule.get("aggregate_by_hour"))
        if grace is not None and aggregate is not None and grace > aggregate:
            problems.add(
                ("ingestion", "weekly_grace_hours"),
                f"must end by schedule.aggregate_by_hour ({aggregate})",
            )


def check_stabilisation(data: dict[str, Any], problems: Problems) -> None:
    """Each trigger has one threshold and watches a known metric; the ``buyback`` rule
    is never automatic: its budget is the approver's (``--budget``), the policy has no
    key for it (ADR 0034)."""
    health = table(data, "health") or {}
    for name, rule in (table(data, "stabilisation") or {}).items():
        if not isinstance(rule, dict):
            continue
        if name == "buyback" and rule.get("automatic") is True:
            problems.add(
                ("stabilisation", name, "automatic"),
                "a buyback cannot be automatic: its budget is given at approval "
                "(systok stabilise approve ID --budget AMOUNT), the policy has none",
            )
        below, above = rule.get("trigger_below"), rule.get("trigger_above")
        if (below is None) == (above is None):
            problems.add(("stabilisation", name), "needs exactly one of trigger_below/above")
        metric = rule.get("metric")
        if isinstance(metric, str) and metric not in health and metric != "price_change":
            problems.add(
                ("stabilisation", name, "metric"),
                f"{metric!r} is neither a health metric nor 'price_change'",
            )
