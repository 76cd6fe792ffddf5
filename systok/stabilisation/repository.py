"""All SQL of the stabilisation proposals. Functions take the caller's session; nothing
here commits (ADR 0030)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from sqlalchemy import Row, ScalarSelect, Select, select, update
from sqlalchemy.orm import Session

from systok.db.kit import (
    dialect_insert,
    stabilisation_buybacks_t,
    stabilisation_overrides_t,
    stabilisation_proposals_t,
)
from systok.stabilisation.schemas import ProposalStatus, StoredBuyback, StoredProposal

_t = stabilisation_proposals_t


def _proposal(row: Row[Any]) -> StoredProposal:
    return StoredProposal(
        id=int(row.id),
        run_id=int(row.run_id),
        quarter=row.quarter,
        rule=row.rule,
        action=row.action,
        metric=row.metric,
        value=Fraction(int(row.numerator), int(row.denominator)),
        direction=row.direction,
        threshold=row.threshold,
        step_bps=row.step_bps,
        automatic=bool(row.automatic),
        status=ProposalStatus(row.status),
        policy_version=row.policy_version,
        proposed_at_us=int(row.proposed_at_us),
        decided_by=row.decided_by,
        decided_at_us=None if row.decided_at_us is None else int(row.decided_at_us),
        reason=row.reason,
        amount_units=None if row.amount_units is None else int(row.amount_units),
        transaction_id=None if row.transaction_id is None else int(row.transaction_id),
        budget_units=None if row.budget_units is None else int(row.budget_units),
        spent_units=None if row.spent_units is None else int(row.spent_units),
    )


def _with_buyback() -> Select[Any]:
    """A proposal with its buyback's budget and spending (None but for a buyback)."""
    b = stabilisation_buybacks_t
    return select(_t, b.c.budget_units, b.c.spent_units).outerjoin(b, b.c.proposal_id == _t.c.id)


def insert_proposal(session: Session, values: dict[str, Any]) -> StoredProposal | None:
    """Store a proposal; None when the quarter has one for that rule already."""
    inserted = session.execute(
        dialect_insert(session, _t)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["quarter", "rule"])
        .returning(_t.c.id)
    ).scalar_one_or_none()
    return None if inserted is None else proposal(session, int(inserted))


def proposal(session: Session, proposal_id: int, *, lock: bool = False) -> StoredProposal | None:
    """One proposal by id (locked for the decision when ``lock``), or None."""
    query = _with_buyback().where(_t.c.id == proposal_id)
    if lock:
        query = query.with_for_update(of=_t)
    row = session.execute(query).one_or_none()
    return None if row is None else _proposal(row)


def proposals(
    session: Session, quarter: str | None = None, status: str | None = None
) -> list[StoredProposal]:
    """The proposals, by quarter then id, optionally of one quarter and one status."""
    query = _with_buyback().order_by(_t.c.quarter, _t.c.id)
    if quarter is not None:
        query = query.where(_t.c.quarter == quarter)
    if status is not None:
        query = query.where(_t.c.status == status)
    return [_proposal(row) for row in session.execute(query)]


def decide(session: Session, proposal_id: int, values: dict[str, Any]) -> None:
    """Record a decision on a proposal that is still ``proposed``."""
    session.execute(
        update(_t)
        .where(_t.c.id == proposal_id, _t.c.status == ProposalStatus.PROPOSED.value)
        .values(**values)
    )


# --- overrides and buybacks (ADR 0034) -----------------------------------------------


def insert_override(session: Session, values: dict[str, Any]) -> None:
    """Store an approved emission or fee override (one per proposal)."""
    session.execute(
        dialect_insert(session, stabilisation_overrides_t)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["proposal_id"])
    )


def override_step_query(quarter: str, kind: str) -> ScalarSelect[Any]:
    """The step of ``quarter``'s override of ``kind`` as a scalar subquery (NULL: none),
    so a caller's read can carry it in the same statement (the transfer path does)."""
    return (
        select(stabilisation_overrides_t.c.step_bps)
        .where(
            stabilisation_overrides_t.c.quarter == quarter,
            stabilisation_overrides_t.c.kind == kind,
        )
        .scalar_subquery()
    )


def override_step_bps(session: Session, quarter: str, kind: str) -> int | None:
    """The step of the override of ``kind`` that applies to ``quarter``, if any."""
    found = session.execute(select(override_step_query(quarter, kind))).scalar_one()
    return None if found is None else int(found)


def override_recorded(session: Session, quarter: str, kind: str) -> tuple[int, int] | None:
    """The step of ``quarter``'s override of ``kind`` and when it was approved
    (``recorded_at_us``), if any: what ``verify week`` needs to tell whether a week
    scored before the approval or after it."""
    found = session.execute(
        select(
            stabilisation_overrides_t.c.step_bps, stabilisation_overrides_t.c.recorded_at_us
        ).where(
            stabilisation_overrides_t.c.quarter == quarter,
            stabilisation_overrides_t.c.kind == kind,
        )
    ).one_or_none()
    return None if found is None else (int(found.step_bps), int(found.recorded_at_us))


def _buyback(row: Row[Any]) -> StoredBuyback:
    return StoredBuyback(
        proposal_id=int(row.proposal_id),
        quarter=row.quarter,
        asset=row.asset,
        price_units=int(row.price_units),
        budget_units=int(row.budget_units),
        spent_units=int(row.spent_units),
        opened_at_us=int(row.opened_at_us),
    )


def insert_buyback(session: Session, values: dict[str, Any]) -> None:
    """Open an approved buyback with its budget."""
    session.execute(dialect_insert(session, stabilisation_buybacks_t).values(**values))


def buyback(session: Session, proposal_id: int, *, lock: bool = False) -> StoredBuyback | None:
    """The buyback of a proposal (locked for a sale when ``lock``), or None."""
    query = select(stabilisation_buybacks_t).where(
        stabilisation_buybacks_t.c.proposal_id == proposal_id
    )
    if lock:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _buyback(row)


def buyback_of_quarter(session: Session, quarter: str) -> StoredBuyback | None:
    """The buyback that runs in ``quarter``, if one was approved (at most one: one
    buyback proposal per quarter, effective the next)."""
    row = session.execute(
        select(stabilisation_buybacks_t).where(stabilisation_buybacks_t.c.quarter == quarter)
    ).first()
    return None if row is None else _buyback(row)


def spend(session: Session, proposal_id: int, units: int) -> None:
    """Add a sale's payment to the buyback's spent total (the row is locked)."""
    session.execute(
        update(stabilisation_buybacks_t)
        .where(stabilisation_buybacks_t.c.proposal_id == proposal_id)
        .values(spent_units=stabilisation_buybacks_t.c.spent_units + units)
    )
