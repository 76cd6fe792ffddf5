"""A small community at the close of 2026-Q1, one member per case of the activity rule.

Quarter 2026-Q1 ends 2026-03-31 (its last day); the run happens on 2026-04-02.

- ``a``: counted events on 2026-03-20 → 11 days inactive → 0 %.
- ``b``: last sent a transfer on 2025-12-01 → 120 days → 5 % and a warning.
- ``c``: a member since 2025-07-01 who never did anything → 273 days → 10 %; 2 STK of
  it held at the close, so 8 STK available.
- ``d``: a free user with no member row whose account opened on 2024-12-01 → 485 days →
  15 %; also 5 STK in their own wallet, out of reach.
- ``e``: linked a wallet on 2025-12-31 → 90 days → 5 % and a warning.
- ``h``: a member since 2024-01-01 who bought a service on 2026-01-15 → 75 days → 0 %.
- ``g``: a member since 2024-01-01, never active → 15 % of 1 STK due, but after the close
  (2026-04-01) they sent almost everything away: the run moves what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from systok.core.ledger import (
    AccountRef,
    AccountType,
    HoldDraft,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.core.quarters import Quarter
from systok.core.times import MICROS_PER_DAY, datetime_to_us, day_of_date
from systok.db.engine import run_transaction
from systok.db.kit import day_counts_t, entitlements_t, events_t, wallet_challenges_t, wallets_t
from systok.economy.transfers import transfer_between_members
from systok.ingest.repository.members import ensure_member
from systok.ledger.service import Ledger
from systok.policy_files import load_policy

POLICY = load_policy("stk-2025-12")
QUARTER = Quarter(2026, 1)
STK = 1_000_000
NOW = datetime(2026, 4, 2, 12, tzinfo=UTC)


def at(year: int, month: int, day: int) -> int:
    return datetime_to_us(datetime(year, month, day, 10, tzinfo=UTC))


def fixed(us: int) -> Callable[[], int]:
    return lambda: us


def credit(session: Session, account: AccountRef, units: int, when: int, key: str) -> None:
    Ledger(session, clock=fixed(when)).post(
        TransactionDraft(
            code=TransactionCode.EMISSION,
            idempotency_key=key,
            postings=(Posting(system_account(AccountType.WORLD), -units), Posting(account, units)),
        )
    )


def counted_events(session: Session, member_id: str, day: int, event_type: str, count: int) -> None:
    """``count`` raw events of a member on a UTC day, received that day, and their day
    count: the two the ingestion keeps in step (``verify quarter`` reads the events)."""
    occurred_us = day * MICROS_PER_DAY + MICROS_PER_DAY // 2
    for n in range(count):
        session.execute(
            insert(events_t).values(
                source="test",
                source_event_id=f"{member_id}:{day}:{event_type}:{n}",
                event_type=event_type,
                member_id=member_id,
                occurred_at_us=occurred_us,
                occurred_day=day,
                received_at_us=occurred_us,
                payload="{}",
            )
        )
    session.execute(
        insert(day_counts_t).values(
            member_id=member_id, day=day, event_type=event_type, count=count
        )
    )


def build(engine: Engine) -> None:
    """Write the community described in this module's docstring."""

    def work(session: Session) -> None:
        Ledger(session).ensure_assets({c: a.scale for c, a in POLICY.assets.items()})
        for member_id, created in (
            ("a", at(2025, 1, 1)),
            ("b", at(2025, 1, 1)),
            ("c", at(2025, 7, 1)),
            ("e", at(2025, 1, 1)),
            ("g", at(2024, 1, 1)),
            ("h", at(2024, 1, 1)),
        ):
            ensure_member(session, member_id, created)
        for member_id in ("a", "b", "c", "e", "h"):
            credit(session, member_account(member_id), 10 * STK, at(2025, 1, 2), f"t:{member_id}")
        credit(session, member_account("d"), 10 * STK, at(2024, 12, 1), "t:d")
        credit(session, member_account("g"), STK, at(2024, 1, 2), "t:g")
        credit(session, AccountRef(AccountType.WALLET, "STK", "d"), 5 * STK, at(2025, 3, 1), "t:w")
        counted_events(
            session, "a", day_of_date(datetime(2026, 3, 20).date()), "SectionCompleted", 2
        )
        transfer_between_members(
            Ledger(session, clock=fixed(at(2025, 12, 1))),
            POLICY,
            sender_id="b",
            recipient_id="a",
            amount_units=STK,
            idempotency_key="t:b->a",
        )
        Ledger(session, clock=fixed(at(2026, 2, 1))).create_hold(
            HoldDraft(
                code=TransactionCode.ESCROW,
                idempotency_key="t:hold:c",
                debit=member_account("c"),
                credit=system_account(AccountType.ESCROW),
                amount_units=2 * STK,
            )
        )
        session.execute(
            insert(wallet_challenges_t).values(
                nonce="n-e",
                member_id="e",
                address="E" * 32,
                message="m",
                issued_at_us=at(2025, 12, 31),
                expires_at_us=at(2026, 1, 1),
            )
        )
        session.execute(
            insert(wallets_t).values(
                member_id="e",
                address="E" * 32,
                nonce="n-e",
                signature="s",
                linked_at_us=at(2025, 12, 31),
            )
        )
        session.execute(
            insert(entitlements_t).values(
                member_id="h",
                service_id="course",
                request_key="k-h",
                policy_version=POLICY.version,
                price_units=0,
                starts_at_us=at(2026, 1, 15),
                ends_at_us=at(2026, 2, 15),
                created_at_us=at(2026, 1, 15),
            )
        )
        transfer_between_members(
            Ledger(session, clock=fixed(at(2026, 4, 1))),
            POLICY,
            sender_id="g",
            recipient_id="a",
            amount_units=900_000,
            idempotency_key="t:g->a",
        )

    run_transaction(engine, work)
