"""P2P transfers between members, with the policy's circulation fee."""

from __future__ import annotations

from dataclasses import dataclass

from systok.core.ledger import (
    AccountRef,
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
)
from systok.core.policy import Policy
from systok.core.splits import fee_units
from systok.errors import InvalidPosting
from systok.ledger.service import Ledger, PostedEntry


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
    three change or none does.
    """
    if sender_id == recipient_id:
        raise InvalidPosting("a member cannot transfer to themselves")
    if amount_units <= 0:
        raise InvalidPosting(f"transfer amount {amount_units} must be positive")
    rule = policy.transfer_fee
    fee = fee_units(amount_units, rule.rate_bps, rule.min_fee, rule.max_fee)
    sender, recipient = member_account(sender_id), member_account(recipient_id)
    postings = [Posting(sender, -(amount_units + fee)), Posting(recipient, amount_units)]
    if fee:
        postings.append(Posting(AccountRef(AccountType(rule.to), "STK"), fee))
    entry = ledger.post(
        TransactionDraft(
            code=TransactionCode.TRANSFER,
            idempotency_key=idempotency_key,
            reference=f"transfer {sender_id} → {recipient_id}",
            postings=tuple(postings),
        )
    )
    return TransferOutcome(entry, amount_units, fee)
