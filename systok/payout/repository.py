"""All SQL of payouts and wallets. Functions take the caller's session; nothing commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, and_, func, insert, select, update
from sqlalchemy.orm import Session

from systok.core.ledger import AccountType
from systok.db.kit import (
    accounts_t,
    members_t,
    payout_attempts_t,
    payout_batches_t,
    payout_items_t,
    wallet_challenges_t,
    wallets_t,
)
from systok.payout.schemas import AttemptStatus, BatchStatus

# --- wallets -------------------------------------------------------------------------


def member_exists(session: Session, member_id: str) -> bool:
    found = session.execute(select(members_t.c.id).where(members_t.c.id == member_id))
    return found.first() is not None


def insert_challenge(session: Session, **values: Any) -> None:
    session.execute(insert(wallet_challenges_t).values(**values))


def get_challenge(session: Session, nonce: str) -> Row[Any] | None:
    return session.execute(
        select(wallet_challenges_t).where(wallet_challenges_t.c.nonce == nonce)
    ).one_or_none()


def use_challenge(session: Session, nonce: str, now_us: int) -> bool:
    """Mark a challenge used; False if another link used it first (a replay)."""
    result = session.execute(
        update(wallet_challenges_t)
        .where(wallet_challenges_t.c.nonce == nonce, wallet_challenges_t.c.used_at_us.is_(None))
        .values(used_at_us=now_us)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def wallet_of(session: Session, member_id: str) -> Row[Any] | None:
    return session.execute(
        select(wallets_t).where(wallets_t.c.member_id == member_id)
    ).one_or_none()


def wallet_by_address(session: Session, address: str) -> Row[Any] | None:
    return session.execute(select(wallets_t).where(wallets_t.c.address == address)).one_or_none()


def save_wallet(session: Session, **values: Any) -> None:
    """Link (or re-link) a member's wallet."""
    if wallet_of(session, values["member_id"]) is None:
        session.execute(insert(wallets_t).values(**values))
    else:
        session.execute(
            update(wallets_t).where(wallets_t.c.member_id == values["member_id"]).values(**values)
        )


def list_wallets(session: Session) -> list[Row[Any]]:
    return list(session.execute(select(wallets_t).order_by(wallets_t.c.member_id)))


def linked_with_custody(
    session: Session, asset: str, member_id: str | None = None
) -> list[tuple[str, str, int]]:
    """(member, address, available custodial units) of linked members with something held."""
    query = (
        select(
            wallets_t.c.member_id,
            wallets_t.c.address,
            (accounts_t.c.posted_units - accounts_t.c.held_units).label("available"),
        )
        .join(
            accounts_t,
            and_(
                accounts_t.c.type == AccountType.MEMBER.value,
                accounts_t.c.owner == wallets_t.c.member_id,
                accounts_t.c.asset == asset,
            ),
        )
        .where(accounts_t.c.posted_units - accounts_t.c.held_units > 0)
        .order_by(wallets_t.c.member_id)
    )
    if member_id is not None:
        query = query.where(wallets_t.c.member_id == member_id)
    return [(r.member_id, r.address, int(r.available)) for r in session.execute(query)]


def wallet_balances(session: Session, asset: str) -> dict[str, int]:
    """Each member's ``wallet`` account in the ledger: what was paid out to the chain."""
    rows = session.execute(
        select(accounts_t.c.owner, accounts_t.c.posted_units).where(
            accounts_t.c.type == AccountType.WALLET.value, accounts_t.c.asset == asset
        )
    )
    return {r.owner: int(r.posted_units) for r in rows}


# --- batches ---------------------------------------------------------------------------


def batch_count_with_prefix(session: Session, prefix: str) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(payout_batches_t)
            .where(payout_batches_t.c.plan_key.like(prefix + "%"))
        ).scalar_one()
    )


def insert_batch(session: Session, **values: Any) -> int:
    batch_id: int = session.execute(
        insert(payout_batches_t).values(**values).returning(payout_batches_t.c.id)
    ).scalar_one()
    return batch_id


def insert_items(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(payout_items_t), rows)


def insert_attempt(session: Session, **values: Any) -> int:
    attempt_id: int = session.execute(
        insert(payout_attempts_t).values(**values).returning(payout_attempts_t.c.id)
    ).scalar_one()
    return attempt_id


def lock_batch(session: Session, batch_id: int) -> Row[Any]:
    return session.execute(
        select(payout_batches_t).where(payout_batches_t.c.id == batch_id).with_for_update()
    ).one()


def get_batch(session: Session, batch_id: int) -> Row[Any]:
    return session.execute(select(payout_batches_t).where(payout_batches_t.c.id == batch_id)).one()


def batch_items(session: Session, batch_id: int) -> list[Row[Any]]:
    return list(
        session.execute(
            select(payout_items_t)
            .where(payout_items_t.c.batch_id == batch_id)
            .order_by(payout_items_t.c.member_id)
        )
    )


def latest_attempt(session: Session, batch_id: int) -> Row[Any]:
    return session.execute(
        select(payout_attempts_t)
        .where(payout_attempts_t.c.batch_id == batch_id)
        .order_by(payout_attempts_t.c.id.desc())
        .limit(1)
    ).one()


def latest_attempts(session: Session, batch_ids: list[int]) -> list[Row[Any]]:
    """Each batch's latest attempt, in the order of ``batch_ids``: one query for a round."""
    if not batch_ids:
        return []
    latest = (
        select(func.max(payout_attempts_t.c.id))
        .where(payout_attempts_t.c.batch_id.in_(batch_ids))
        .group_by(payout_attempts_t.c.batch_id)
    )
    rows = session.execute(select(payout_attempts_t).where(payout_attempts_t.c.id.in_(latest)))
    by_batch = {r.batch_id: r for r in rows}
    return [by_batch[i] for i in batch_ids]


def planned_batch_ids(session: Session, batch_ids: list[int] | None = None) -> list[int]:
    """Batches not final yet (of the given ones, or all)."""
    query = (
        select(payout_batches_t.c.id)
        .where(payout_batches_t.c.status == BatchStatus.PLANNED)
        .order_by(payout_batches_t.c.id)
    )
    if batch_ids is not None:
        query = query.where(payout_batches_t.c.id.in_(batch_ids))
    return [int(r.id) for r in session.execute(query)]


def run_batches(session: Session, run_id: int) -> list[Row[Any]]:
    return list(
        session.execute(
            select(payout_batches_t)
            .where(payout_batches_t.c.run_id == run_id)
            .order_by(payout_batches_t.c.id)
        )
    )


def list_batches(session: Session, limit: int) -> list[Row[Any]]:
    return list(
        session.execute(
            select(payout_batches_t).order_by(payout_batches_t.c.id.desc()).limit(limit)
        )
    )


def update_batch(session: Session, batch_id: int, **values: Any) -> None:
    session.execute(
        update(payout_batches_t).where(payout_batches_t.c.id == batch_id).values(**values)
    )


def update_attempt(session: Session, attempt_id: int, **values: Any) -> None:
    session.execute(
        update(payout_attempts_t).where(payout_attempts_t.c.id == attempt_id).values(**values)
    )


def count_sends(session: Session, attempt_ids: list[int], now_us: int) -> dict[int, int]:
    """Record that the attempts are about to be sent; returns how often each was sent before."""
    if not attempt_ids:
        return {}
    before = {
        int(r.id): int(r.sends)
        for r in session.execute(
            select(payout_attempts_t.c.id, payout_attempts_t.c.sends)
            .where(payout_attempts_t.c.id.in_(attempt_ids))
            .order_by(payout_attempts_t.c.id)
            .with_for_update()
        )
    }
    session.execute(
        update(payout_attempts_t)
        .where(payout_attempts_t.c.id.in_(attempt_ids))
        .values(sends=payout_attempts_t.c.sends + 1, updated_at_us=now_us)
    )
    return before


def confirmed_items(session: Session) -> list[Row[Any]]:
    """Every transfer whose batch landed and succeeded (what the chain must show)."""
    return list(
        session.execute(
            select(
                payout_items_t.c.member_id,
                payout_items_t.c.address,
                payout_items_t.c.amount_units,
                payout_batches_t.c.mint,
            )
            .join(payout_batches_t, payout_batches_t.c.id == payout_items_t.c.batch_id)
            .where(payout_batches_t.c.status == BatchStatus.CONFIRMED)
        )
    )


def landed_attempts(session: Session) -> list[Row[Any]]:
    """Every attempt the chain took (landed or landed-and-failed), with its batch's memo."""
    return list(
        session.execute(
            select(
                payout_attempts_t.c.signature,
                payout_attempts_t.c.status,
                payout_batches_t.c.memo,
                payout_batches_t.c.id.label("batch_id"),
                payout_batches_t.c.status.label("batch_status"),
            )
            .join(payout_batches_t, payout_batches_t.c.id == payout_attempts_t.c.batch_id)
            .where(payout_attempts_t.c.status.in_((AttemptStatus.LANDED, AttemptStatus.FAILED)))
        )
    )


def all_attempt_signatures(session: Session) -> set[str]:
    return {r.signature for r in session.execute(select(payout_attempts_t.c.signature))}
