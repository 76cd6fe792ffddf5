"""Members as the economy sees them: who exists, who is frozen, and the errors for both.

A frozen member (fraud, a dispute) keeps a readable balance but can neither send,
receive nor buy until an admin lifts the freeze (``systok members freeze|unfreeze``).
"""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from systok.core.amount import STK
from systok.economy import repository as repo
from systok.economy.schemas import MemberState
from systok.errors import AccountFrozen, MemberNotFound, SystokError

FREEZE_REASON_LENGTH_MAX = 200


def request_ledger_key(kind: str, member_id: str, request_key: str) -> str:
    """The ledger idempotency key of a member's request (``transfer:…``, ``purchase:…``).

    The client's Idempotency-Key is scoped to the member (two members may pick the same
    key) and hashed, so any member id and key fit the ledger's 200 characters.
    """
    digest = hashlib.sha256(f"{member_id}\0{request_key}".encode()).hexdigest()[:40]
    return f"{kind}:{digest}"


def require_member(session: Session, member_id: str, asset: str = STK) -> MemberState:
    """The member's state, or ``MemberNotFound``."""
    state = repo.member_state(session, member_id, asset)
    if state is None:
        raise MemberNotFound(f"no member with platform id {member_id!r}")
    return state


def refuse_if_frozen(state: MemberState, role: str) -> None:
    """Raise ``AccountFrozen`` naming the role (sender, recipient, buyer) and the reason."""
    refuse_frozen(state.member_id, state.frozen_reason, role)


def refuse_frozen(member_id: str, frozen_reason: str | None, role: str) -> None:
    """``refuse_if_frozen`` for a freeze read on its own (the transfer's checks)."""
    if frozen_reason is not None:
        raise AccountFrozen(f"the {role}'s account ({member_id}) is frozen: {frozen_reason}")


def freeze_member(session: Session, member_id: str, reason: str, now_us: int) -> bool:
    """Freeze a member's account; False when it was frozen already.

    Raises:
        MemberNotFound: no such member.
    """
    reason = reason.strip()
    if not reason or len(reason) > FREEZE_REASON_LENGTH_MAX:
        raise SystokError(f"give a reason of 1 to {FREEZE_REASON_LENGTH_MAX} characters")
    if not repo.member_exists(session, member_id):
        raise MemberNotFound(f"no member with platform id {member_id!r}")
    return repo.freeze(session, member_id, reason, now_us)


def unfreeze_member(session: Session, member_id: str) -> bool:
    """Lift a member's freeze; False when there was none."""
    if not repo.member_exists(session, member_id):
        raise MemberNotFound(f"no member with platform id {member_id!r}")
    return repo.unfreeze(session, member_id)
