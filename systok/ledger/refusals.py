"""How the ledger says no: the error for each refusal, and the conflict that names a field.

Every path (the Python steps, PostgreSQL's posting function) refuses with the same
error and the same words, so a caller cannot tell which path ran.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from systok.core.amount import format_amount
from systok.core.ledger import AccountRef, EntryKind, HoldDraft, PostOutcome, TransactionDraft
from systok.errors import IdempotencyConflict, InsufficientFunds, InvalidPosting
from systok.ledger.schemas import StoredHold, StoredTransaction

FOREIGN_KEY_VIOLATION = "23503"
"""PostgreSQL's SQLSTATE when a posting names an asset the ``assets`` table lacks."""


def insufficient(
    account: AccountRef, available: int, needed: int, scales: dict[str, int]
) -> InsufficientFunds:
    """A debit beyond what ``account`` has available, in the asset's decimals."""
    scale = scales.get(account.asset, 0)
    return InsufficientFunds(
        f"insufficient funds on {account}: available "
        f"{format_amount(available, scale)} {account.asset}, "
        f"needed {format_amount(needed, scale)} {account.asset}"
    )


def out_of_range(account: AccountRef, what: str = "balance") -> InvalidPosting:
    """A balance (or held amount) that would not fit its signed 64-bit column."""
    return InvalidPosting(f"the {what} of {account} would leave the 64-bit range")


def raise_refusal(
    draft: TransactionDraft,
    outcome: str,
    refused_index: int | None,
    refused_available: int | None,
    scales: dict[str, int],
) -> None:
    """Raise the SysTok error for a refusal the posting function returned (it wrote nothing)."""
    if outcome in (PostOutcome.POSTED, PostOutcome.REPLAYED):
        return
    assert refused_index is not None, f"outcome {outcome} names the refused posting"
    posting = draft.postings[refused_index - 1]  # the function counts from 1
    if outcome == PostOutcome.INSUFFICIENT:
        assert refused_available is not None
        raise insufficient(posting.account, refused_available, -posting.amount_units, scales)
    if outcome == PostOutcome.OVERFLOW:
        raise out_of_range(posting.account)
    raise AssertionError(f"unknown outcome {outcome!r} from systok_post_transaction")


def unknown_asset_or_same(error: DBAPIError, scales: dict[str, int]) -> Exception:
    """Turn a foreign-key failure into a clear refusal; anything else stays as it is."""
    if getattr(error.orig, "sqlstate", None) == FOREIGN_KEY_VIOLATION:
        scales.clear()  # an asset cached from a unit of work that rolled back
        return InvalidPosting("a posting names an asset the ledger does not know")
    return error


# --- idempotency conflicts ----------------------------------------------------------------


def describe_draft(draft: TransactionDraft) -> dict[str, object]:
    """A transaction as asked for, in the fields a conflict names."""
    return {
        "kind": EntryKind.TRANSACTION.value,
        "code": draft.code.value,
        "reference": draft.reference,
        "postings": {p.account.name: p.amount_units for p in draft.postings},
    }


def describe_hold_draft(draft: HoldDraft) -> dict[str, object]:
    """A hold as asked for, in the fields a conflict names."""
    return {
        "kind": EntryKind.HOLD_CREATE.value,
        "code": draft.code.value,
        "reference": draft.reference,
        "debit": draft.debit.name,
        "credit": draft.credit.name,
        "amount": draft.amount_units,
        "expires_at_us": draft.expires_at_us,
    }


def describe_hold_step(
    kind: EntryKind, hold_id: int, amount_units: int, reference: str
) -> dict[str, object]:
    """A post, void or expiry of a hold as asked for, in the fields a conflict names."""
    return {"kind": kind.value, "hold": hold_id, "amount": amount_units, "reference": reference}


def describe_stored(stored: StoredTransaction, hold: StoredHold | None) -> dict[str, object]:
    """A stored entry in the same fields (``hold``: the hold a hold step belongs to)."""
    description: dict[str, object] = {
        "kind": stored.kind,
        "code": stored.code,
        "reference": stored.reference,
    }
    if stored.kind == EntryKind.TRANSACTION.value:
        description["postings"] = {ref.name: amount for ref, amount in stored.postings}
        return description
    if hold is None:
        return description
    if stored.kind == EntryKind.HOLD_CREATE.value:
        description.update(
            debit=hold.debit.name,
            credit=hold.credit.name,
            amount=hold.amount_units,
            expires_at_us=hold.expires_at_us,
        )
    else:
        description["hold"] = hold.id
        posted = stored.kind == EntryKind.HOLD_POST.value
        description["amount"] = hold.posted_units if posted else hold.amount_units
    return description


def conflict(
    key: str, stored: dict[str, object], requested: dict[str, object]
) -> IdempotencyConflict:
    """The conflict naming the first field that differs (and, for postings, the accounts)."""
    differing = [
        name
        for name in sorted(set(stored) | set(requested))
        if stored.get(name) != requested.get(name) and name in requested
    ]
    if not differing:
        differing = sorted(set(stored) ^ set(requested)) or ["content"]
    name = differing[0]
    detail = f"{name} differs (stored {stored.get(name)!r}, given {requested.get(name)!r})"
    if (
        name == "postings"
        and isinstance(stored.get(name), dict)
        and isinstance(requested.get(name), dict)
    ):
        old, new = stored[name], requested[name]
        assert isinstance(old, dict) and isinstance(new, dict)
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        detail = "postings differ on " + ", ".join(
            f"{k} (stored {old.get(k)}, given {new.get(k)})" for k in changed
        )
    return IdempotencyConflict(f"idempotency key {key!r} was used for different content: {detail}")
