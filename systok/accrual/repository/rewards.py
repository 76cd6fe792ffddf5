"""A run's rewards and the adjustments it pays for earlier weeks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, case, func, insert, select
from sqlalchemy.orm import Session

from systok.db.bulk import insert_text_rows
from systok.db.kit import adjustments_t, rewards_t

REWARD_COLUMNS = (
    "run_id",
    "member_id",
    "points",
    "units",
    "paid_units",
    "streak_weeks",
    "rank_step",
    "rank_level",
    "scored_by",
)


def insert_rewards(session: Session, run_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """Store the run's rewards (one row per scored member, ``Scored.rows``), in bulk."""
    insert_text_rows(
        session,
        rewards_t,
        REWARD_COLUMNS,
        (
            (
                run_id,
                r["member_id"],
                r["points"],
                r["units"],
                r["paid_units"],
                r["streak_weeks"],
                r["rank_step"],
                r["rank_level"],
                r["scored_by"],
            )
            for r in rows
        ),
    )


def member_reward(session: Session, run_id: int, member_id: str) -> Row[Any] | None:
    """One member's reward row in a run, if any (``accrual.explain`` renders its breakdown)."""
    return session.execute(
        select(rewards_t).where(rewards_t.c.run_id == run_id, rewards_t.c.member_id == member_id)
    ).one_or_none()


def run_rewards(session: Session, run_id: int) -> list[Row[Any]]:
    """The run's rewards, by member id (a few numbers each: breakdowns are not stored)."""
    return list(
        session.execute(
            select(rewards_t).where(rewards_t.c.run_id == run_id).order_by(rewards_t.c.member_id)
        )
    )


def run_reward_amounts(session: Session, run_id: int) -> list[Any]:
    """The run's (member_id, points, paid_units), by member id: what the report stage
    writes (CSV and Merkle root). The order is ``run_rewards``'s, so the CSV's bytes are
    the same whichever of the two it is written from; three columns of 100 000 rows
    instead of nine."""
    return list(
        session.execute(
            select(rewards_t.c.member_id, rewards_t.c.points, rewards_t.c.paid_units)
            .where(rewards_t.c.run_id == run_id)
            .order_by(rewards_t.c.member_id)
        ).all()  # one fetchall: iterating fetches row by row
    )


def count_rewards(session: Session, run_id: int) -> int:
    """How many members a run rewards."""
    return int(
        session.execute(
            select(func.count()).select_from(rewards_t).where(rewards_t.c.run_id == run_id)
        ).scalar_one()
    )


def paid_for_week(session: Session, run_id: int, week: str) -> dict[str, int]:
    """What each member has been paid for a week so far: the run plus every adjustment."""
    paid: dict[str, int] = {r.member_id: int(r.paid_units) for r in run_rewards(session, run_id)}
    rows = session.execute(
        select(adjustments_t.c.member_id, func.sum(adjustments_t.c.delta_units))
        .where(adjustments_t.c.week == week)
        .group_by(adjustments_t.c.member_id)
    )
    for member_id, delta in rows:
        paid[member_id] = paid.get(member_id, 0) + int(delta)
    return paid


def insert_adjustments(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(adjustments_t), list(rows))


def run_adjustments(session: Session, run_id: int) -> list[Row[Any]]:
    """The adjustments a run pays, by week and member."""
    return list(
        session.execute(
            select(adjustments_t)
            .where(adjustments_t.c.paying_run_id == run_id)
            .order_by(adjustments_t.c.week, adjustments_t.c.member_id)
        )
    )


def reward_counts(session: Session, run_id: int) -> tuple[int, int]:
    """(members paid more than 0, members scored but paid 0) in a run: a free user's
    activity is scored and earns 0, and is not "rewarded"."""
    paid = func.sum(case((rewards_t.c.paid_units > 0, 1), else_=0))
    row = session.execute(
        select(func.count(), func.coalesce(paid, 0)).where(rewards_t.c.run_id == run_id)
    ).one()
    total, rewarded = int(row[0]), int(row[1])
    return rewarded, total - rewarded
