"""The buyback: an approved ``buyback`` proposal opens a budget in the quote asset; the
backing fund buys STK from members at the directive price until it is spent (ADR 0034).

Every function runs inside the caller's unit of work and never commits.

- ``open_buyback`` (the approval): the budget is what the approver typed (``--budget``),
  positive, at most the backing the book holds for the effective quarter (the fund
  cannot spend money it does not have). The price is the directive price set for the
  proposal's quarter: the price in force during the effective quarter.
- ``sell``: one sale, ``member:<m>`` → ``fund:treasury`` in one balanced transaction
  (code ``buyback``, key ``buyback:<reference>``), paid
  ``floor(units × price / 10^stk_scale)`` kopecks, recorded as a backing outflow of the
  quarter it is paid in (the next price reflects it). The buyback row is locked for the
  sale, so concurrent sellers are serialised and the spent total never passes the
  budget; a sale the budget cannot pay in full is refused, not cut.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from systok.backing import repository as backing_repo
from systok.backing.schemas import Outflow
from systok.backing.service import backing_book
from systok.core.amount import STK, format_amount, positive_units
from systok.core.ledger import (
    AccountRef,
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
)
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.stabilisation_steps import buyback_payment_units
from systok.core.times import us_to_datetime
from systok.economy.members import refuse_if_frozen, require_member
from systok.errors import BuybackUnavailable, StabilisationInvalid
from systok.ledger.service import Ledger
from systok.stabilisation import repository as repo
from systok.stabilisation.schemas import StoredBuyback, StoredProposal

BUYBACK_KIND = "buyback"
"""``backing_outflows.kind`` of a buyback sale."""
REFERENCE_LENGTH_MAX = 200


@dataclass(frozen=True)
class Sale:
    """A buyback sale as recorded, and the buyback after it (``replayed``: the reference
    was recorded before with the same content; nothing new was written)."""

    outflow: Outflow
    buyback: StoredBuyback
    replayed: bool


def parse_budget(policy: Policy, text: str | None) -> int:
    """A buyback budget as typed, in the quote asset's minor units.

    Raises:
        StabilisationInvalid: missing, not an amount of the quote asset, or not positive.
    """
    quote = policy.price.quote_asset
    if text is None or not text.strip():
        raise StabilisationInvalid(
            f"budget: a buyback is approved with a budget in {quote} (--budget AMOUNT); "
            "the policy gives no size"
        )
    scale = policy.assets[quote].scale
    return positive_units(text, scale, field="budget", unit=quote, refuse=StabilisationInvalid)


def open_buyback(
    session: Session, policy: Policy, found: StoredProposal, budget_units: int, now_us: int
) -> None:
    """Open the approved buyback of ``found`` with its budget.

    Raises:
        StabilisationInvalid: no directive price is set for the proposal's quarter, or
            the budget is above the backing the book holds.
    """
    quarter = Quarter.parse(found.quarter)
    price = backing_repo.price_of(session, quarter)
    if price is None or price.price_units <= 0:
        raise StabilisationInvalid(
            f"id: no directive price is set for {quarter}; a buyback buys at that price"
        )
    effective = found.effective_quarter
    book = backing_book(session, policy, effective)
    if budget_units > book.cumulative_units:
        held = format_amount(book.cumulative_units, book.quote_scale)
        raise StabilisationInvalid(
            f"budget: {format_amount(budget_units, book.quote_scale)} {book.quote_asset} is "
            f"more than the backing fund holds for {effective} ({held})"
        )
    repo.insert_buyback(
        session,
        {
            "proposal_id": found.id,
            "quarter": str(effective),
            "asset": price.quote_asset,
            "price_units": price.price_units,
            "budget_units": budget_units,
            "spent_units": 0,
            "opened_at_us": now_us,
        },
    )


def _units(policy: Policy, amount: str) -> int:
    return positive_units(
        amount, policy.stk_scale, field="amount", unit="STK", refuse=StabilisationInvalid
    )


def _reference(reference: str) -> str:
    cleaned = reference.strip()
    if not cleaned or len(cleaned) > REFERENCE_LENGTH_MAX:
        raise StabilisationInvalid(f"reference: must be 1..{REFERENCE_LENGTH_MAX} characters")
    return cleaned


def _replay(session: Session, stored: Outflow, member_id: str, units: int) -> Sale:
    if (stored.member_id, stored.stk_units) != (member_id, units):
        field = "member" if stored.member_id != member_id else "amount"
        raise BuybackUnavailable(
            f"reference: {stored.reference!r} already names another sale (its {field} "
            "differs); use a new reference"
        )
    buyback = repo.buyback(session, stored.proposal_id)
    assert buyback is not None
    return Sale(stored, buyback, replayed=True)


def _open_buyback(session: Session, now_us: int) -> StoredBuyback:
    quarter = Quarter.containing(us_to_datetime(now_us))
    found = repo.buyback_of_quarter(session, str(quarter))
    locked = None if found is None else repo.buyback(session, found.proposal_id, lock=True)
    if locked is None:
        raise BuybackUnavailable(f"no buyback runs in {quarter}: none was approved for it")
    return locked


def sell(
    session: Session,
    policy: Policy,
    *,
    member_id: str,
    amount: str,
    reference: str,
    now_us: int,
) -> Sale:
    """A member sells ``amount`` STK to the running buyback (see the module docstring).

    Raises:
        StabilisationInvalid: the amount, member or reference as typed; the member's
            available balance is short; the amount pays less than one minor unit.
        MemberNotFound: no such member.
        AccountFrozen: the seller's account is frozen (its tokens may not move).
        BuybackUnavailable: no buyback runs this quarter, its budget left cannot pay
            the sale, or the reference names another sale.
    """
    units = _units(policy, amount)
    key = _reference(reference)
    member = member_id.strip()
    if not member:
        raise StabilisationInvalid("member: the seller's platform id is required")
    buyback = _open_buyback(session, now_us)  # locked: sellers queue here
    stored = backing_repo.outflow_by_reference(session, key)
    if stored is not None:
        return _replay(session, stored, member, units)
    refuse_if_frozen(require_member(session, member), "seller")
    paid = buyback_payment_units(units, buyback.price_units, policy.stk_scale)
    scale = policy.assets[buyback.asset].scale
    if paid <= 0:
        raise StabilisationInvalid(
            f"amount: {amount} STK at {format_amount(buyback.price_units, scale)} "
            f"{buyback.asset} pays less than one minor unit of {buyback.asset}"
        )
    if paid > buyback.remaining_units:
        raise BuybackUnavailable(
            f"amount: {amount} STK pays {format_amount(paid, scale)} {buyback.asset}; the "
            f"buyback's budget has {format_amount(buyback.remaining_units, scale)} left"
        )
    ledger = Ledger(session, clock=lambda: now_us)
    seller = member_account(member)
    available = ledger.balance(seller).available_units
    if available < units:
        raise StabilisationInvalid(
            f"amount: {member} has {format_amount(available, policy.stk_scale)} STK "
            f"available, less than {amount}"
        )
    entry = ledger.post(
        TransactionDraft(
            code=TransactionCode.BUYBACK,
            idempotency_key=f"buyback:{key}",
            reference=f"buyback {buyback.quarter} from {member}"[:REFERENCE_LENGTH_MAX],
            postings=(
                Posting(seller, -units),
                Posting(AccountRef(AccountType.FUND_TREASURY, STK), units),
            ),
        )
    )
    backing_repo.insert_outflow(
        session,
        {
            "kind": BUYBACK_KIND,
            "asset": buyback.asset,
            "amount_units": paid,
            "quarter": buyback.quarter,
            "reference": key,
            "member_id": member,
            "stk_units": units,
            "price_units": buyback.price_units,
            "proposal_id": buyback.proposal_id,
            "transaction_id": entry.transaction_id,
            "recorded_at_us": now_us,
        },
    )
    repo.spend(session, buyback.proposal_id, paid)
    outflow = backing_repo.outflow_by_reference(session, key)
    after = repo.buyback(session, buyback.proposal_id)
    assert outflow is not None and after is not None
    return Sale(outflow, after, replayed=False)
