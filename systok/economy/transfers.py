"""P2P transfers between members, with the policy's circulation fee.

``transfer_between_members`` is the ledger step (sender pays amount + fee; recipient and
fee account credited; one balanced transaction). ``send_transfer`` is a member's request
through the API: it checks who may send and receive first, so every refusal names its
reason, and scopes the client's Idempotency-Key to the sender.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from systok.core.amount import STK, format_amount
from systok.core.ledger import (
    REFERENCE_LENGTH_MAX,
    AccountRef,
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
)
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.splits import fee_units
from systok.core.times import day_of_us, us_to_datetime
from systok.economy import repository as econ_repo
from systok.economy.members import refuse_if_frozen, request_ledger_key, require_member
from systok.economy.schemas import MemberState
from systok.errors import InvalidPosting, RecipientIneligible, RecipientUnknown, SelfTransfer
from systok.ledger import repository as ledger_repo
from systok.ledger.service import Ledger, PostedEntry
from systok.notify import service as notify
from systok.notify.schemas import MessageKind
from systok.stabilisation.overrides import effective_transfer_fee


@dataclass(frozen=True)
class TransferOutcome:
    """A transfer as written: the amount received and the fee paid on top."""

    entry: PostedEntry
    amount_units: int
    fee_units: int


def transfer_between_members(
    ledger: Ledger,
    policy: Policy,
    *,
    sender_id: str,
    recipient_id: str,
    amount_units: int,
    idempotency_key: str,
) -> TransferOutcome:
    """Move ``amount_units`` to the recipient; the sender also pays the fee.

    Sender, recipient and fee account move in one balanced transaction, so either all
    three change or none does. The fee is the policy's, with the rate an approved
    stabilisation override gives the quarter of the ledger's clock (ADR 0034).
    """
    if sender_id == recipient_id:
        raise SelfTransfer("a member cannot transfer to themselves")
    if amount_units <= 0:
        raise InvalidPosting(f"transfer amount {amount_units} must be positive")
    quarter = Quarter.containing(us_to_datetime(ledger.clock()))
    rule = effective_transfer_fee(ledger.session, policy.transfer_fee, quarter)
    fee = fee_units(amount_units, rule.rate_bps, rule.min_fee, rule.max_fee)
    sender, recipient = member_account(sender_id), member_account(recipient_id)
    postings = [Posting(sender, -(amount_units + fee)), Posting(recipient, amount_units)]
    if fee:
        postings.append(Posting(AccountRef(AccountType(rule.to), STK), fee))
    entry = ledger.post(
        TransactionDraft(
            code=TransactionCode.TRANSFER,
            idempotency_key=idempotency_key,
            reference=f"transfer {sender_id} → {recipient_id}"[:REFERENCE_LENGTH_MAX],
            postings=tuple(postings),
        )
    )
    return TransferOutcome(entry, amount_units, fee)


# --- a member's transfer request (the member API) -----------------------------------------


def send_transfer(
    session: Session,
    policy: Policy,
    *,
    sender_id: str,
    recipient_id: str,
    amount_units: int,
    request_key: str,
    now_us: int,
) -> TransferOutcome:
    """A member's transfer request: check everything, then one balanced transaction.

    The checks, in order, each with its own error: a positive amount, not to oneself,
    the sender is a member and not frozen, the recipient is a member, not frozen and
    eligible under ``policy.transfers``; then the ledger refuses insufficient funds.
    A retry with the same ``request_key`` returns the original transfer even if a check
    would now fail (a freeze since, say): the money moved once, and the answer says so.

    Raises:
        InvalidPosting, SelfTransfer, MemberNotFound, AccountFrozen, RecipientUnknown,
        RecipientIneligible, InsufficientFunds, IdempotencyConflict.
    """
    if amount_units <= 0:
        raise InvalidPosting(f"transfer amount {amount_units} must be positive")
    if sender_id == recipient_id:
        raise SelfTransfer("a member cannot transfer to themselves")
    ledger = Ledger(session)
    key = request_ledger_key("transfer", sender_id, request_key)
    if ledger_repo.find_entry(session, idempotency_key=key) is None:
        sender = require_member(session, sender_id)
        refuse_if_frozen(sender, "sender")
        recipient = recipient_state(session, recipient_id)
        refuse_if_frozen(recipient, "recipient")
        if policy.transfers.recipients == "paid_members" and not econ_repo.paid_member_on(
            session, recipient_id, day_of_us(now_us)
        ):
            raise RecipientIneligible(
                f"{recipient_id} has no paid membership today; transfers go between members "
                f"(policy {policy.version}: transfers.recipients = paid_members)"
            )
    outcome = transfer_between_members(
        ledger,
        policy,
        sender_id=sender_id,
        recipient_id=recipient_id,
        amount_units=amount_units,
        idempotency_key=key,
    )
    notify.enqueue(  # in this unit of work: told only if the transfer commits (ADR 0037)
        session,
        MessageKind.TRANSFER_RECEIVED,
        recipient_id,
        event_key=f"transfer:{outcome.entry.transaction_id}",
        params={"amount": format_amount(amount_units, policy.stk_scale), "sender": sender_id},
        now_us=now_us,
    )
    return outcome


def recipient_state(session: Session, recipient_id: str) -> MemberState:
    """The recipient's state, or ``RecipientUnknown`` (a 422: the field names nobody)."""
    state = econ_repo.member_state(session, recipient_id, STK)
    if state is None:
        raise RecipientUnknown(f"recipient {recipient_id!r} is not a member SysTok knows")
    return state
