"""A member's transfer request on PostgreSQL in one statement (ADR 0045).

``send_transfer_in_one_statement`` prices the transfer and builds its balanced
transaction in Python (the same builder and digest as ``send_transfer``), then makes one
autocommit call of ``systok_member_transfer``, which runs ``send_transfer``'s checks,
the posting function and the commit on the server. It answers only what that
statement decided, a posted or replayed transfer; every other case (any refusal, a
stale fee step, a recipient with a notification channel, an error) wrote nothing and
answers None, and the caller runs ``send_transfer`` in a unit of work, the one place
refusals are raised, so their order, messages and replay rules cannot drift apart.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from systok.clock import now_us as clock_now_us
from systok.core.ledger import PostOutcome
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.times import day_of_us, us_to_datetime
from systok.economy import repository as econ_repo
from systok.economy.members import request_ledger_key
from systok.economy.transfers import TransferOutcome, transfer_draft
from systok.errors import SystokError
from systok.ledger import repository as ledger_repo
from systok.ledger.service import PostedEntry
from systok.stabilisation.overrides import transfer_fee_with_step
from systok.stabilisation.schemas import OverrideKind

# The fee step last found per engine and quarter: a guess the function checks on every
# call ('fee_step' when an override was approved since), so it is never trusted, only
# saves reading the override before pricing the fee.
_FEE_STEPS: WeakKeyDictionary[Engine, dict[str, int | None]] = WeakKeyDictionary()
_DECIDED = {PostOutcome.POSTED.value, PostOutcome.REPLAYED.value}


def send_transfer_in_one_statement(
    engine: Engine,
    policy: Policy,
    *,
    sender_id: str,
    recipient_id: str,
    amount_units: int,
    request_key: str,
    now_us: int,
) -> TransferOutcome | None:
    """The transfer ``send_transfer`` would post or replay, or None (nothing written).

    None on SQLite, for a request the pure checks refuse, and for whatever the server
    function hands over; the caller then runs ``send_transfer``.
    """
    if engine.dialect.name != "postgresql" or amount_units <= 0 or sender_id == recipient_id:
        return None
    created_at_us = clock_now_us()
    quarter = str(Quarter.containing(us_to_datetime(created_at_us)))
    steps = _FEE_STEPS.setdefault(engine, {})
    step = steps.get(quarter)
    key = request_ledger_key("transfer", sender_id, request_key)
    rule = transfer_fee_with_step(policy.transfer_fee, step)
    try:
        draft, fee = transfer_draft(rule, sender_id, recipient_id, amount_units, key)
        draft.validate()
    except SystokError:
        return None  # send_transfer raises it, after the checks that come first
    answer = econ_repo.call_member_transfer(
        engine,
        {
            **ledger_repo.post_function_params(draft, draft.digest(), created_at_us),
            "sender": sender_id,
            "recipient": recipient_id,
            "day": day_of_us(now_us),
            "paid_only": policy.transfers.recipients == "paid_members",
            "quarter": quarter,
            "override_kind": OverrideKind.TRANSFER_FEE.value,
            "fee_step": step,
        },
    )
    if answer.outcome == "fee_step":
        steps[quarter] = answer.fee_step
    if answer.outcome not in _DECIDED:
        return None
    assert answer.transaction_id is not None, "a posted or replayed transfer has an id"
    entry = PostedEntry(
        answer.transaction_id,
        answer.chain_seq,
        replayed=answer.outcome == PostOutcome.REPLAYED.value,
    )
    return TransferOutcome(entry, amount_units, fee)
