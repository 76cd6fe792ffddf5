"""All SQL of the backing book and the directive prices. Nothing here commits."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from systok.backing.schemas import Inflow, InflowDraft, Outflow, StoredPrice
from systok.core.price import InflowKind
from systok.core.quarters import Quarter
from systok.db.kit import backing_inflows_t, backing_outflows_t, dialect_insert, quarter_prices_t


def _inflow(row: Row[Any]) -> Inflow:
    return Inflow(
        id=int(row.id),
        kind=InflowKind(row.kind),
        asset=row.asset,
        held_as=row.held_as,
        amount_units=int(row.amount_units),
        quarter=Quarter.parse(row.quarter),
        reference=row.reference,
        note=row.note,
        recorded_at_us=int(row.recorded_at_us),
    )


def insert_inflow(session: Session, draft: InflowDraft, recorded_at_us: int) -> bool:
    """Store an inflow; False when its reference was taken (by a concurrent writer)."""
    statement = (
        dialect_insert(session, backing_inflows_t)
        .values(
            kind=draft.kind.value,
            asset=draft.asset,
            held_as=draft.held_in,
            amount_units=draft.amount_units,
            quarter=str(draft.quarter),
            reference=draft.reference,
            note=draft.note,
            recorded_at_us=recorded_at_us,
        )
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(backing_inflows_t.c.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def inflow_by_reference(session: Session, reference: str) -> Inflow | None:
    """The inflow recorded under ``reference``, if any."""
    row = session.execute(
        select(backing_inflows_t).where(backing_inflows_t.c.reference == reference)
    ).one_or_none()
    return None if row is None else _inflow(row)


def inflows(
    session: Session, *, quarter: Quarter | None = None, up_to: Quarter | None = None
) -> list[Inflow]:
    """Inflows recorded for ``quarter`` (or for any quarter up to ``up_to``), oldest first.

    Quarter text (``2026-Q3``) sorts chronologically, so ``up_to`` compares text.
    """
    statement = select(backing_inflows_t).order_by(backing_inflows_t.c.id)
    if quarter is not None:
        statement = statement.where(backing_inflows_t.c.quarter == str(quarter))
    if up_to is not None:
        statement = statement.where(backing_inflows_t.c.quarter <= str(up_to))
    return [_inflow(row) for row in session.execute(statement)]


def _price(row: Row[Any]) -> StoredPrice:
    return StoredPrice(
        quarter=Quarter.parse(row.quarter),
        policy_version=row.policy_version,
        policy_hash=row.policy_hash,
        quote_asset=row.quote_asset,
        price_units=int(row.price_units),
        backing_units=int(row.backing_units),
        issued_units=int(row.issued_units),
        inputs=json.loads(row.inputs),
        set_at_us=int(row.set_at_us),
    )


def price_of(session: Session, quarter: Quarter) -> StoredPrice | None:
    """The directive price set for ``quarter``, if any."""
    row = session.execute(
        select(quarter_prices_t).where(quarter_prices_t.c.quarter == str(quarter))
    ).one_or_none()
    return None if row is None else _price(row)


def latest_price(session: Session) -> StoredPrice | None:
    """The directive price of the latest priced quarter, if any."""
    latest = select(func.max(quarter_prices_t.c.quarter)).scalar_subquery()
    row = session.execute(
        select(quarter_prices_t).where(quarter_prices_t.c.quarter == latest)
    ).one_or_none()
    return None if row is None else _price(row)


def insert_price(session: Session, price: StoredPrice) -> bool:
    """Store a quarter's price; False when the quarter was priced already."""
    statement = (
        dialect_insert(session, quarter_prices_t)
        .values(
            quarter=str(price.quarter),
            policy_version=price.policy_version,
            policy_hash=price.policy_hash,
            quote_asset=price.quote_asset,
            price_units=price.price_units,
            backing_units=price.backing_units,
            issued_units=price.issued_units,
            inputs=json.dumps(price.inputs, sort_keys=True),
            set_at_us=price.set_at_us,
        )
        .on_conflict_do_nothing(index_elements=["quarter"])
        .returning(quarter_prices_t.c.quarter)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def _outflow(row: Row[Any]) -> Outflow:
    return Outflow(
        id=int(row.id),
        kind=row.kind,
        asset=row.asset,
        amount_units=int(row.amount_units),
        quarter=Quarter.parse(row.quarter),
        reference=row.reference,
        member_id=row.member_id,
        stk_units=int(row.stk_units),
        price_units=int(row.price_units),
        proposal_id=int(row.proposal_id),
        transaction_id=int(row.transaction_id),
        recorded_at_us=int(row.recorded_at_us),
    )


def insert_outflow(session: Session, values: dict[str, Any]) -> None:
    """Store an outflow (the caller checked its reference is free, under a lock)."""
    session.execute(dialect_insert(session, backing_outflows_t).values(**values))


def outflow_by_reference(session: Session, reference: str) -> Outflow | None:
    """The outflow recorded under ``reference``, if any."""
    row = session.execute(
        select(backing_outflows_t).where(backing_outflows_t.c.reference == reference)
    ).one_or_none()
    return None if row is None else _outflow(row)


def outflows_up_to(session: Session, quarter: Quarter) -> int:
    """Σ of the outflows paid in ``quarter`` or before (quote minor units)."""
    total = session.execute(
        select(func.coalesce(func.sum(backing_outflows_t.c.amount_units), 0)).where(
            backing_outflows_t.c.quarter <= str(quarter)
        )
    ).scalar_one()
    return int(total)
