"""The weekly statement as data: one model for the PDF, ``--json`` and the API.

A statement is assembled from the same source as ``systok explain`` (the stored reward
re-scored by the reference scorer, ADR 0009) and never recomputes scoring of its own.
Money follows the API's rule: a decimal string with exactly the policy's scale of
decimals (``"1584.000000"``), written by ``format_amount`` from integer base units, so
no float ever touches an amount; ``scale`` says how many decimals. Points are exact
decimal text (``"76.5"``). Dates are ISO days (UTC).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Money = str
"""A decimal amount with exactly ``scale`` decimals (``"1584.000000"``)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ActivityLine(_Model):
    """One event type over the week: where its events went and what they earned."""

    event_type: str
    count: int = Field(description="Events handed in.")
    counted: int = Field(description="Events that earned (within the daily limit).")
    capped: int = Field(description="Events over the daily limit: kept, earn nothing.")
    ineligible: int = Field(description="Events that earn nothing (no paid membership, weight 0).")
    weight: int = Field(description="Points per counted event (0: the policy gives none).")
    limit_daily: int = Field(description="Counted events per day at most (0: no rule).")
    base_points: int = Field(description="weight × counted, before any coefficient.")
    points: str = Field(description="base_points × the day's qualification coefficient.")
    previous_counted: int | None = Field(
        description="Counted events of this type in the previous week (None: no reward then)."
    )
    previous_base_points: int | None = Field(description="The previous week's base points.")


class Coefficients(_Model):
    """What the week's base points were multiplied by."""

    model: str = Field(description="weighted_daily_caps or rank_ladder.")
    level: int = Field(description="The qualification level in force on the week's last day.")
    level_name: str
    level_coefficient: str = Field(
        description="Its coefficient (weighted_daily_caps) or the rank multiplier (rank_ladder)."
    )
    levels_varied: bool = Field(description="The level changed during the week (see days).")
    streak_weeks: int | None = Field(description="Active weeks in a row including this one.")
    consistency_coefficient: str | None
    rank_change: str | None = Field(description="rank_ladder: rise, hold or fall.")


class VestingPart(_Model):
    """A frozen part of the week's reward and when it is validated."""

    event_type: str
    amount: Money
    unlock_on: str = Field(description="The UTC day the part is released or cancelled.")
    status: str = Field(description="held, released or cancelled.")


class ProofStep(_Model):
    """One step from the leaf to the root: the sibling's side and hash."""

    side: Literal["L", "R"] = Field(
        description="L: hash(0x01 || sibling || current); R: hash(0x01 || current || sibling)."
    )
    sibling: str = Field(description="The sibling's SHA-256, lower-case hex.")


class MerkleProof(_Model):
    """The member's inclusion proof in the week's Merkle root (docs/statement.md)."""

    member: str
    week: str
    paid_units: int = Field(
        description="The leaf's amount: the paid reward in base units (an integer, as hashed)."
    )
    leaf_text: str = Field(description='The leaf\'s UTF-8 text: f"{member}:{paid_units}".')
    leaf: str = Field(description="sha256(0x00 || leaf_text), lower-case hex.")
    path: list[ProofStep]
    root: str = Field(description="The root the path leads to, lower-case hex.")
    stored_root: str | None = Field(
        description="The root the run recorded (None before its report stage committed)."
    )
    verified: bool = Field(description="The path from the leaf reproduces the root.")


class WeekTotal(_Model):
    """One week's paid reward (0 when the member earned nothing that week)."""

    week: str
    paid: Money


class Comparison(_Model):
    """This week against the previous one."""

    previous_week: str
    previous_paid: Money | None = Field(description="None: no reward in the previous week.")
    change: Money = Field(description="This week's paid amount less the previous week's.")


RecommendationKind = Literal[
    "unused_limit",
    "streak_reach",
    "streak_lose",
    "next_qualification",
    "rank_next",
    "vesting_release",
    "inactivity_tier",
]


class Recommendation(_Model):
    """One piece of advice, computed from the rules; the renderer words it.

    Which fields are set depends on ``kind`` (docs/statement.md lists them):
    ``unused_limit``: event_type, count (unused daily slots over the paid days), amount
    (what they would have added this week). ``streak_reach``/``streak_lose``: weeks,
    coefficient, count (counted events a week needs to be active).
    ``next_qualification``: level, level_name, coefficient, amount (this week under it).
    ``rank_next``: coefficient (next week's multiplier), count (its daily cap).
    ``vesting_release``: event_type, amount, on. ``inactivity_tier``: days, on, rate_bps,
    warn.
    """

    kind: RecommendationKind
    event_type: str | None = None
    count: int | None = None
    amount: Money | None = None
    weeks: int | None = None
    coefficient: str | None = None
    level: int | None = None
    level_name: str | None = None
    on: str | None = None
    days: int | None = None
    rate_bps: int | None = None
    warn: bool | None = None


class Statement(_Model):
    """A member's weekly statement: the reward, how it was computed, and what is next."""

    member: str
    week: str
    week_first_day: str
    week_last_day: str
    asset: str
    scale: int = Field(description="Decimals of every amount.")
    policy_version: str
    policy_hash: str
    status: Literal["paid", "pending"]
    points: str = Field(description="The week's exact points after the coefficients.")
    base_points: int
    amount: Money = Field(description="The reward the points convert to.")
    paid: Money = Field(description="What was paid after pro rata (equal when none).")
    prorata: str | None = Field(description="paid/wanted when the pool was short.")
    matches_stored: bool = Field(
        description="Re-scoring reproduces the stored reward (false: run `systok verify`)."
    )
    activities: list[ActivityLine]
    coefficients: Coefficients
    vesting: list[VestingPart]
    proof: MerkleProof
    comparison: Comparison
    history: list[WeekTotal] = Field(description="The last 12 weeks, oldest first.")
    recommendations: list[Recommendation]
    notes: list[str] = Field(description="Facts from the scorer (lapsed days, assumed levels).")
    last_active_on: str | None = Field(description="The member's last active day so far.")
