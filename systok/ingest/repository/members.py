"""Members and their effective-dated history (qualification levels, paid membership)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from systok.db.kit import dialect_insert, members_t, memberships_t, qualifications_t
from systok.economy.repository import paid_member_on
from systok.ingest.repository.chunks import chunks


def existing_members(session: Session, member_ids: Iterable[str]) -> set[str]:
    """Which of these ids are members. PostgreSQL: one statement over an array (a
    batch's thousands of references bound as one parameter); SQLite: in chunks."""
    wanted = sorted(set(member_ids))
    if session.get_bind().dialect.name == "postgresql":
        return set(
            session.execute(
                text("SELECT id FROM members WHERE id = ANY(CAST(:ids AS text[]))"),
                {"ids": wanted},
            ).scalars()
        )
    found: set[str] = set()
    for chunk in chunks(wanted):
        found.update(
            session.execute(select(members_t.c.id).where(members_t.c.id.in_(chunk))).scalars()
        )
    return found


def ensure_member(session: Session, member_id: str, created_at_us: int) -> None:
    session.execute(
        dialect_insert(session, members_t)
        .values(id=member_id, created_at_us=created_at_us)
        .on_conflict_do_nothing(index_elements=["id"])
    )


def list_members(session: Session, limit: int, after: str | None = None) -> list[Any]:
    """Members by id (``id``, ``created_at_us``), at most ``limit``, after ``after``."""
    statement = select(members_t).order_by(members_t.c.id).limit(limit)
    if after is not None:
        statement = statement.where(members_t.c.id > after)
    return list(session.execute(statement))


def find_member(session: Session, member_id: str) -> Any | None:
    """The member row (``id``, ``created_at_us``), or None when the id is unknown."""
    return session.execute(select(members_t).where(members_t.c.id == member_id)).one_or_none()


def member_history(
    session: Session, member_id: str
) -> tuple[list[tuple[int, int]], list[tuple[int, int | None]]]:
    """(qualification rows as (from_day, level), membership rows as (starts, ends))."""
    qualifications = [
        (r.valid_from_day, r.level)
        for r in session.execute(
            select(qualifications_t)
            .where(qualifications_t.c.member_id == member_id)
            .order_by(qualifications_t.c.valid_from_day)
        )
    ]
    memberships = [
        (r.starts_day, r.ends_day)
        for r in session.execute(
            select(memberships_t)
            .where(memberships_t.c.member_id == member_id)
            .order_by(memberships_t.c.starts_day)
        )
    ]
    return qualifications, memberships


def replace_member_history(
    session: Session,
    member_id: str,
    qualifications: Sequence[tuple[int, int]],
    memberships: Sequence[tuple[int, int | None]],
) -> None:
    session.execute(delete(qualifications_t).where(qualifications_t.c.member_id == member_id))
    session.execute(delete(memberships_t).where(memberships_t.c.member_id == member_id))
    if qualifications:
        session.execute(
            qualifications_t.insert(),
            [
                {"member_id": member_id, "valid_from_day": d, "level": lvl}
                for d, lvl in qualifications
            ],
        )
    if memberships:
        session.execute(
            memberships_t.insert(),
            [{"member_id": member_id, "starts_day": s, "ends_day": e} for s, e in memberships],
        )


def profile_on(session: Session, member_id: str, day: int) -> tuple[int | None, bool]:
    """The qualification level in force on ``day``, and whether a paid membership covered it.

    Effective-dated: the level is the one of the latest row starting on or before the
    day (None before the first); the membership covers ``starts_day <= day < ends_day``.
    """
    level = session.execute(
        select(qualifications_t.c.level)
        .where(qualifications_t.c.member_id == member_id, qualifications_t.c.valid_from_day <= day)
        .order_by(qualifications_t.c.valid_from_day.desc())
        .limit(1)
    ).scalar_one_or_none()
    return level, paid_member_on(session, member_id, day)
