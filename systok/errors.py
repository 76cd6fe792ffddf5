"""One error tree for the whole service.

Every failure a user can cause is a ``SystokError`` subclass. Each class carries the
HTTP status and the CLI exit code it maps to, so the API and the CLI render errors in
one place each and never show a traceback for a user mistake. Impossible states are
``assert``s, not errors: they mean a bug, not bad input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class SystokError(Exception):
    """Root of every error a caller can cause or handle.

    Attributes:
        status_code: HTTP status the API answers with.
        exit_code: process exit code the CLI ends with.
    """

    status_code: int = 400
    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def error_name(self) -> str:
        """The class name, used as the machine-readable ``error`` field."""
        return type(self).__name__


# --- configuration and policy -------------------------------------------------------


class ConfigurationError(SystokError):
    """A setting is missing or unusable (bad URL, unreadable key file, …)."""

    exit_code = 78  # EX_CONFIG


class SettingsInvalid(ConfigurationError):
    """Settings were refused; ``problems`` names every bad or missing one, not the first.

    Each problem is printed as ``SYSTOK_NAME: reason`` (``systok.config.SettingProblem``);
    values of secrets are never part of the reason.
    """

    def __init__(self, problems: Sequence[object], *, source: object = None) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        where = f" (environment and {source})" if source is not None else " (environment)"
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"settings refused{where}: {count} problem{'s' if count != 1 else ''}\n{lines}"
        )


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong with a policy file, located by file and key path."""

    file: str
    key_path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key_path}: {self.reason}"


class PolicyInvalid(SystokError):
    """A policy file was refused; ``problems`` lists every problem found, not the first."""

    status_code = 422
    exit_code = 65  # EX_DATAERR

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"policy refused: {count} problem{'s' if count != 1 else ''}\n{lines}")


class PolicyNotFound(SystokError):
    """No policy file matches the name or week asked for."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


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


class AccountNotFound(LedgerError):
    """No account has the given reference."""

    status_code = 404


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


class DatabaseUnavailable(SystokError):
    """The configured database cannot be reached or does not exist (names which, and why)."""

    exit_code = 69  # EX_UNAVAILABLE
    status_code = 503


class DatabaseNotReady(SystokError):
    """The database schema is missing or behind; run ``systok db upgrade``."""

    exit_code = 75  # EX_TEMPFAIL
    status_code = 503


# --- callers: API keys and member tokens ----------------------------------------------


class Unauthenticated(SystokError):
    """No API key, or one that is unknown or revoked."""

    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}  # noqa: RUF012 - read-only class constant


class MissingScope(SystokError):
    """The API key is valid but lacks the scope this endpoint needs."""

    status_code = 403


class ApiKeyInvalid(SystokError):
    """A key name or scope given to ``systok apikey create`` is refused."""

    status_code = 422
    exit_code = 65  # EX_DATAERR


class ApiKeyNameTaken(SystokError):
    """Another key (active or revoked) already has this name."""

    status_code = 409


class ApiKeyNotFound(SystokError):
    """No key has this name."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


class NotYourAccount(SystokError):
    """A member asked for another member's data or tokens: a member sees only their own."""

    status_code = 403


class MemberAuthUnavailable(SystokError):
    """The platform's JWKS could not be fetched, so no member token can be checked now."""

    status_code = 503


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
