"""``verify quarter`` against tampering the run's own rows cannot show (issue 13).

The world is ``tests.quarter.world`` (2026-Q1, run on 2026-04-02): ``b`` was last active
on 2025-12-01, 120 days before the quarter's last day (2026-03-31), so 5 % of their
8.99 STK = 449 500 units were slashed to the pool. Each test runs the quarter, checks
it verifies, tampers one way, and reads the differences named.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from systok.core.ledger import (
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.core.times import MICROS_PER_DAY, datetime_to_us, day_of_date
from systok.db.engine import run_transaction
from systok.ledger.service import Ledger
from systok.quarter.service import QuarterRun
from systok.quarter.verify import verify_quarter
from tests.ledger.test_audit import tamper
from tests.quarter.world import NOW, POLICY, QUARTER, build

LATER_US = datetime_to_us(datetime(2026, 4, 5, tzinfo=UTC))


def settled(engine: Engine) -> None:
    build(engine)
    QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(QUARTER)
    assert verify_quarter(engine, POLICY, QUARTER) == []


def slash(engine: Engine, key: str, reference: str, at_us: int) -> int:
    """Post a ``slash`` of 1 000 units from ``a`` to the pool that no run recorded."""
    draft = TransactionDraft(
        code=TransactionCode.SLASH,
        idempotency_key=key,
        reference=reference,
        postings=(
            Posting(member_account("a"), -1000),
            Posting(system_account(AccountType.POOL_REWARDS), 1000),
        ),
    )
    posted = run_transaction(engine, lambda s: Ledger(s, clock=lambda: at_us).post(draft))
    return int(posted.transaction_id)


def slash_entry_of(engine: Engine, member_id: str) -> int:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT transaction_id FROM quarter_redistributions WHERE member_id = :m"),
            {"m": member_id},
        ).scalar_one()
    return int(found)


def test_an_extra_slash_naming_the_quarter_under_another_key(engine: Engine) -> None:
    """The reviewer's ``evil-1``: its key is not the run's, its reference names 2026-Q1."""
    settled(engine)
    entry = slash(engine, "evil-1", "redistribution 2026-Q1 500 bps", LATER_US)
    assert verify_quarter(engine, POLICY, QUARTER) == [
        f"2026-Q1: ledger entry {entry} (slash, key 'evil-1') matches no row of the run"
    ]


def test_an_extra_slash_naming_nothing_posted_while_the_run_runs(engine: Engine) -> None:
    """Neither key nor reference names a quarter; it was written between 2026-Q1's close
    and 2026-Q2's, when 2026-Q1's run runs, and no run claims it."""
    settled(engine)
    entry = slash(engine, "quiet", "", LATER_US)
    assert verify_quarter(engine, POLICY, QUARTER) == [
        f"2026-Q1: ledger entry {entry} (slash, key 'quiet') matches no row of the run"
    ]


def test_a_deleted_row_whose_slash_stays_in_the_ledger(engine: Engine) -> None:
    """b's row deleted: the snapshot still makes 449 500 units due, and b's entry, still
    in the ledger, is claimed by no row."""
    settled(engine)
    entry = slash_entry_of(engine, "b")
    tamper(engine, "DELETE FROM quarter_redistributions WHERE member_id = 'b'")
    assert verify_quarter(engine, POLICY, QUARTER) == [
        "member b: 449500 units due, nothing recorded",
        f"2026-Q1: ledger entry {entry} (slash, key "
        f"'redistribution:{POLICY.version}:2026-Q1:b') matches no row of the run",
    ]


def test_a_snapshot_rewritten_with_its_row_deleted(engine: Engine) -> None:
    """The reviewer's tamper.py + tamper2.py: b made 10 days inactive (so nothing is due)
    and b's row deleted — consistent with each other, not with the ledger: b's last
    activity at the close gives 120 days, and b's slash entry is orphaned."""
    settled(engine)
    entry = slash_entry_of(engine, "b")
    tamper(
        engine,
        "UPDATE quarter_snapshots SET days_inactive = 10 WHERE member_id = 'b'",
        "DELETE FROM quarter_redistributions WHERE member_id = 'b'",
    )
    assert verify_quarter(engine, POLICY, QUARTER) == [
        "snapshot of b: days_inactive is 10, the ledger at the close gives 120",
        f"2026-Q1: ledger entry {entry} (slash, key "
        f"'redistribution:{POLICY.version}:2026-Q1:b') matches no row of the run",
    ]


def test_a_snapshot_balance_rewritten(engine: Engine) -> None:
    """c held 10 STK with 2 STK on hold at the close (8 available, 10 % = 800 000 due);
    a snapshot saying 9 STK posted (7 available) is named, and so is the row it
    no longer explains."""
    settled(engine)
    tamper(
        engine,
        "UPDATE quarter_snapshots SET posted_units = 9000000, available_units = 7000000 "
        "WHERE member_id = 'c'",
    )
    assert verify_quarter(engine, POLICY, QUARTER) == [
        "member c: due_units is 800000, the snapshot gives 700000",  # 10 % of 7 STK
        "snapshot of c: posted_units is 9000000, the ledger at the close gives 10000000",
    ]


def test_events_arriving_or_retracted_after_the_run_change_nothing(engine: Engine) -> None:
    """After the run, an event of b on 2026-03-30 arrives (received 2026-04-05) and a's
    events of 2026-03-20 are retracted: the snapshot is rebuilt with the events as they
    stood when its stage committed (2026-04-02 12:00), so the quarter still verifies."""
    settled(engine)
    day = day_of_date(datetime(2026, 3, 30).date())
    tamper(
        engine,
        "INSERT INTO events (source, source_event_id, event_type, member_id, occurred_at_us,"
        f" occurred_day, received_at_us, payload) VALUES ('test', 'late-b', 'X', 'b', "
        f"{day * MICROS_PER_DAY}, {day}, {LATER_US}, '{{}}')",
        f"UPDATE events SET retracted_at_us = {LATER_US} WHERE member_id = 'a'",
    )
    assert verify_quarter(engine, POLICY, QUARTER) == []


def test_the_price_is_replayed(engine: Engine) -> None:
    """No backing was recorded, so 2026-Q1's price is floor(0 / 66 STK) = 0 kopecks;
    66 STK were issued by the close (a, b, c, e, h 10 each, d 10 + 5 in the wallet,
    g 1). A price, an issued amount or a whole row rewritten is each named."""
    settled(engine)
    with engine.connect() as connection:
        price = connection.execute(text("SELECT price_units, issued_units FROM quarter_prices"))
        assert tuple(price.one()) == (0, 66_000_000)
    tamper(engine, "UPDATE quarter_prices SET price_units = 1")
    assert verify_quarter(engine, POLICY, QUARTER) == [
        "price of 2026-Q1: price 1, the replay gives 0"
    ]
    tamper(engine, "UPDATE quarter_prices SET price_units = 0, issued_units = 5")
    assert verify_quarter(engine, POLICY, QUARTER) == [
        "price of 2026-Q1: issued 5, the ledger gives 66000000"
    ]
    tamper(engine, "DELETE FROM quarter_prices")
    assert verify_quarter(engine, POLICY, QUARTER) == [
        "price of 2026-Q1: none stored, the book and the ledger give 0 units"
    ]
