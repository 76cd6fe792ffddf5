"""Helpers of the outbox tests: members with profiles, and a look at the stored rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from systok.clock import now_us
from systok.db.engine import run_transaction
from systok.ingest.repository.members import ensure_member
from systok.notify.schemas import ProfileChange, RetryRule
from systok.notify.service import update_profile

RULE = RetryRule(first_seconds=60, max_seconds=3600, attempts_max=5, lease_seconds=300)
"""Backoff of the tests: 60 s, 120 s, 240 s …, at most an hour; parked after 5 tries."""


def with_profile(engine: Engine, member_id: str, **fields: Any) -> None:
    """The member, known and with these profile fields set."""

    def work(session: Any) -> None:
        ensure_member(session, member_id, now_us())
        update_profile(
            session,
            member_id,
            ProfileChange(changed=frozenset(fields), **fields),
            now_us=now_us(),
            field_name=str,
        )

    run_transaction(engine, work)


def outbox(engine: Engine) -> list[dict[str, Any]]:
    """Every outbox row, by id."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM notify_outbox ORDER BY id")).mappings()
        return [dict(r) for r in rows]
