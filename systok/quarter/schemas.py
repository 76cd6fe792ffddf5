"""The data shapes of the quarterly run: its stages and what it reports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from systok.stabilisation.schemas import QuarterStabilisation


class Stage(StrEnum):
    """The quarterly run's stages in order; each commits by recording the next.

    A later stage is added here with its handler in ``systok.quarter.stages.HANDLERS``;
    a run stored ``done`` before a stage was added is ``done`` and stays so.
    """

    SNAPSHOT = "snapshot"
    REDISTRIBUTE = "redistribute"
    VEST = "vest"
    """The quarter's tranches of the vesting funds and the sale (``stage_vest``, ADR 0033)."""
    PRICE = "price"
    """The quarter's directive price (``stage_price``; none when no STK was issued)."""
    HEALTH = "health"
    """The quarter's health readings (``stage_health``, ADR 0028)."""
    STABILISE = "stabilise"
    """The stabilisation rules that fired, stored as proposals (``stage_stabilise``, ADR 0030)."""
    DONE = "done"

    @property
    def next(self) -> Stage:
        """The stage after this one (``done`` has none)."""
        order = list(Stage)
        return order[order.index(self) + 1]


DRY_RUN_ID = 0
"""The id of a dry run's row, which exists only inside its rolled-back transaction
(stored runs take ids 1, 2, … from the sequence; an explicit id does not advance it)."""


@dataclass(frozen=True)
class SnapshotRow:
    """A member's tokens and activity at the quarter's close (``quarter_snapshots``)."""

    member_id: str
    posted_units: int
    held_units: int
    wallet_units: int
    last_activity_day: int
    days_inactive: int

    @property
    def available_units(self) -> int:
        """Custodial tokens the member could spend at the close: posted − held."""
        return self.posted_units - self.held_units


@dataclass(frozen=True)
class RedistributionRow:
    """What the run takes (or would take) from one member (``quarter_redistributions``)."""

    member_id: str
    from_days: int
    to_days: int | None
    rate_bps: int
    warn: bool
    due_units: int
    moved_units: int
    transaction_id: int | None


@dataclass(frozen=True)
class Tranche:
    """What the vest stage releases (or would) to one grantee (``quarter_vesting_releases``).

    ``kind`` is ``fund`` (``grantee``: the fund's name) or ``sale`` (the member).
    """

    kind: str
    grantee: str
    grants: int
    granted_units: int
    released_units: int
    transaction_id: int | None = None


@dataclass(frozen=True)
class QuarterSummary:
    """What a quarterly run did (or, for a dry run, would do), in base units."""

    run_id: int
    quarter: str
    policy_version: str
    stage: str
    dry_run: bool
    members: int
    """Members in the snapshot: everyone holding custodial or own-wallet tokens at the close."""
    custodial_units: int
    """Σ available custodial units at the close: what redistribution could reach."""
    held_units: int
    wallet_units: int
    """Σ tokens in members' own Solana wallets at the close: the members', out of reach."""
    redistributed_members: int
    """Members in a tier with a positive rate (whether or not anything was due)."""
    due_units: int
    moved_units: int
    """Σ moved to the policy's ``slashing.to`` account (= Σ taken from members)."""
    warnings: int
    """Members in the tier the policy marks ``warn`` (the notice is queued later)."""
    redistributions: tuple[RedistributionRow, ...]
    """Largest amount first, then by member id."""
    tranches: tuple[Tranche, ...] = ()
    """The vest stage's releases, funds first, then by grantee (planned, for a dry run)."""
    stabilisation: QuarterStabilisation | None = None
    """The quarter's stabilisation proposals and unevaluated rules (ADR 0030); None for
    a dry run and a stored summary read back."""
