"""The data shapes of the weekly run: its stages, what it reports, what a dry run shows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Stage(StrEnum):
    """The run's stages in order; each commits by recording the next (ADR 0006)."""

    COLLECT = "collect"
    SCORE = "score"
    REPORT = "report"
    POST = "post"
    PAYOUT = "payout"
    CONFIRM = "confirm"
    NOTIFY = "notify"
    DONE = "done"

    @property
    def next(self) -> Stage:
        """The stage after this one (``done`` has none)."""
        order = list(Stage)
        return order[order.index(self) + 1]


STAGES = tuple(stage.value for stage in Stage)
"""The stage names in order, for readers that compare stored stages."""


class ScoredBy(StrEnum):
    """Which path scored a member's week (stored with each reward, ADR 0020)."""

    UNIFORM = "uniform"
    """The fast path: one multiplication of the collected sums (a uniform week)."""
    REFERENCE = "reference"
    """Day by day and type by type (a level or membership change, or vesting types)."""


DRY_RUN_ID = 0
"""The id of a dry run's row, which exists only inside its rolled-back transaction.

Stored runs take ids from the sequence (1, 2, …), so 0 never meets one; and an id
given explicitly does not advance the sequence, so a dry run consumes no run id."""


@dataclass(frozen=True)
class RunSummary:
    """What a run did: its stage, totals and root."""

    run_id: int
    week: str
    policy_version: str
    stage: str
    members: int
    emission_units: int | None
    rewards_units: int | None
    budget_units: int | None
    prorata: str | None
    merkle_root: str | None


@dataclass(frozen=True)
class PreviewReward:
    """What one member would be paid: points, the amount, and the part of it that vests."""

    member_id: str
    points: str
    paid_units: int
    vesting_units: int


@dataclass(frozen=True)
class PreviewAdjustment:
    """A late event's difference for an earlier week that this run would pay."""

    week: str
    member_id: str
    delta_units: int


@dataclass(frozen=True)
class Preview:
    """A dry run's answer: what the run would store and pay (nothing was written)."""

    week: str
    policy_version: str
    emission_units: int
    budget_units: int
    rewards_units: int
    prorata: str | None
    merkle_root: str
    rewards: list[PreviewReward]
    """Largest amount first, then by member id."""
    adjustments: list[PreviewAdjustment]


@dataclass(frozen=True)
class Scored:
    """The rows a week's scoring stores, and the pro-rata factor if one applied."""

    rows: list[dict[str, Any]]
    prorata: str | None
    vested: dict[str, dict[str, int]]
    """member → event type → the part of the paid units that vests."""
