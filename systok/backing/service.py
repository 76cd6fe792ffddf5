"""The backing book's operations: record and list inflows, read the book, price a quarter.

Every function runs inside the caller's unit of work and never commits. The arithmetic
(shares, spreading, the price's floor) is ``core.price``'s; this module reads the rows
and the ledger's issued supply and checks what the operator typed (ADR 0026).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from systok.backing import repository as repo
from systok.backing.schemas import (
    BackingBook,
    BookLine,
    Inflow,
    InflowDraft,
    PriceQuote,
    PriceView,
    Recorded,
    StoredPrice,
)
from systok.core.amount import STK, format_amount, positive_units
from systok.core.bonding_curve import curve_quote
from systok.core.ledger import AccountType, system_account
from systok.core.policy import Policy
from systok.core.price import (
    InflowKind,
    backing_units,
    counted_parts,
    counted_up_to,
    directive_price_units,
)
from systok.core.quarters import Quarter
from systok.core.times import datetime_to_us
from systok.errors import (
    InflowConflict,
    InflowInvalid,
    PriceUnavailable,
    QuarterAlreadyPriced,
    QuoteBeyondTreasury,
    QuoteInvalid,
)
from systok.ledger.service import Ledger

REFERENCE_LENGTH_MAX = 200
NOTE_LENGTH_MAX = 2_000


def parse_quarter(text: str, field: str = "quarter") -> Quarter:
    """``2026-Q3`` as a Quarter, or ``InflowInvalid`` naming ``field``."""
    try:
        return Quarter.parse(text)
    except ValueError as error:
        raise InflowInvalid(f"{field}: {error}") from None


def parse_held_as(policy: Policy, held_as: str | None) -> str | None:
    """``--held-as``: None (not converted, held in the quote asset), the quote asset
    itself, or one of the policy's ``backing.reserve_assets`` (ADR 0036).

    Raises:
        InflowInvalid: naming ``held_as`` and the allowed list.
    """
    if held_as is None:
        return None
    quote = policy.price.quote_asset
    cleaned = held_as.strip().upper()
    allowed = (quote, *policy.backing.reserve_assets)
    if cleaned not in allowed:
        raise InflowInvalid(
            f"held_as: {held_as!r} is not a reserve asset of policy {policy.version} "
            f"(backing.reserve_assets: {', '.join(policy.backing.reserve_assets) or 'none'}; "
            f"or {quote}, not converted)"
        )
    return None if cleaned == quote else cleaned


def parse_inflow(
    policy: Policy,
    *,
    kind: str,
    amount: str,
    quarter: str,
    reference: str,
    note: str | None,
    held_as: str | None = None,
) -> InflowDraft:
    """Check an inflow as typed: a known kind, a positive amount in the quote asset
    (at most its scale's decimals), a quarter like ``2026-Q3``, a reference, and the
    reserve asset it is held in (``parse_held_as``).

    Raises:
        InflowInvalid: naming the first field that is wrong and why.
    """
    try:
        inflow_kind = InflowKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in InflowKind)
        raise InflowInvalid(f"kind: {kind!r} is not one of: {known}") from None
    quote = policy.price.quote_asset
    units = positive_units(
        amount,
        policy.assets[quote].scale,
        field="amount",
        unit=quote,
        refuse=InflowInvalid,
        why="; an inflow brings money in",
    )
    parsed_quarter = parse_quarter(quarter)
    reference = reference.strip()
    if not reference or len(reference) > REFERENCE_LENGTH_MAX:
        raise InflowInvalid(f"reference: must be 1..{REFERENCE_LENGTH_MAX} characters")
    if note is not None and len(note) > NOTE_LENGTH_MAX:
        raise InflowInvalid(f"note: longer than {NOTE_LENGTH_MAX} characters")
    held = parse_held_as(policy, held_as)
    return InflowDraft(inflow_kind, quote, units, parsed_quarter, reference, note, held)


def _differing_field(stored: Inflow, draft: InflowDraft) -> str | None:
    pairs = (
        ("kind", stored.kind, draft.kind),
        ("asset", stored.asset, draft.asset),
        ("held_as", stored.held_as, draft.held_in),
        ("amount", stored.amount_units, draft.amount_units),
        ("quarter", stored.quarter, draft.quarter),
        ("note", stored.note, draft.note),
    )
    return next((name for name, old, new in pairs if old != new), None)


def _replay_or_conflict(stored: Inflow, draft: InflowDraft) -> Recorded:
    field = _differing_field(stored, draft)
    if field is not None:
        raise InflowConflict(
            f"reference: {draft.reference!r} already names another inflow "
            f"(its {field} differs); use a new reference"
        )
    return Recorded(stored, replayed=True)


def record_inflow(session: Session, draft: InflowDraft, *, now_us: int) -> Recorded:
    """Record an inflow, idempotent by reference.

    The same reference with the same content returns the original (``replayed``); with
    other content it is refused. A new inflow for a quarter that is priced, or earlier
    than a priced quarter (it would change a set price's backing), is refused.

    Raises:
        InflowInvalid: the quarter has not started at ``now_us``.
        InflowConflict: the reference names an inflow with other content.
        QuarterAlreadyPriced: a price is set for the quarter or a later one.
    """
    stored = repo.inflow_by_reference(session, draft.reference)
    if stored is not None:
        return _replay_or_conflict(stored, draft)
    if datetime_to_us(draft.quarter.start) > now_us:
        raise InflowInvalid(
            f"quarter: {draft.quarter} has not started yet; record an inflow for the "
            "quarter it came in"
        )
    latest = repo.latest_price(session)
    if latest is not None and draft.quarter <= latest.quarter:
        raise QuarterAlreadyPriced(
            f"quarter: prices are set up to {latest.quarter}; an inflow for {draft.quarter} "
            "would change the backing of a price already set"
        )
    if not repo.insert_inflow(session, draft, now_us):
        raced = repo.inflow_by_reference(session, draft.reference)
        assert raced is not None, "the reference's row vanished"
        return _replay_or_conflict(raced, draft)
    inflow = repo.inflow_by_reference(session, draft.reference)
    assert inflow is not None
    return Recorded(inflow, replayed=False)


def list_inflows(session: Session, quarter: Quarter | None = None) -> list[Inflow]:
    """The recorded inflows, oldest first; only those recorded for ``quarter`` if given."""
    return repo.inflows(session, quarter=quarter)


def backing_book(session: Session, policy: Policy, quarter: Quarter) -> BackingBook:
    """The book as of ``quarter``: each inflow that counts in it or before, and totals
    less what buybacks paid out in it or before (ADR 0034)."""
    lines: list[BookLine] = []
    for inflow in repo.inflows(session, up_to=quarter):
        parts = counted_parts(
            inflow.kind, inflow.amount_units, inflow.quarter, policy.backing, policy.price
        )
        lines.append(
            BookLine(
                inflow,
                backing_units(inflow.kind, inflow.amount_units, policy.backing),
                sum(units for at, units in parts if at == quarter),
                counted_up_to(parts, quarter),
            )
        )
    quote = policy.price.quote_asset
    outflows = repo.outflows_up_to(session, quarter)
    return BackingBook(
        quarter,
        quote,
        policy.assets[quote].scale,
        tuple(lines),
        sum(line.counted_units for line in lines),
        sum(line.counted_to_date_units for line in lines) - outflows,
        outflows,
    )


def _computed(
    session: Session, policy: Policy, quarter: Quarter, book: BackingBook | None = None
) -> PriceView:
    """The price of ``quarter`` from its backing book (read here unless the caller has it)."""
    book = book if book is not None else backing_book(session, policy, quarter)
    issued = Ledger(session).issued_before(STK, datetime_to_us(quarter.end))
    return PriceView(
        quarter,
        book.quote_asset,
        book.quote_scale,
        directive_price_units(book.cumulative_units, issued, policy.stk_scale),
        book.cumulative_units,
        issued,
        policy.version,
        is_set=False,
    )


def _view(stored: StoredPrice, policy: Policy) -> PriceView:
    return PriceView(
        stored.quarter,
        stored.quote_asset,
        policy.assets[stored.quote_asset].scale,
        stored.price_units,
        stored.backing_units,
        stored.issued_units,
        stored.policy_version,
        is_set=True,
    )


def price_of(session: Session, policy: Policy, quarter: Quarter) -> PriceView:
    """The quarter's directive price: the one set, or else computed from the book and
    the ledger's issued supply at the quarter's close."""
    stored = repo.price_of(session, quarter)
    return _view(stored, policy) if stored is not None else _computed(session, policy, quarter)


def current_price(session: Session, policy: Policy, last_closed: Quarter) -> PriceView:
    """The latest set directive price, or, when none is set, the one computed for
    ``last_closed`` (the last closed quarter)."""
    stored = repo.latest_price(session)
    return _view(stored, policy) if stored is not None else _computed(session, policy, last_closed)


def set_price(session: Session, policy: Policy, quarter: Quarter, *, now_us: int) -> StoredPrice:
    """Compute and store ``quarter``'s directive price (the quarterly run's price stage).

    Idempotent: a quarter priced already returns the stored price unchanged.

    Raises:
        PriceUnavailable: the quarter is still open at ``now_us``, or no STK was issued
            by its close (no price exists).
    """
    stored = repo.price_of(session, quarter)
    if stored is not None:
        return stored
    if datetime_to_us(quarter.end) > now_us:
        raise PriceUnavailable(
            f"quarter: {quarter} is still open (it closes {quarter.end.date()}); its price "
            "is set after the close"
        )
    book = backing_book(session, policy, quarter)
    view = _computed(session, policy, quarter, book)
    if view.price_units is None:
        raise PriceUnavailable(f"quarter: no STK was issued by the close of {quarter}")
    price = StoredPrice(
        quarter=quarter,
        policy_version=policy.version,
        policy_hash=policy.content_hash,
        quote_asset=view.quote_asset,
        price_units=view.price_units,
        backing_units=view.backing_units,
        issued_units=view.issued_units,
        inputs={
            "counted_this_quarter_units": book.counted_units,
            "outflows_to_date_units": book.outflows_to_date_units,
            "inflows": {line.inflow.reference: line.counted_to_date_units for line in book.lines},
            "one_off_spread_quarters": policy.price.one_off_spread_quarters,
            "subscription_share_bps": policy.price.subscription_share_bps,
            "stk_scale": policy.stk_scale,
        },
        set_at_us=now_us,
    )
    repo.insert_price(session, price)
    stored = repo.price_of(session, quarter)
    assert stored is not None
    return stored


def parse_buy(policy: Policy, text: str) -> int:
    """``--buy N`` / ``?buy=N`` as STK base units: a positive amount with at most the
    policy's ``stk_scale`` decimals.

    Raises:
        QuoteInvalid: naming ``buy`` and why.
    """
    return positive_units(
        text,
        policy.stk_scale,
        field="buy",
        unit="STK",
        refuse=QuoteInvalid,
        why="; quote a purchase of some STK",
    )


def price_quote(
    session: Session, policy: Policy, quarter: Quarter, buy_units: int, *, latest: bool
) -> PriceQuote:
    """Quote buying ``buy_units`` from the treasury on the bonding curve (ADR 0035).

    The curve starts at ``quarter``'s directive price (``price_of``), or, with ``latest``,
    at the latest set price (``current_price``, ``quarter`` the last closed one). Writes
    nothing.

    Raises:
        PriceUnavailable: no STK was issued by the quarter's close (no price, no curve).
        QuoteBeyondTreasury: ``buy`` is more than the treasury's available STK.
    """
    view = current_price(session, policy, quarter) if latest else price_of(session, policy, quarter)
    if view.price_units is None:
        raise PriceUnavailable(f"quarter: no STK was issued by the close of {view.quarter}")
    treasury = Ledger(session).balance(system_account(AccountType.FUND_TREASURY)).available_units
    if buy_units > min(treasury, view.issued_units):
        raise QuoteBeyondTreasury(
            f"buy: {format_amount(buy_units, policy.stk_scale)} STK is more than the treasury "
            f"can sell ({format_amount(min(treasury, view.issued_units), policy.stk_scale)} "
            f"STK available, at most the {format_amount(view.issued_units, policy.stk_scale)} "
            f"issued by the close of {view.quarter})"
        )
    curve = curve_quote(view.backing_units, view.issued_units, buy_units, policy.stk_scale)
    return PriceQuote(view, curve, treasury)
