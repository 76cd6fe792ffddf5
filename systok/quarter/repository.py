"""All SQL of the quarterly run: its rows, the ledger at the close, members' activity.

Functions take the caller's session; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, and_, func, insert, select, update
from sqlalchemy.orm import Session

from systok.core.ledger import AccountType, TransactionCode
from systok.core.times import day_of_us
from systok.db.kit import (
    accounts_t,
    day_counts_t,
    entitlements_t,
    members_t,
    postings_t,
    quarter_redistributions_t,
    quarter_runs_t,
    quarter_snapshots_t,
    quarter_stages_t,
    quarter_vesting_releases_t,
    runs_t,
    sale_purchases_t,
    sales_t,
    transactions_t,
    wallets_t,
)
from systok.ledger.repository.holds import holds_pending_at

IDS_PER_STATEMENT = 5_000
"""Ledger entries read per statement (SQLite binds at most 32 766 parameters)."""

# --- the run rows ---------------------------------------------------------------------


def find_run(session: Session, quarter: str) -> Row[Any] | None:
    """The run of a quarter, if one was started."""
    return session.execute(
        select(quarter_runs_t).where(quarter_runs_t.c.quarter == quarter)
    ).one_or_none()


def create_run(
    session: Session,
    *,
    quarter: str,
    policy_version: str,
    policy_hash: str,
    stage: str,
    now_us: int,
    run_id: int | None = None,
) -> int:
    """Start a run at ``stage`` (``run_id`` given only by a dry run, see ``DRY_RUN_ID``)."""
    statement = insert(quarter_runs_t).values(
        quarter=quarter,
        policy_version=policy_version,
        policy_hash=policy_hash,
        stage=stage,
        created_at_us=now_us,
        updated_at_us=now_us,
    )
    if run_id is not None:
        statement = statement.values(id=run_id)
    created: int = session.execute(statement.returning(quarter_runs_t.c.id)).scalar_one()
    return created


def latest_runs(session: Session, limit: int) -> list[Row[Any]]:
    """The most recently started runs, newest first."""
    return list(
        session.execute(
            select(quarter_runs_t)
            .order_by(quarter_runs_t.c.created_at_us.desc(), quarter_runs_t.c.id.desc())
            .limit(limit)
        )
    )


def get_run(session: Session, run_id: int) -> Row[Any]:
    """A run row, read without locking it."""
    return session.execute(select(quarter_runs_t).where(quarter_runs_t.c.id == run_id)).one()


def lock_run(session: Session, run_id: int) -> Row[Any]:
    """The run row under its lock: one stage advances at a time, whoever runs it."""
    return session.execute(
        select(quarter_runs_t).where(quarter_runs_t.c.id == run_id).with_for_update()
    ).one()


def advance(session: Session, run_id: int, stage: str, now_us: int) -> None:
    """Record that the run reached ``stage``."""
    session.execute(
        update(quarter_runs_t)
        .where(quarter_runs_t.c.id == run_id)
        .values(stage=stage, updated_at_us=now_us)
    )


def insert_stage(
    session: Session, run_id: int, stage: str, finished_at_us: int, duration_us: int
) -> None:
    """Record that ``stage`` of run ``run_id`` committed, taking ``duration_us``."""
    session.execute(
        insert(quarter_stages_t).values(
            run_id=run_id, stage=stage, finished_at_us=finished_at_us, duration_us=duration_us
        )
    )


# --- the ledger at the close ----------------------------------------------------------


def balances_at(session: Session, asset: str, end_us: int) -> dict[str, dict[str, int]]:
    """Members' posted balances as the ledger stood before ``end_us``.

    Returns member id → {``member``: custodial posted units, ``wallet``: units in the
    member's own wallet, ``held``: units held on the custodial account}: the sums of
    the postings of entries written before ``end_us``, and the holds pending then
    (created before ``end_us`` and not resolved before it). Only non-zero values.
    """
    found: dict[str, dict[str, int]] = {}
    posted = session.execute(
        select(accounts_t.c.owner, accounts_t.c.type, func.sum(postings_t.c.amount_units))
        .select_from(postings_t)
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        .where(
            accounts_t.c.type.in_([AccountType.MEMBER.value, AccountType.WALLET.value]),
            accounts_t.c.asset == asset,
            transactions_t.c.created_at_us < end_us,
        )
        .group_by(accounts_t.c.owner, accounts_t.c.type)
    )
    for owner, account_type, units in posted:
        if units:
            found.setdefault(owner, {})[account_type] = int(units)
    pending = holds_pending_at(end_us)
    held = session.execute(
        select(accounts_t.c.owner, func.sum(pending.c.amount_units))
        .select_from(pending)
        .join(accounts_t, accounts_t.c.id == pending.c.account_id)
        .where(accounts_t.c.type == AccountType.MEMBER.value, accounts_t.c.asset == asset)
        .group_by(accounts_t.c.owner)
    )
    for owner, units in held:
        if units:
            found.setdefault(owner, {})["held"] = int(units)
    return found


# --- activity (ADR 0027) ----------------------------------------------------------------


def last_activity_days(
    session: Session, members: Iterable[str], asset: str, last_day: int, end_us: int
) -> dict[str, int]:
    """The last day (UTC day number) each member was active, up to a quarter's close.

    Activity is defined once, here (ADR 0027, docs/quarter.md "Activity"): a day on which
    the member had a counted event (``event_day_counts`` with ``count > 0``), or started
    an action — sent a transfer or sold in a buyback (the debited member of a
    ``transfer`` or ``buyback`` entry), bought on the marketplace (an entitlement),
    bought in the initial sale (a purchase; ADR 0041), or linked a wallet. Staking and
    voting do not exist yet; they join the definition when they land. Only days up to
    ``last_day`` and times before ``end_us`` (the close) count. A member with no activity at all is
    treated as active on their first-known day: the member row's ``created_at_us``
    (when ingestion first knew them), else, for an account owner with no member row, the
    day their custodial account opened.
    Members with no known day at all are left out of the answer.
    """
    wanted = set(members)
    last: dict[str, int] = {}

    def seen(member_id: str, day: int) -> None:
        if member_id in wanted and day > last.get(member_id, day - 1):
            last[member_id] = day

    for member_id, day in session.execute(
        select(day_counts_t.c.member_id, func.max(day_counts_t.c.day))
        .where(day_counts_t.c.count > 0, day_counts_t.c.day <= last_day)
        .group_by(day_counts_t.c.member_id)
    ):
        seen(member_id, int(day))
    sent = (
        select(accounts_t.c.owner, func.max(transactions_t.c.created_at_us))
        .select_from(postings_t)
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        .where(
            transactions_t.c.code.in_(
                (TransactionCode.TRANSFER.value, TransactionCode.BUYBACK.value)
            ),
            accounts_t.c.type == AccountType.MEMBER.value,
            postings_t.c.amount_units < 0,
            transactions_t.c.created_at_us < end_us,
        )
        .group_by(accounts_t.c.owner)
    )
    bought = (
        select(entitlements_t.c.member_id, func.max(entitlements_t.c.created_at_us))
        .where(entitlements_t.c.created_at_us < end_us)
        .group_by(entitlements_t.c.member_id)
    )
    bought_in_sale = (
        select(sale_purchases_t.c.member_id, func.max(sale_purchases_t.c.purchased_at_us))
        .where(sale_purchases_t.c.purchased_at_us < end_us)
        .group_by(sale_purchases_t.c.member_id)
    )
    linked = select(wallets_t.c.member_id, wallets_t.c.linked_at_us).where(
        wallets_t.c.linked_at_us < end_us
    )
    for statement in (sent, bought, bought_in_sale, linked):
        for member_id, at_us in session.execute(statement):
            seen(member_id, day_of_us(int(at_us)))
    # Never active: the member row's creation, else (no member row) the account's opening.
    opened = select(accounts_t.c.owner, accounts_t.c.created_at_us).where(
        and_(accounts_t.c.type == AccountType.MEMBER.value, accounts_t.c.asset == asset)
    )
    known = set(last)
    for statement in (select(members_t.c.id, members_t.c.created_at_us), opened):
        for member_id, at_us in session.execute(statement):
            if member_id not in known:
                known.add(member_id)
                seen(member_id, day_of_us(int(at_us)))
    return last


# --- the snapshot and the redistributions ---------------------------------------------


def insert_snapshots(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store the snapshot's rows (one per member)."""
    if rows:
        session.execute(insert(quarter_snapshots_t), rows)


def run_snapshots(session: Session, run_id: int) -> list[Row[Any]]:
    """A run's snapshot, by member id."""
    return list(
        session.execute(
            select(quarter_snapshots_t)
            .where(quarter_snapshots_t.c.run_id == run_id)
            .order_by(quarter_snapshots_t.c.member_id)
        )
    )


def insert_redistributions(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store what the redistribute stage took from each member."""
    if rows:
        session.execute(insert(quarter_redistributions_t), rows)


def run_redistributions(session: Session, run_id: int) -> list[Row[Any]]:
    """A run's redistributions, by member id."""
    return list(
        session.execute(
            select(quarter_redistributions_t)
            .where(quarter_redistributions_t.c.run_id == run_id)
            .order_by(quarter_redistributions_t.c.member_id)
        )
    )


def entry_postings(session: Session, transaction_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Ledger entries by id: their code and postings as ``{"type:owner": units}``."""
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(transaction_ids), IDS_PER_STATEMENT):
        _read_entries(session, transaction_ids[start : start + IDS_PER_STATEMENT], found)
    return found


def _read_entries(session: Session, ids: list[int], found: dict[int, dict[str, Any]]) -> None:
    rows = session.execute(
        select(
            transactions_t.c.id,
            transactions_t.c.code,
            accounts_t.c.type,
            accounts_t.c.owner,
            postings_t.c.amount_units,
        )
        .select_from(transactions_t)
        .join(postings_t, postings_t.c.transaction_id == transactions_t.c.id)
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .where(transactions_t.c.id.in_(ids))
    )
    for tx_id, code, account_type, owner, units in rows:
        entry = found.setdefault(int(tx_id), {"code": code, "postings": {}})
        name = f"{account_type}:{owner}" if owner else account_type
        entry["postings"][name] = int(units)


# --- the vest stage (ADR 0033) -----------------------------------------------------------


def fund_grants(session: Session, asset: str, end_us: int) -> list[tuple[str, int, int]]:
    """Every emission credit to a locked fund account before ``end_us``: (fund name,
    the entry's time, units), oldest first. Each is one grant (ADR 0033)."""
    rows = session.execute(
        select(accounts_t.c.owner, transactions_t.c.created_at_us, postings_t.c.amount_units)
        .select_from(postings_t)
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        .where(
            transactions_t.c.code == TransactionCode.EMISSION.value,
            accounts_t.c.type == AccountType.FUND_VESTING.value,
            accounts_t.c.asset == asset,
            postings_t.c.amount_units > 0,
            transactions_t.c.created_at_us < end_us,
        )
        .order_by(transactions_t.c.created_at_us, transactions_t.c.id)
    )
    return [(str(owner), int(at_us), int(units)) for owner, at_us, units in rows]


def sale_grants(session: Session, end_us: int) -> list[tuple[str, int, int, int]]:
    """Every initial-sale purchase before ``end_us``: (member, purchase time, units, the
    sale's ``vesting_days``), oldest first. Each is one grant (ADR 0033)."""
    rows = session.execute(
        select(
            sale_purchases_t.c.member_id,
            sale_purchases_t.c.purchased_at_us,
            sale_purchases_t.c.units,
            sales_t.c.vesting_days,
        )
        .join(sales_t, sales_t.c.id == sale_purchases_t.c.sale_id)
        .where(sale_purchases_t.c.purchased_at_us < end_us)
        .order_by(sale_purchases_t.c.purchased_at_us, sale_purchases_t.c.id)
    )
    return [(str(m), int(at_us), int(units), int(days)) for m, at_us, units, days in rows]


def insert_vesting_releases(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store the vest stage's tranches."""
    if rows:
        session.execute(insert(quarter_vesting_releases_t), rows)


def weekly_run_stages(session: Session, through_week: str) -> dict[str, set[str]]:
    """The stages of the weekly runs (``accrual_runs``) of weeks up to ``through_week``
    (``YYYY-Www`` sorts as text), by week."""
    found: dict[str, set[str]] = {}
    rows = session.execute(
        select(runs_t.c.week, runs_t.c.stage).where(runs_t.c.week <= through_week)
    )
    for week, stage in rows:
        found.setdefault(str(week), set()).add(str(stage))
    return found


def released_before(session: Session, quarter: str) -> dict[tuple[str, str], int]:
    """Σ released per (kind, grantee) by the vest stages of quarters before ``quarter``
    (``YYYY-Qn`` sorts as text), whatever their runs' stage: a stored row is a posted entry."""
    rows = session.execute(
        select(
            quarter_vesting_releases_t.c.kind,
            quarter_vesting_releases_t.c.grantee,
            func.sum(quarter_vesting_releases_t.c.released_units),
        )
        .join(quarter_runs_t, quarter_runs_t.c.id == quarter_vesting_releases_t.c.run_id)
        .where(quarter_runs_t.c.quarter < quarter)
        .group_by(quarter_vesting_releases_t.c.kind, quarter_vesting_releases_t.c.grantee)
    )
    return {(str(kind), str(grantee)): int(total) for kind, grantee, total in rows}


def run_vesting_releases(session: Session, run_id: int) -> list[Row[Any]]:
    """A run's tranches, funds first, then by grantee."""
    return list(
        session.execute(
            select(quarter_vesting_releases_t)
            .where(quarter_vesting_releases_t.c.run_id == run_id)
            .order_by(quarter_vesting_releases_t.c.kind, quarter_vesting_releases_t.c.grantee)
        )
    )
