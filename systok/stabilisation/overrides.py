"""What approved stabilisation overrides make of a week's emission and of the transfer
fee (ADR 0034). Read by the weekly run and by the transfer path; runs inside the
caller's unit of work and never commits.

An override applies to exactly one quarter, the proposal's effective quarter; a
quarter without an approved override uses the policy's numbers. Overrides never
compound: a quarter has at most one of each kind.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import ScalarSelect
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


def emission_factor_in_force_bps(
    session: Session, week: IsoWeek, scored_at_us: int | None
) -> tuple[int, int | None]:
    """The emission factor that was in force for ``week`` when its run scored at
    ``scored_at_us``, and when the override giving it was approved (None: no override
    counts).

    An override approved after the week scored does not apply to it: settled weeks
    keep what they minted (ADR 0034), so such a week's factor is 10 000. A run whose
    score time is unknown (``None``) is held to the override as stored now.
    """
    found = repo.override_recorded(session, str(week_quarter(week)), OverrideKind.EMISSION)
    if found is None:
        return emission_factor_bps(None), None
    step_bps, recorded_at_us = found
    if scored_at_us is not None and recorded_at_us > scored_at_us:
        return emission_factor_bps(None), recorded_at_us
    return emission_factor_bps(step_bps), recorded_at_us


def effective_transfer_fee(session: Session, fee: TransferFee, quarter: Quarter) -> TransferFee:
    """The policy's transfer fee with ``quarter``'s approved step added to its rate."""
    step = repo.override_step_bps(session, str(quarter), OverrideKind.TRANSFER_FEE)
    return transfer_fee_with_step(fee, step)


def transfer_fee_step_query(quarter: Quarter) -> ScalarSelect[Any]:
    """``quarter``'s approved transfer-fee step as a scalar subquery (NULL: none): the
    member transfer reads it in its one statement of checks (ADR 0042)."""
    return repo.override_step_query(str(quarter), OverrideKind.TRANSFER_FEE)


def transfer_fee_with_step(fee: TransferFee, step_bps: int | None) -> TransferFee:
    """The policy's transfer fee with an approved step (None: no override) added."""
    return fee if step_bps is None else replace(fee, rate_bps=fee_rate_bps(fee.rate_bps, step_bps))
