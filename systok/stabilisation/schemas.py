"""Value types of the stabilisation proposals (ADR 0030)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from systok.core.quarters import Quarter
from systok.core.stabilisation import Unevaluated


class ProposalStatus(StrEnum):
    """Where a proposal stands."""

    PROPOSED = "proposed"
    """Fired, waiting for an admin's decision."""
    APPROVED = "approved"
    """Approved as a decision effective from the next quarter; nothing was executed."""
    REJECTED = "rejected"
    EXECUTED = "executed"
    """Approved and executed on the ledger (a burn): ``transaction_id`` is the entry."""


@dataclass(frozen=True)
class StoredProposal:
    """A row of ``stabilisation_proposals``."""

    id: int
    run_id: int
    quarter: str
    rule: str
    action: str
    metric: str
    value: Fraction
    direction: str
    threshold: str
    step_bps: int | None
    automatic: bool
    status: ProposalStatus
    policy_version: str
    proposed_at_us: int
    decided_by: str | None
    decided_at_us: int | None
    reason: str | None
    amount_units: int | None
    transaction_id: int | None
    budget_units: int | None = None
    """An approved buyback's budget (quote minor units); None for any other rule."""
    spent_units: int | None = None
    """What the buyback's sales have paid so far (quote minor units)."""

    @property
    def effective_quarter(self) -> Quarter:
        """The quarter an approval takes effect in (the one after the proposal's); an
        approval is refused once this quarter has closed (ADR 0030)."""
        return Quarter.parse(self.quarter).next()


@dataclass(frozen=True)
class QuarterStabilisation:
    """A quarter's stabilisation: proposals, and the rules that could not be evaluated
    with the reason. From ``record_quarter`` the proposals are those recorded by this
    call (none on a rerun); from ``quarter_stabilisation`` every stored one of the
    quarter."""

    proposals: tuple[StoredProposal, ...]
    unevaluated: tuple[Unevaluated, ...]


class OverrideKind(StrEnum):
    """What an approved override changes in its quarter (ADR 0034)."""

    EMISSION = "emission"
    """Every weekly emission × (10 000 − step) / 10 000, floored."""
    TRANSFER_FEE = "transfer_fee"
    """The P2P transfer fee's rate + step."""


@dataclass(frozen=True)
class StoredBuyback:
    """A row of ``stabilisation_buybacks``: an approved buyback and what it has spent."""

    proposal_id: int
    quarter: str
    asset: str
    price_units: int
    budget_units: int
    spent_units: int
    opened_at_us: int

    @property
    def remaining_units(self) -> int:
        """What the budget still allows, in quote minor units."""
        return self.budget_units - self.spent_units
