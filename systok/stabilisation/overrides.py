"""What approved stabilisation overrides make of a week's emission and of the transfer
fee (ADR 0034). Read by the weekly run and by the transfer path; runs inside the
caller's unit of work and never commits.

An override applies to exactly one quarter, the proposal's effective quarter; a
quarter without an approved override uses the policy's numbers. Overrides never
compound: a quarter has at most one of each kind.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from systok.core.policy.model import TransferFee
from systok.core.quarters import Quarter
from systok.core.stabilisation_steps import emission_factor_bps, fee_rate_bps, week_quarter
from systok.core.weeks import IsoWeek
from systok.stabilisation import repository as repo
from systok.stabilisation.schemas import OverrideKind


def week_emission_factor_bps(session: Session, week: IsoWeek) -> int:
    """The emission factor of ``week`` (10 000 unless its quarter has an override)."""
    step = repo.override_step_bps(session, str(week_quarter(week)), OverrideKind.EMISSION)
    return emission_factor_bps(step)


def effective_transfer_fee(session: Session, fee: TransferFee, quarter: Quarter) -> TransferFee:
    """The policy's transfer fee with ``quarter``'s approved step added to its rate."""
    step = repo.override_step_bps(session, str(quarter), OverrideKind.TRANSFER_FEE)
    return fee if step is None else replace(fee, rate_bps=fee_rate_bps(fee.rate_bps, step))
