"""The initial sale's operations: open a sale, record purchases, close it, show it.

Every function runs inside the caller's unit of work and never commits (ADR 0029).

- A sale is opened with a share of supply in basis points (within the policy's
  ``initial_sale.share_bps_min..share_bps_max``) and a special price in the quote asset
  (RUB) per whole STK. Its cap is ``floor(issued × share_bps / 10 000)`` STK base units,
  ``issued`` being the STK issued (−``world``'s posted balance) when it opens. At most
  one sale is open at a time.
- A purchase (the member paid in RUB off-ledger; the reference is the payment's id) is
  one balanced ledger transaction that moves the bought STK from the treasury
  (``fund:treasury@STK``, tokens the emission schedule already issued) into the
  member's vesting account ``hold:vesting:<member>@STK``, plus an ``investor_sale``
  inflow to the backing book for what was paid, plus the purchase row with its unlock
  time (purchase time + ``initial_sale.vesting_days`` days); the quarterly run's vest
  stage releases it linearly by day, quarter by quarter (ADR 0033). The paid amount is
  ``floor(units × price / 10^stk_scale)`` kopecks: the member is never charged for a
  fraction of a kopeck.
- Nothing is minted (ADR 0041): the emission schedule alone issues STK, so supply never
  passes the policy's ``emission.total_supply``. A purchase the treasury's available
  balance cannot cover is refused (``amount``), like one past the cap.
- Buyers (policy ``buyers = "members"``, "for all community members"): anyone SysTok
  knows as a member (a row in ``members``), paid subscription or not; a frozen member
  cannot buy.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from systok.backing.schemas import InflowDraft
from systok.backing.service import record_inflow
from systok.core.amount import BASIS_POINTS_WHOLE, STK, positive_units
from systok.core.ledger import (
    AccountRef,
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
)
from systok.core.policy import Policy
from systok.core.policy.model import InitialSale
from systok.core.price import InflowKind
from systok.core.quarters import Quarter
from systok.core.times import MICROS_PER_DAY, us_to_datetime
from systok.economy.members import refuse_if_frozen, require_member
from systok.errors import (
    NoOpenSale,
    SaleAlreadyOpen,
    SaleCapExceeded,
    SaleConflict,
    SaleInvalid,
)
from systok.ledger.service import Ledger
from systok.sale import repository as repo
from systok.sale.schemas import (
    Bought,
    Opened,
    Purchase,
    PurchaseDraft,
    Sale,
    SaleDraft,
    SaleStatus,
)

REFERENCE_LENGTH_MAX = 200
TREASURY = AccountRef(AccountType.FUND_TREASURY, STK)
"""Where sold STK comes from: tokens already emitted, so a sale never raises supply."""


def vesting_account(member_id: str) -> AccountRef:
    """Where a member's bought STK waits until it vests: ``hold:vesting:<member>@STK``."""
    return AccountRef(AccountType.HOLD_VESTING, STK, member_id)


def _section(policy: Policy) -> InitialSale:
    if policy.initial_sale is None:
        raise SaleInvalid(
            f"initial_sale: policy {policy.version} has no [initial_sale] section; pin a "
            "policy that has one (SYSTOK_POLICY=stk-2025-04) to run a sale"
        )
    return policy.initial_sale


def _reference(reference: str) -> str:
    reference = reference.strip()
    if not reference or len(reference) > REFERENCE_LENGTH_MAX:
        raise SaleInvalid(f"reference: must be 1..{REFERENCE_LENGTH_MAX} characters")
    return reference


def parse_sale(policy: Policy, *, share_bps: int, price: str, reference: str) -> SaleDraft:
    """Check a sale as typed: the share within the policy's range, a positive price in
    the quote asset (at most its scale's decimals), a reference.

    Raises:
        SaleInvalid: naming the first field that is wrong and why.
    """
    section = _section(policy)
    if not section.share_bps_min <= share_bps <= section.share_bps_max:
        raise SaleInvalid(
            f"share_bps: {share_bps} is outside the policy's initial_sale.share_bps_min.."
            f"share_bps_max ({section.share_bps_min}..{section.share_bps_max})"
        )
    quote = policy.price.quote_asset
    scale = policy.assets[quote].scale
    unit = f"{quote} per STK"
    price_units = positive_units(price, scale, field="price", unit=unit, refuse=SaleInvalid)
    return SaleDraft(share_bps, quote, price_units, _reference(reference))


def open_sale(session: Session, policy: Policy, draft: SaleDraft, *, now_us: int) -> Opened:
    """Open a sale, idempotent by reference (same content: the original, ``replayed``).

    Raises:
        SaleConflict: the reference names a sale with other content.
        SaleAlreadyOpen: another sale is open.
        SaleInvalid: no STK has been issued yet, so the cap would be 0.
    """
    stored = repo.sale_by_reference(session, draft.reference)
    if stored is not None:
        pairs = (
            ("share_bps", stored.share_bps, draft.share_bps),
            ("quote_asset", stored.quote_asset, draft.quote_asset),
            ("price", stored.price_units, draft.price_units),
        )
        differing = next((name for name, old, new in pairs if old != new), None)
        if differing is not None:
            raise SaleConflict(
                f"reference: {draft.reference!r} already names another sale (its {differing} "
                "differs); use a new reference"
            )
        return Opened(stored, replayed=True)
    current = repo.open_sale(session)
    if current is not None:
        raise SaleAlreadyOpen(
            f"sale: sale {current.id} ({current.reference!r}) is open; close it first "
            "(systok sale close)"
        )
    issued = Ledger(session).issued_before(STK, now_us + 1)
    cap = issued * draft.share_bps // BASIS_POINTS_WHOLE  # floor: never more than the share
    if cap <= 0:
        raise SaleInvalid(
            f"share_bps: {draft.share_bps} bps of the {issued} STK base units issued so far "
            "is nothing to sell; open the sale after the first emission"
        )
    inserted = repo.insert_sale(
        session,
        draft,
        issued_units=issued,
        cap_units=cap,
        vesting_days=_section(policy).vesting_days,
        policy_version=policy.version,
        opened_at_us=now_us,
    )
    if not inserted:  # a concurrent open took the reference or the open slot
        raise SaleAlreadyOpen("sale: another sale was opened meanwhile; see systok sale status")
    sale = repo.sale_by_reference(session, draft.reference)
    assert sale is not None
    return Opened(sale, replayed=False)


def parse_purchase(policy: Policy, *, member_id: str, amount: str, reference: str) -> PurchaseDraft:
    """Check a purchase as typed: a member id, a positive STK amount, a reference.

    Raises:
        SaleInvalid: naming the first field that is wrong and why.
    """
    member_id = member_id.strip()
    if not member_id:
        raise SaleInvalid("member: must not be empty")
    units = positive_units(amount, policy.stk_scale, field="amount", unit="STK", refuse=SaleInvalid)
    return PurchaseDraft(member_id, units, _reference(reference))


def _replay_or_conflict(session: Session, stored: Purchase, draft: PurchaseDraft) -> Bought:
    pairs = (("member", stored.member_id, draft.member_id), ("amount", stored.units, draft.units))
    differing = next((name for name, old, new in pairs if old != new), None)
    if differing is not None:
        raise SaleConflict(
            f"reference: {draft.reference!r} already names another purchase (its {differing} "
            "differs); use the payment's own reference"
        )
    sale = repo.sale_by_id(session, stored.sale_id)
    assert sale is not None, "a purchase's sale exists"
    return Bought(stored, sale, replayed=True)


def _check_buyer(session: Session, section: InitialSale, member_id: str) -> None:
    """The policy's ``initial_sale.buyers``: ``"members"`` ("for all community members",
    seed 001) is anyone SysTok knows as a member, paid or free, who is not frozen."""
    assert section.buyers == "members", "the policy parser admits only 'members'"
    refuse_if_frozen(require_member(session, member_id), "buyer")


def ledger_key(reference: str) -> str:
    """The ledger idempotency key of the purchase paid under ``reference`` (hashed, so
    any reference fits the ledger's 200 characters)."""
    return f"initial-sale:{hashlib.sha256(reference.encode()).hexdigest()[:40]}"


def buy(session: Session, policy: Policy, draft: PurchaseDraft, *, now_us: int) -> Bought:
    """Record a member's purchase in the open sale, idempotent by reference.

    Raises:
        SaleConflict: the reference names a purchase with other content.
        NoOpenSale: no sale is open.
        MemberNotFound, AccountFrozen: the buyer is unknown or frozen.
        SaleCapExceeded: more than the sale's remaining cap.
        SaleInvalid: the amount costs less than one kopeck.
        InflowConflict, QuarterAlreadyPriced: the backing book refuses the payment.
    """
    stored = repo.purchase_by_reference(session, draft.reference)
    if stored is not None:
        return _replay_or_conflict(session, stored, draft)
    sale = repo.open_sale(session, lock=True)
    if sale is None:
        raise NoOpenSale("sale: no sale is open (systok sale open)")
    stored = repo.purchase_by_reference(session, draft.reference)  # after the lock
    if stored is not None:
        return _replay_or_conflict(session, stored, draft)
    _check_buyer(session, _section(policy), draft.member_id)
    if draft.units > sale.remaining_units:
        raise SaleCapExceeded(
            f"amount: {draft.units} STK base units is more than the {sale.remaining_units} "
            f"left of sale {sale.id}'s cap of {sale.cap_units}"
        )
    treasury = Ledger(session).balance(TREASURY).available_units
    if draft.units > treasury:
        raise SaleCapExceeded(
            f"amount: {draft.units} STK base units is more than the {treasury} the treasury "
            "holds available; the sale sells issued tokens only and mints none (ADR 0041)"
        )
    paid = draft.units * sale.price_units // 10**policy.stk_scale  # floor, see the module
    if paid <= 0:
        raise SaleInvalid(
            f"amount: {draft.units} STK base units at {sale.price_units} {sale.quote_asset} "
            "minor units per STK costs less than one minor unit"
        )
    purchased = us_to_datetime(now_us)
    record_inflow(
        session,
        InflowDraft(
            InflowKind.INVESTOR_SALE,
            sale.quote_asset,
            paid,
            Quarter.containing(purchased),
            draft.reference,
            f"initial sale {sale.id}: {draft.units} STK base units to {draft.member_id}",
        ),
        now_us=now_us,
    )
    entry = Ledger(session, clock=lambda: now_us).post(
        TransactionDraft(
            code=TransactionCode.PURCHASE,
            idempotency_key=ledger_key(draft.reference),
            reference=f"initial sale {sale.id}",
            postings=(
                Posting(TREASURY, -draft.units),
                Posting(vesting_account(draft.member_id), draft.units),
            ),
        )
    )
    unlock = now_us + sale.vesting_days * MICROS_PER_DAY  # purchase time + vesting_days whole days
    repo.insert_purchase(
        session,
        sale.id,
        draft,
        paid_units=paid,
        purchased_at_us=now_us,
        unlock_at_us=unlock,
        transaction_id=entry.transaction_id,
    )
    stored = repo.purchase_by_reference(session, draft.reference)
    after = repo.open_sale(session)
    assert stored is not None and after is not None
    return Bought(stored, after, replayed=False)


def close_sale(session: Session, *, now_us: int) -> Sale:
    """Close the open sale; what is left of its cap is not sold.

    Raises:
        NoOpenSale: no sale is open.
    """
    sale = repo.open_sale(session, lock=True)
    if sale is None:
        raise NoOpenSale("sale: no sale is open; nothing to close")
    repo.close_sale(session, sale.id, now_us)
    closed = repo.sale_by_reference(session, sale.reference)
    assert closed is not None
    return closed


def sale_status(session: Session) -> SaleStatus:
    """The latest sale and its purchases (an empty status when none was ever opened)."""
    sale = repo.latest_sale(session)
    if sale is None:
        return SaleStatus(None, ())
    return SaleStatus(sale, tuple(repo.purchases(session, sale.id)))
