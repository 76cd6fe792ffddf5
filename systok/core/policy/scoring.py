"""The two scoring models a policy can choose, tagged by ``model``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Literal


@dataclass(frozen=True, slots=True)
class QualificationLevel:
    """A qualification level and its reward coefficient (weighted_daily_caps)."""

    level: int
    name: str
    coefficient: Decimal


@dataclass(frozen=True, slots=True)
class ConsistencyStep:
    """From ``weeks`` active weeks in a row onward, the coefficient is ``coefficient``."""

    weeks: int
    coefficient: Decimal


@dataclass(frozen=True, slots=True)
class WeightedDailyCaps:
    """Scoring of seed 002: Σ capped weights × qualification × consistency coefficients.

    Attributes:
        levels: by level number 1..N.
        consistency: sorted by ``weeks``; the first starts at 1 and the last applies to
            every longer streak ("5+").
        active_week_min_counted_events: counted (weight > 0, within limit) events that
            make a week "active" for the streak.
    """

    model: Literal["weighted_daily_caps"]
    levels: Mapping[int, QualificationLevel]
    consistency: tuple[ConsistencyStep, ...]
    active_week_min_counted_events: int

    def level_names(self) -> Mapping[int, str]:
        """Level number → name (for reports)."""
        return MappingProxyType({n: lv.name for n, lv in self.levels.items()})

    def qualification_coefficient(self, level: int) -> Decimal:
        """The coefficient of a qualification level.

        Raises:
            ValueError: when the policy has no such level.
        """
        try:
            return self.levels[level].coefficient
        except KeyError:
            raise ValueError(f"qualification level {level} is not in the policy") from None

    def consistency_coefficient(self, weeks_in_row: int) -> Decimal:
        """The coefficient for a streak of ``weeks_in_row`` active weeks (this one included).

        A streak shorter than the first step (0 or 1) gets the first step's
        coefficient, as the seed's ``if weeks_in_row <= 1`` does.
        """
        chosen = self.consistency[0].coefficient
        for step in self.consistency:
            if weeks_in_row >= step.weeks:
                chosen = step.coefficient
        return chosen


@dataclass(frozen=True, slots=True)
class RankLevel:
    """A qualification's base rank (rank_ladder).

    Attributes:
        base_cap_daily: points a member may earn per UTC day at this base rank.
        multiplier: points per action are ``weight × multiplier`` at this base rank.
    """

    level: int
    name: str
    base_cap_daily: int
    multiplier: Decimal


@dataclass(frozen=True, slots=True)
class RankLadder:
    """Scoring of seed 001: the rank is the most points a member may earn per day.

    A rank is a step on a ladder: level ``L``'s base rank is step
    ``(L - 1) × weeks_to_next_level``. A member starts at their qualification's base,
    rises ``rise_steps_per_full_week`` after a week with ``full_week_active_days``
    active days, falls ``fall_steps_per_inactive_week`` after a week with at most
    ``inactive_week_max_active_days`` active days (other weeks hold the rank), never
    above the top level's base and never below ``floor_level``'s base. Between two
    bases the cap and multiplier are ``between_levels`` (``linear``: interpolated,
    cap floored to whole points; ``step``: the lower base's values).
    """

    model: Literal["rank_ladder"]
    levels: Mapping[int, RankLevel]
    weeks_to_next_level: int
    rise_steps_per_full_week: int
    fall_steps_per_inactive_week: int
    full_week_active_days: int
    inactive_week_max_active_days: int
    active_day_min_counted_events: int
    between_levels: str
    floor_level: int

    def level_names(self) -> Mapping[int, str]:
        """Level number → name (for reports)."""
        return MappingProxyType({n: lv.name for n, lv in self.levels.items()})

    def base_step(self, level: int) -> int:
        """The ladder step of a qualification's base rank."""
        if level not in self.levels:
            raise ValueError(f"qualification level {level} is not in the policy")
        return (level - 1) * self.weeks_to_next_level


Scoring = WeightedDailyCaps | RankLadder
"""The scoring model, tagged by ``model``."""
