"""All SQL of the quarterly run: its rows, the ledger at the close, members' activity
(``activity``) and the vest stage (``vesting``), re-exported here.

Functions take the caller's session; nothing here commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.orm import Session

from systok.core.ledger import AccountType
from systok.db.kit import (
    accounts_t,
    postings_t,
    quarter_redistributions_t,
    quarter_runs_t,
    quarter_snapshots_t,
    quarter_stages_t,
    transactions_t,
)
from systok.ledger.repository.holds import holds_pending_at
from systok.quarter.repository.activity import (
    last_activity_days as last_activity_days,
)
from systok.quarter.repository.vesting import (
    claimed_entry_ids as claimed_entry_ids,
)
from systok.quarter.repository.vesting import (
    fund_grants as fund_grants,
)
from systok.quarter.repository.vesting import (
    insert_vesting_releases as insert_vesting_releases,
)
from systok.quarter.repository.vesting import (
    released_before as released_before,
)
from systok.quarter.repository.vesting import (
    run_vesting_releases as run_vesting_releases,
)
from systok.quarter.repository.vesting import (
    sale_grants as sale_grants,
)
from systok.quarter.repository.vesting import (
    weekly_run_stages as weekly_run_stages,
)

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


def stage_finished_at(session: Session, run_id: int, stage: str) -> int | None:
    """When ``stage`` of run ``run_id`` committed, if it has."""
    found = session.execute(
        select(quarter_stages_t.c.finished_at_us).where(
            quarter_stages_t.c.run_id == run_id, quarter_stages_t.c.stage == stage
        )
    ).scalar_one_or_none()
    return None if found is None else int(found)


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
