"""The backing book and the directive price on the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from systok.backing.service import (
    backing_book,
    current_price,
    list_inflows,
    parse_inflow,
    price_of,
    record_inflow,
    set_price,
)
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.db.engine import run_transaction
from systok.errors import InflowConflict, InflowInvalid, PriceUnavailable, QuarterAlreadyPriced
from systok.policy_files import load_policy_file
from tests.backing.helpers import LATER_US, RUB, STK, every_table_count, mint
from tests.core.test_price import POLICIES

Q2, Q3 = Quarter(2026, 2), Quarter(2026, 3)


@pytest.fixture(scope="module")
def variant() -> Policy:
    return load_policy_file(POLICIES / "stk-2025-04.toml")


def record(
    engine: Engine,
    policy: Policy,
    kind: str,
    amount: str,
    quarter: str,
    ref: str,
    note: str | None = None,
):  # type: ignore[no-untyped-def]
    draft = parse_inflow(
        policy, kind=kind, amount=amount, quarter=quarter, reference=ref, note=note
    )
    return run_transaction(engine, lambda s: record_inflow(s, draft, now_us=LATER_US))


def seed_001(engine: Engine, policy: Policy) -> None:
    """Seed 001's example: 1 000 000 STK and 1 500 000 RUB of backing before 2026-Q3,
    then 333 000 RUB of subscriptions a month and 500 000 STK in 2026-Q3."""
    record(engine, policy, "subscription", "3000000", "2026-Q2", "subs-2026-Q2")
    record(engine, policy, "subscription", "999000.00", "2026-Q3", "subs-2026-Q3")
    mint(engine, 1_000_000 * STK, datetime(2026, 5, 1, tzinfo=UTC), "mint-q2")
    mint(engine, 500_000 * STK, datetime(2026, 8, 1, tzinfo=UTC), "mint-q3")
    mint(engine, 7 * STK, datetime(2026, 10, 1, tzinfo=UTC), "mint-q4")  # after the close


def test_seed_001_price_from_the_book_and_the_ledger(engine: Engine, variant: Policy) -> None:
    seed_001(engine, variant)
    book = run_transaction(engine, lambda s: backing_book(s, variant, Q3))
    assert book.counted_units == 499_500 * RUB
    assert book.cumulative_units == 1_999_500 * RUB
    view = run_transaction(engine, lambda s: price_of(s, variant, Q3))
    assert (view.price_units, view.issued_units, view.is_set) == (133, 1_500_000 * STK, False)
    stored = run_transaction(engine, lambda s: set_price(s, variant, Q3, now_us=LATER_US))
    assert stored.price_units == 133 and stored.policy_hash == variant.content_hash
    again = run_transaction(engine, lambda s: set_price(s, variant, Q3, now_us=LATER_US + 1))
    assert again == stored  # a priced quarter stays as it was set
    latest = run_transaction(engine, lambda s: current_price(s, variant, Quarter(2027, 1)))
    assert latest.is_set and latest.quarter == Q3 and latest.price_units == 133


def test_one_off_inflows_spread_over_four_quarters(engine: Engine, variant: Policy) -> None:
    record(engine, variant, "grant", "1000.03", "2026-Q1", "grant-1")
    record(engine, variant, "donation", "10.01", "2026-Q1", "gift-1")
    books = [
        run_transaction(engine, lambda s, q=q: backing_book(s, variant, q))
        for q in (Quarter(2026, 1), Q2, Q3, Quarter(2026, 4), Quarter(2027, 1))
    ]
    # grant 100 003 kopecks: 25 000 × 3 then 25 003; donation half of 1 001 = 500: 125 × 4
    assert [b.counted_units for b in books] == [25_125, 25_125, 25_125, 25_128, 0]
    assert books[-1].cumulative_units == 100_003 + 500
    assert [line.backing_units for line in books[0].lines] == [100_003, 500]


def test_recording_is_idempotent_by_reference(engine: Engine, variant: Policy) -> None:
    first = record(engine, variant, "donation", "50", "2026-Q2", "gift-7", "from Ann")
    again = record(engine, variant, "donation", "50.00", "2026-Q2", "gift-7", "from Ann")
    assert not first.replayed and again.replayed and again.inflow == first.inflow
    assert [i.reference for i in run_transaction(engine, lambda s: list_inflows(s, Q2))] == [
        "gift-7"
    ]
    assert run_transaction(engine, lambda s: list_inflows(s, Q3)) == []


@pytest.mark.parametrize(
    ("kind", "amount", "quarter", "ref", "note", "error", "field"),
    [
        ("donation", "0", "2026-Q2", "new", None, InflowInvalid, "amount"),
        ("donation", "-5", "2026-Q2", "new", None, InflowInvalid, "amount"),
        ("donation", "1.001", "2026-Q2", "new", None, InflowInvalid, "amount"),
        ("bribe", "5", "2026-Q2", "new", None, InflowInvalid, "kind"),
        ("donation", "5", "2026-Q5", "new", None, InflowInvalid, "quarter"),
        ("donation", "5", "26Q2", "new", None, InflowInvalid, "quarter"),
        ("donation", "5", "2026-Q2", " ", None, InflowInvalid, "reference"),
        ("donation", "5", "2027-Q3", "new", None, InflowInvalid, "quarter"),
        ("grant", "50", "2026-Q2", "gift-7", "from Ann", InflowConflict, "kind"),
        ("donation", "51", "2026-Q2", "gift-7", "from Ann", InflowConflict, "amount"),
        ("donation", "50", "2026-Q2", "gift-7", None, InflowConflict, "note"),
        ("donation", "5", "2026-Q3", "late", None, QuarterAlreadyPriced, "quarter"),
        ("donation", "5", "2026-Q1", "older", None, QuarterAlreadyPriced, "quarter"),
    ],
)
def test_refusals_name_the_field_and_write_nothing(
    engine: Engine,
    variant: Policy,
    kind: str,
    amount: str,
    quarter: str,
    ref: str,
    note: str | None,
    error: type[Exception],
    field: str,
) -> None:
    record(engine, variant, "donation", "50", "2026-Q2", "gift-7", "from Ann")
    mint(engine, STK, datetime(2026, 8, 1, tzinfo=UTC), "mint")
    run_transaction(engine, lambda s: set_price(s, variant, Q3, now_us=LATER_US))
    before = every_table_count(engine)
    with pytest.raises(error, match=field):
        record(engine, variant, kind, amount, quarter, ref, note)
    assert every_table_count(engine) == before


def test_no_price_before_any_issue(engine: Engine, variant: Policy) -> None:
    record(engine, variant, "subscription", "100", "2026-Q2", "subs")
    view = run_transaction(engine, lambda s: price_of(s, variant, Q2))
    assert view.price_units is None and view.backing_units == 50 * RUB
    before = every_table_count(engine)
    with pytest.raises(PriceUnavailable, match="quarter"):
        run_transaction(engine, lambda s: set_price(s, variant, Q2, now_us=LATER_US))
    assert every_table_count(engine) == before


def test_an_open_quarter_is_not_priced(engine: Engine, variant: Policy) -> None:
    mint(engine, STK, datetime(2026, 8, 1, tzinfo=UTC), "mint")
    before = every_table_count(engine)
    during = LATER_US - 200 * 86_400 * 1_000_000  # 2026-11-13: 2026-Q4 is open
    with pytest.raises(PriceUnavailable, match="still open"):
        run_transaction(engine, lambda s: set_price(s, variant, Quarter(2026, 4), now_us=during))
    assert every_table_count(engine) == before
