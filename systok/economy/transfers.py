"""P2P transfers between members, with the policy's circulation fee.

``transfer_between_members`` is the ledger step (sender pays amount + fee; recipient and
fee account credited; one balanced transaction). ``send_transfer`` is a member's request
through the API: it checks who may send and receive first, so every refusal names its
reason, and scopes the client's Idempotency-Key to the sender.
"""

from __future__ import annotations

import hashlib
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
from systok.core.policy.model import TransferFee
from systok.core.quarters import Quarter
from systok.core.splits import fee_units
from systok.core.times import day_of_us, us_to_datetime
from systok.economy import repository as econ_repo
from systok.economy.members import refuse_frozen, request_ledger_key
from systok.economy.schemas import TransferChecks
from systok.errors import (
    InvalidPosting,
    MemberNotFound,
    RecipientIneligible,
    RecipientUnknown,
    SelfTransfer,
)
from systok.ledger.service import Ledger, PostedEntry
from systok.notify import service as notify
from systok.notify.schemas import MessageKind
from systok.stabilisation.overrides import (
    effective_transfer_fee,
    transfer_fee_step_query,
    transfer_fee_with_step,
)


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
    fee_rule: TransferFee | None = None,
) -> TransferOutcome:
    """Move ``amount_units`` to the recipient; the sender also pays the fee.

    Sender, recipient and fee account move in one balanced transaction, so either all
    three change or none does. The fee is the policy's, with the rate an approved
    stabilisation override gives the quarter of the ledger's clock (ADR 0034);
    ``fee_rule`` is that fee when the caller has read it already (``send_transfer``
    reads it with its checks, ADR 0042).
    """
    if sender_id == recipient_id:
        raise SelfTransfer("a member cannot transfer to themselves")
    if amount_units <= 0:
        raise InvalidPosting(f"transfer amount {amount_units} must be positive")
    rule = fee_rule
    if rule is None:
        quarter = Quarter.containing(us_to_datetime(ledger.clock()))
        rule = effective_transfer_fee(ledger.session, policy.transfer_fee, quarter)
    draft, fee = transfer_draft(rule, sender_id, recipient_id, amount_units, idempotency_key)
    return TransferOutcome(ledger.post(draft), amount_units, fee)


FEE_LANES = 16
"""How many ``fee`` accounts collect transfer fees (owners ``transfers:00`` to ``:15``)."""


def fee_account(to: str, key: str) -> AccountRef:
    """The account a transfer's fee is credited to: for the ``fee`` type one of
    ``FEE_LANES`` accounts, picked by the transfer's ledger key (ADR 0045).

    Every transfer locks the account its fee goes to until it commits; with one ``fee``
    account that row serialized all transfers (measured: 206 transfers/s against 627
    with the fee spread, the function alone under ``pgbench -c 8``). Picked by the key,
    so a retry builds the same postings and replays. Reports and the supply add the
    lanes up by account type; other fee targets (``fund:treasury``, read as one account
    by the backing checks) stay one account.
    """
    account_type = AccountType(to)
    if account_type is not AccountType.FEE:
        return AccountRef(account_type, STK)
    lane = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % FEE_LANES
    return AccountRef(account_type, STK, f"transfers:{lane:02d}")


def transfer_draft(
    rule: TransferFee, sender_id: str, recipient_id: str, amount_units: int, key: str
) -> tuple[TransactionDraft, int]:
    """The balanced transaction of a transfer under ``rule``, and its fee.

    The one builder of a transfer's content, for both paths of a request (ADR 0045):
    a retry replays only if its digest is the original's, whichever path wrote it.
    """
    fee = fee_units(amount_units, rule.rate_bps, rule.min_fee, rule.max_fee)
    sender, recipient = member_account(sender_id), member_account(recipient_id)
    postings = [Posting(sender, -(amount_units + fee)), Posting(recipient, amount_units)]
    if fee:
        postings.append(Posting(fee_account(rule.to, key), fee))
    draft = TransactionDraft(
        code=TransactionCode.TRANSFER,
        idempotency_key=key,
        reference=f"transfer {sender_id} → {recipient_id}"[:REFERENCE_LENGTH_MAX],
        postings=tuple(postings),
    )
    return draft, fee


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

    What the checks need (the key, both members, their freezes, the recipient's paid
    membership, the fee override, the recipient's notification profile) is read in one
    statement (ADR 0042): a transfer is that statement and the posting function between
    BEGIN and COMMIT (plus an INSERT per channel of a recipient who has one), so the
    locks the posting takes are held across no client turn but the COMMIT's.

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
    quarter = Quarter.containing(us_to_datetime(ledger.clock()))
    checks = econ_repo.transfer_checks(
        session,
        sender_id=sender_id,
        recipient_id=recipient_id,
        day=day_of_us(now_us),
        ledger_key=key,
        fee_step=transfer_fee_step_query(quarter),
        recipient_profile=notify.profile_query(recipient_id),
    )
    if not checks.key_used:
        refuse_ineligible(policy, sender_id, recipient_id, checks)
    outcome = transfer_between_members(
        ledger,
        policy,
        sender_id=sender_id,
        recipient_id=recipient_id,
        amount_units=amount_units,
        idempotency_key=key,
        fee_rule=transfer_fee_with_step(policy.transfer_fee, checks.fee_step_bps),
    )
    notify.enqueue_to_profile(  # in this unit of work: told only if it commits (ADR 0037)
        session,
        MessageKind.TRANSFER_RECEIVED,
        recipient_id,
        checks.recipient_profile,
        event_key=f"transfer:{outcome.entry.transaction_id}",
        params={"amount": format_amount(amount_units, policy.stk_scale), "sender": sender_id},
        now_us=now_us,
    )
    return outcome


def refuse_ineligible(
    policy: Policy, sender_id: str, recipient_id: str, checks: TransferChecks
) -> None:
    """Raise the first refusal the checks give, in the documented order."""
    if not checks.sender_known:
        raise MemberNotFound(f"no member with platform id {sender_id!r}")
    refuse_frozen(sender_id, checks.sender_frozen_reason, "sender")
    if not checks.recipient_known:
        raise RecipientUnknown(f"recipient {recipient_id!r} is not a member SysTok knows")
    refuse_frozen(recipient_id, checks.recipient_frozen_reason, "recipient")
    if policy.transfers.recipients == "paid_members" and not checks.recipient_paid:
        raise RecipientIneligible(
            f"{recipient_id} has no paid membership today; transfers go between members "
            f"(policy {policy.version}: transfers.recipients = paid_members)"
        )
