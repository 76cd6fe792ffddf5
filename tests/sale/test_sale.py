"""The initial sale: open, buy, close, on SQLite and PostgreSQL (ADR 0029)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from systok.backing.service import list_inflows
from systok.core.amount import STK as STK_CODE
from systok.core.ledger import (
    AccountRef,
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
)
from systok.core.policy.emission import QuarterlyDecayEmission
from systok.core.price import InflowKind
from systok.core.quarters import Quarter
from systok.core.times import MICROS_PER_DAY
from systok.db.engine import run_transaction
from systok.economy.emission import issue_caps
from systok.errors import (
    MemberNotFound,
    NoOpenSale,
    SaleAlreadyOpen,
    SaleCapExceeded,
    SaleConflict,
    SaleInvalid,
    SystokError,
)
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from systok.sale.service import TREASURY, sale_status, vesting_account
from tests.sale.helpers import (
    POLICY,
    STK,
    at,
    buy,
    close,
    every_table_count,
    mint,
    open_sale,
    seed_members,
)

OPEN_AT = at(2026, 6, 1)
BUY_AT = at(2026, 6, 2, 10, 30)


def supply(engine: Engine) -> int:
    report = run_transaction(engine, audit_ledger, snapshot=True)
    assert report.ok, report.violations
    return report.supply_units[STK_CODE]


@pytest.fixture
def market(engine: Engine) -> Engine:
    """1 000 000 STK issued, members m1 and m2, a sale of 5 % at 1.00 RUB open."""
    seed_members(engine, "m1", "m2")
    mint(engine, 1_000_000 * STK, datetime(2026, 5, 1, tzinfo=UTC), "mint-1")
    open_sale(engine, 500, "1.00", "sale-1", OPEN_AT)
    return engine


def test_golden_purchase(market: Engine) -> None:
    before = supply(market)
    status = run_transaction(market, sale_status)
    assert status.sale is not None
    assert status.sale.cap_units == 50_000 * STK  # floor(10^12 × 500 / 10 000)
    assert status.sale.issued_units == 1_000_000 * STK and status.sale.price_units == 100

    done = buy(market, "m1", "1000", "pay-1", BUY_AT)
    assert done.replayed is False
    bought = done.purchase
    assert bought.units == 1000 * STK and bought.paid_units == 100_000  # 1000.00 RUB
    assert bought.purchased_at_us == BUY_AT
    assert bought.unlock_at_us == BUY_AT + 365 * MICROS_PER_DAY
    assert done.sale.sold_units == 1000 * STK
    assert done.sale.remaining_units == 49_000 * STK

    balances = run_transaction(
        market,
        lambda s: (
            Ledger(s).balance(vesting_account("m1")),
            Ledger(s).balance(member_account("m1")),
        ),
    )
    assert vesting_account("m1").type is AccountType.HOLD_VESTING
    assert balances[0].posted_units == 1000 * STK and balances[1].posted_units == 0
    assert supply(market) == before  # nothing minted (ADR 0041); the audit passes inside
    treasury = run_transaction(market, lambda s: Ledger(s).balance(TREASURY).posted_units)
    assert treasury == 999_000 * STK  # 1 000 000 minted − 1000 sold

    inflows = run_transaction(market, list_inflows)
    assert [(i.kind, i.amount_units, i.quarter, i.reference) for i in inflows] == [
        (InflowKind.INVESTOR_SALE, 100_000, Quarter.parse("2026-Q2"), "pay-1")
    ]

    counts = every_table_count(market)
    again = buy(market, "m1", "1000", "pay-1", BUY_AT + 5)
    assert again.replayed is True and again.purchase == bought
    assert every_table_count(market) == counts


def test_price_floors_to_the_kopeck(engine: Engine) -> None:
    seed_members(engine, "m1")
    mint(engine, 1_000_000 * STK, datetime(2026, 5, 1, tzinfo=UTC), "mint-1")
    open_sale(engine, 1000, "1.33", "sale-1", OPEN_AT)
    # 0.5 STK × 1.33 RUB = 0.665 RUB → 66 kopecks (the member is never charged a fraction)
    assert buy(engine, "m1", "0.5", "pay-1", BUY_AT).purchase.paid_units == 66
    with pytest.raises(SaleInvalid, match=r"amount: .*less than one minor unit"):
        buy(engine, "m1", "0.000001", "pay-2", BUY_AT)


def test_close_then_status(market: Engine) -> None:
    buy(market, "m2", "10", "pay-1", BUY_AT)
    closed = close(market, BUY_AT + 1)
    assert closed.is_open is False and closed.closed_at_us == BUY_AT + 1
    assert closed.sold_units == 10 * STK
    status = run_transaction(market, sale_status)
    assert status.sale == closed and [p.reference for p in status.purchases] == ["pay-1"]
    # a new sale may open once the first is closed
    assert open_sale(market, 600, "2", "sale-2", BUY_AT + 2).sale.cap_units > 0


def _freeze_m2(engine: Engine) -> None:
    from systok.economy.members import freeze_member

    run_transaction(engine, lambda s: freeze_member(s, "m2", "test", 0))


REFUSALS: dict[str, tuple[type[SystokError], str, Callable[[Engine], object]]] = {
    "share below min": (
        SaleInvalid,
        "share_bps: 499",
        lambda e: open_sale(e, 499, "1", "sale-x", OPEN_AT),
    ),
    "share above max": (
        SaleInvalid,
        "share_bps: 1001",
        lambda e: open_sale(e, 1001, "1", "sale-x", OPEN_AT),
    ),
    "price zero": (SaleInvalid, "price:", lambda e: open_sale(e, 500, "0", "sale-x", OPEN_AT)),
    "second open sale": (
        SaleAlreadyOpen,
        "sale: sale 1",
        lambda e: open_sale(e, 500, "1", "sale-2", OPEN_AT),
    ),
    "open reference reused": (
        SaleConflict,
        "its price differs",
        lambda e: open_sale(e, 500, "2", "sale-1", OPEN_AT),
    ),
    "beyond cap": (
        SaleCapExceeded,
        "amount: ",
        lambda e: buy(e, "m1", "50000.000001", "pay-x", BUY_AT),
    ),
    "unknown member": (MemberNotFound, "'ghost'", lambda e: buy(e, "ghost", "1", "pay-x", BUY_AT)),
    "frozen member": (SystokError, "buyer", lambda e: buy(e, "m2", "1", "pay-f", BUY_AT)),
    "zero amount": (SaleInvalid, "amount:", lambda e: buy(e, "m1", "0", "pay-x", BUY_AT)),
    "negative amount": (SaleInvalid, "amount:", lambda e: buy(e, "m1", "-1", "pay-x", BUY_AT)),
    "too many decimals": (
        SaleInvalid,
        "amount:",
        lambda e: buy(e, "m1", "1.0000001", "pay-x", BUY_AT),
    ),
    "empty reference": (SaleInvalid, "reference:", lambda e: buy(e, "m1", "1", " ", BUY_AT)),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_change_nothing(market: Engine, case: str) -> None:
    error, message, act = REFUSALS[case]
    if case == "frozen member":
        _freeze_m2(market)
    before = every_table_count(market)
    with pytest.raises(error, match=message):
        act(market)
    assert every_table_count(market) == before


def test_reused_purchase_reference_and_closed_sale(market: Engine) -> None:
    buy(market, "m1", "5", "pay-1", BUY_AT)
    before = every_table_count(market)
    with pytest.raises(SaleConflict, match="its amount differs"):
        buy(market, "m1", "6", "pay-1", BUY_AT)
    with pytest.raises(SaleConflict, match="its member differs"):
        buy(market, "m2", "5", "pay-1", BUY_AT)
    assert every_table_count(market) == before
    close(market, BUY_AT + 1)
    before = every_table_count(market)
    with pytest.raises(NoOpenSale, match="sale: no sale is open"):
        buy(market, "m1", "5", "pay-2", BUY_AT + 2)
    with pytest.raises(NoOpenSale):
        close(market, BUY_AT + 2)
    assert every_table_count(market) == before


def test_no_sale_and_no_supply(engine: Engine) -> None:
    seed_members(engine, "m1")
    before = every_table_count(engine)
    with pytest.raises(NoOpenSale):
        buy(engine, "m1", "1", "pay-1", BUY_AT)
    with pytest.raises(SaleInvalid, match=r"share_bps: .*nothing to sell"):
        open_sale(engine, 500, "1", "sale-1", OPEN_AT)
    assert every_table_count(engine) == before


def test_a_reference_the_backing_book_holds_refuses_the_purchase(market: Engine) -> None:
    from systok.backing.service import parse_inflow, record_inflow
    from systok.errors import InflowConflict

    draft = parse_inflow(
        POLICY, kind="donation", amount="10", quarter="2026-Q2", reference="pay-1", note=None
    )
    run_transaction(market, lambda s: record_inflow(s, draft, now_us=BUY_AT))
    before = every_table_count(market)
    with pytest.raises(InflowConflict, match="reference: 'pay-1'"):
        buy(market, "m1", "1", "pay-1", BUY_AT)
    assert every_table_count(market) == before


def test_supply_never_passes_the_cap(engine: Engine) -> None:
    """Issue the policy's whole ``emission.total_supply`` (21 000 000 STK), then sell the
    largest sale's whole cap: floor(21 000 000 × 1000 / 10 000) = 2 100 000 STK. Supply
    stays 21 000 000 STK = total_supply: the sale sells issued tokens (ADR 0041). The
    audit with the policy's cap passes, and names one base unit minted past it."""
    assert isinstance(POLICY.emission, QuarterlyDecayEmission)
    total = POLICY.emission.total_supply
    assert total == 21_000_000 * STK
    seed_members(engine, "m1")
    mint(engine, total, datetime(2026, 5, 1, tzinfo=UTC), "mint-all")
    open_sale(engine, 1000, "1", "sale-1", OPEN_AT)
    assert buy(engine, "m1", "2100000", "pay-1", BUY_AT).sale.remaining_units == 0
    assert supply(engine) == total
    caps = issue_caps(POLICY)
    assert caps == {"STK": total}
    assert run_transaction(engine, lambda s: audit_ledger(s, None, caps)).ok
    mint(engine, 1, datetime(2026, 6, 3, tzinfo=UTC), "mint-one-more")  # past the cap
    report = run_transaction(engine, lambda s: audit_ledger(s, None, caps))
    assert report.violations == [
        "asset STK: 21000000000001 issued, more than the policy's emission.total_supply "
        "21000000000000"
    ]


def test_treasury_short_is_refused(engine: Engine) -> None:
    """1 000 000 STK issued, 999 990 of it moved out of the treasury: a 5 % sale's cap is
    50 000 STK but the treasury holds 10, so 10.000001 STK is refused (naming ``amount``),
    nothing written, and 10 STK is sold."""
    seed_members(engine, "m1")
    mint(engine, 1_000_000 * STK, datetime(2026, 5, 1, tzinfo=UTC), "mint-1")
    drain = TransactionDraft(
        TransactionCode.BURN,
        "drain",
        (
            Posting(TREASURY, -999_990 * STK),
            Posting(AccountRef(AccountType.BURN, STK_CODE), 999_990 * STK),
        ),
    )
    run_transaction(engine, lambda s: Ledger(s, clock=lambda: OPEN_AT - 1).post(drain))
    open_sale(engine, 500, "1", "sale-1", OPEN_AT)
    before = every_table_count(engine)
    with pytest.raises(SaleCapExceeded, match=r"amount: .*treasury"):
        buy(engine, "m1", "10.000001", "pay-1", BUY_AT)
    assert every_table_count(engine) == before
    assert buy(engine, "m1", "10", "pay-2", BUY_AT).purchase.units == 10 * STK
