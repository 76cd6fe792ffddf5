"""All SQL of the stabilisation proposals. Functions take the caller's session; nothing
here commits (ADR 0030)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from systok.db.kit import dialect_insert, stabilisation_proposals_t
from systok.stabilisation.schemas import ProposalStatus, StoredProposal

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
    )


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
    query = select(_t).where(_t.c.id == proposal_id)
    if lock:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return None if row is None else _proposal(row)


def proposals(
    session: Session, quarter: str | None = None, status: str | None = None
) -> list[StoredProposal]:
    """The proposals, by quarter then id, optionally of one quarter and one status."""
    query = select(_t).order_by(_t.c.quarter, _t.c.id)
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
