"""Entries found by their code: what a verifier lists to match against its own rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from systok.db.kit import transactions_t


def entries_naming_or_within(
    session: Session, codes: list[str], names: tuple[str, str], window_us: tuple[int, int]
) -> list[Row[Any]]:
    """Entries with one of ``codes`` whose idempotency key contains ``names[0]`` or whose
    reference contains ``names[1]``, or that were written within ``window_us`` (from,
    to exclusive): every candidate for a run's own entries, including ones written under
    a key the run would not use (``verify quarter``)."""
    key_part, reference_part = names
    return list(
        session.execute(
            select(
                transactions_t.c.id,
                transactions_t.c.code,
                transactions_t.c.idempotency_key,
                transactions_t.c.reference,
                transactions_t.c.created_at_us,
            )
            .where(
                transactions_t.c.code.in_(codes),
                transactions_t.c.idempotency_key.contains(key_part, autoescape=True)
                | transactions_t.c.reference.contains(reference_part, autoescape=True)
                | (
                    (transactions_t.c.created_at_us >= window_us[0])
                    & (transactions_t.c.created_at_us < window_us[1])
                ),
            )
            .order_by(transactions_t.c.id)
        )
    )
