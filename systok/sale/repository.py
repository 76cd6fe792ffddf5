"""All SQL of the initial sale. Nothing here commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session

from systok.db.kit import dialect_insert, sale_purchases_t, sales_t
from systok.sale.schemas import Purchase, PurchaseDraft, Sale, SaleDraft


def _sold(session: Session, sale_id: int) -> int:
    total = session.execute(
        select(func.coalesce(func.sum(sale_purchases_t.c.units), 0)).where(
            sale_purchases_t.c.sale_id == sale_id
        )
    ).scalar_one()
    return int(total)


def _sale(session: Session, row: Row[Any] | None) -> Sale | None:
    if row is None:
        return None
    return Sale(
        id=int(row.id),
        reference=row.reference,
        share_bps=int(row.share_bps),
        quote_asset=row.quote_asset,
        price_units=int(row.price_units),
        issued_units=int(row.issued_units),
        cap_units=int(row.cap_units),
        vesting_days=int(row.vesting_days),
        policy_version=row.policy_version,
        opened_at_us=int(row.opened_at_us),
        closed_at_us=None if row.closed_at_us is None else int(row.closed_at_us),
        sold_units=_sold(session, int(row.id)),
    )


def _purchase(row: Row[Any]) -> Purchase:
    return Purchase(
        id=int(row.id),
        sale_id=int(row.sale_id),
        member_id=row.member_id,
        units=int(row.units),
        paid_units=int(row.paid_units),
        reference=row.reference,
        purchased_at_us=int(row.purchased_at_us),
        unlock_at_us=int(row.unlock_at_us),
        transaction_id=int(row.transaction_id),
    )


def sale_by_reference(session: Session, reference: str) -> Sale | None:
    """The sale opened under ``reference``, if any."""
    row = session.execute(select(sales_t).where(sales_t.c.reference == reference)).first()
    return _sale(session, row)


def sale_by_id(session: Session, sale_id: int) -> Sale | None:
    """The sale with id ``sale_id``, if any."""
    return _sale(session, session.execute(select(sales_t).where(sales_t.c.id == sale_id)).first())


def open_sale(session: Session, *, lock: bool = False) -> Sale | None:
    """The open sale, if any; ``lock`` takes its row lock (PostgreSQL) so purchases
    against its cap queue one behind the other."""
    statement = select(sales_t).where(sales_t.c.open_slot == 1)
    if lock:
        statement = statement.with_for_update()
    return _sale(session, session.execute(statement).first())


def latest_sale(session: Session) -> Sale | None:
    """The most recently opened sale, if any."""
    row = session.execute(select(sales_t).order_by(sales_t.c.id.desc()).limit(1)).first()
    return _sale(session, row)


def insert_sale(
    session: Session,
    draft: SaleDraft,
    *,
    issued_units: int,
    cap_units: int,
    vesting_days: int,
    policy_version: str,
    opened_at_us: int,
) -> bool:
    """Store an open sale; False when its reference or the open slot was taken (by a
    concurrent writer)."""
    statement = (
        dialect_insert(session, sales_t)
        .values(
            reference=draft.reference,
            share_bps=draft.share_bps,
            quote_asset=draft.quote_asset,
            price_units=draft.price_units,
            issued_units=issued_units,
            cap_units=cap_units,
            vesting_days=vesting_days,
            policy_version=policy_version,
            opened_at_us=opened_at_us,
            closed_at_us=None,
            open_slot=1,
        )
        .on_conflict_do_nothing()
        .returning(sales_t.c.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def close_sale(session: Session, sale_id: int, closed_at_us: int) -> None:
    """Mark the sale closed (it frees the open slot)."""
    session.execute(
        update(sales_t)
        .where(sales_t.c.id == sale_id)
        .values(closed_at_us=closed_at_us, open_slot=None)
    )


def purchase_by_reference(session: Session, reference: str) -> Purchase | None:
    """The purchase recorded under ``reference``, if any."""
    row = session.execute(
        select(sale_purchases_t).where(sale_purchases_t.c.reference == reference)
    ).first()
    return None if row is None else _purchase(row)


def insert_purchase(
    session: Session,
    sale_id: int,
    draft: PurchaseDraft,
    *,
    paid_units: int,
    purchased_at_us: int,
    unlock_at_us: int,
    transaction_id: int,
) -> None:
    """Store a purchase (its reference was checked free under the sale's lock)."""
    session.execute(
        sale_purchases_t.insert().values(
            sale_id=sale_id,
            member_id=draft.member_id,
            units=draft.units,
            paid_units=paid_units,
            reference=draft.reference,
            purchased_at_us=purchased_at_us,
            unlock_at_us=unlock_at_us,
            transaction_id=transaction_id,
        )
    )


def purchases(session: Session, sale_id: int) -> list[Purchase]:
    """The sale's purchases, oldest first."""
    rows = session.execute(
        select(sale_purchases_t)
        .where(sale_purchases_t.c.sale_id == sale_id)
        .order_by(sale_purchases_t.c.id)
    ).all()
    return [_purchase(row) for row in rows]
