"""Errors of the economy: members, transfers, the marketplace, rewards."""

from __future__ import annotations

from systok.errors.ledger import InvalidPosting, LedgerError
from systok.errors.root import SystokError

# --- the economy: members, transfers, the marketplace, rewards --------------------------


class MemberNotFound(SystokError):
    """No member has this platform id (the platform has not reported them yet)."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


class AccountFrozen(LedgerError):
    """The member's account is frozen: its tokens may not move until the freeze is lifted."""

    status_code = 409


class SelfTransfer(InvalidPosting):
    """A member asked to send tokens to themselves."""

    status_code = 422


class RecipientUnknown(SystokError):
    """The recipient is nobody SysTok knows (no member with that platform id)."""

    status_code = 422


class RecipientIneligible(SystokError):
    """The recipient exists but may not receive transfers under the policy (a free user)."""

    status_code = 422


class ServiceNotFound(SystokError):
    """The catalogue (the policy in force) has no service with this id."""

    status_code = 404


class RewardNotFound(SystokError):
    """The member has no reward in that week (no run yet, or no counted events)."""

    status_code = 404
