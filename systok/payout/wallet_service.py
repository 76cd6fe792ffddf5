"""A member's linked wallet as the member API reads it (``GET …/tokenomics/wallet``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from systok.payout import repository as repo
from systok.payout.errors import UnknownMember


@dataclass(frozen=True)
class LinkedWallet:
    """Where the member's payouts go, and since when."""

    address: str
    linked_at_us: int


def member_wallet(session: Session, member_id: str) -> LinkedWallet | None:
    """The member's linked wallet; None keeps their balance custodial.

    Raises:
        UnknownMember: no member has this id.
    """
    if not repo.member_exists(session, member_id):
        raise UnknownMember(f"no member {member_id!r}")
    row = repo.wallet_of(session, member_id)
    return None if row is None else LinkedWallet(row.address, row.linked_at_us)
