"""What the sale tests share: the policy with an initial sale, members, minting, counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from systok.core.times import datetime_to_us
from systok.db.engine import run_transaction
from systok.policy_files import load_policy
from systok.sale import service
from tests.backing.helpers import STK, every_table_count, mint

__all__ = ["POLICY", "STK", "at", "every_table_count", "mint", "seed_members"]

POLICY = load_policy("stk-2025-04")  # 500..1000 bps, 365 days, buyers = "members"


def at(*parts: int) -> int:
    """A UTC instant in microseconds."""
    return datetime_to_us(datetime(*parts, tzinfo=UTC))  # type: ignore[misc]


def seed_members(engine: Engine, *ids: str) -> None:
    with engine.begin() as connection:
        for member_id in ids:
            connection.execute(
                text("INSERT INTO members (id, created_at_us) VALUES (:id, 0)"), {"id": member_id}
            )


def open_sale(engine: Engine, share_bps: int, price: str, ref: str, now_us: int) -> Any:
    draft = service.parse_sale(POLICY, share_bps=share_bps, price=price, reference=ref)
    return run_transaction(engine, lambda s: service.open_sale(s, POLICY, draft, now_us=now_us))


def buy(engine: Engine, member: str, amount: str, ref: str, now_us: int) -> Any:
    draft = service.parse_purchase(POLICY, member_id=member, amount=amount, reference=ref)
    return run_transaction(engine, lambda s: service.buy(s, POLICY, draft, now_us=now_us))


def close(engine: Engine, now_us: int) -> Any:
    return run_transaction(engine, lambda s: service.close_sale(s, now_us=now_us))
