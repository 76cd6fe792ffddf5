"""Errors of the ledger: refused postings, holds, idempotency conflicts, the audit."""

from __future__ import annotations

from collections.abc import Sequence

from systok.errors.root import SystokError

# --- ledger --------------------------------------------------------------------------


class LedgerError(SystokError):
    """Base of every refusal by the ledger."""

    status_code = 409


class UnbalancedTransaction(LedgerError):
    """The postings of a transaction do not sum to zero for some asset."""

    status_code = 422


class InvalidPosting(LedgerError):
    """A posting is malformed: zero or out-of-range amount, repeated account, unknown asset."""

    status_code = 422


class InsufficientFunds(LedgerError):
    """A debit would take an account's available balance below zero."""

    status_code = 409


class IdempotencyConflict(LedgerError):
    """An idempotency key was reused for a different operation; names the differing field."""

    status_code = 409


class HoldNotFound(LedgerError):
    """No hold has the given id."""

    status_code = 404


class HoldNotPending(LedgerError):
    """The hold was already posted, voided or expired."""

    status_code = 409


class AuditFailed(SystokError):
    """At least one ledger invariant does not hold; ``violations`` names each."""

    exit_code = 2

    def __init__(self, violations: Sequence[str]) -> None:
        self.violations = tuple(violations)
        super().__init__(
            f"audit failed: {len(self.violations)} violation(s)\n"
            + "\n".join(f"  {v}" for v in self.violations)
        )
