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


# --- ingestion: events, members, aliases, the quarantine, pulls ----------------------


class IdentityConflict(SystokError):
    """An alias is already linked to another member."""

    status_code = 409


class AliasInvalid(SystokError):
    """An alias (or its source) that ids may not contain: NUL, controls, bidi controls."""

    status_code = 422


class AliasNotFound(SystokError):
    """No member has this alias."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


class UnknownMember(SystokError):
    """No member has this platform id."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


class QuarantineEntryNotFound(SystokError):
    """No quarantine entry has this id."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


class QuarantineEntryClosed(SystokError):
    """The entry was accepted, found a duplicate or dismissed already: nothing to dismiss."""

    status_code = 409


class ImportFileError(SystokError):
    """The file itself cannot be read."""

    exit_code = 66  # EX_NOINPUT


class ImportIncomplete(SystokError):
    """An import stored what it could, and some lines were quarantined or conflicted:
    exit 3, so a cron job notices (the counts are printed; nothing was lost)."""

    exit_code = 3


class DiscoursePayloadInvalid(SystokError):
    """A signed Discourse payload lacks a field the mapping needs, or has the wrong type."""

    status_code = 422


class PullFailed(SystokError):
    """An outbound call to a source failed for good (after retries, or a refusal).

    Attributes:
        url: the URL called (without query secrets; keys travel in headers).
        status: the last HTTP status, or None when no response came (connection error).
    """

    status_code = 502
    exit_code = 69  # EX_UNAVAILABLE

    def __init__(self, message: str, *, url: str, status: int | None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class PostHogResponseInvalid(SystokError):
    """PostHog answered 2xx with something that is not a HogQL result we can read."""

    status_code = 502
    exit_code = 69  # EX_UNAVAILABLE


class EventMapInvalid(ConfigurationError):
    """The PostHog event map file (``SYSTOK_POSTHOG_EVENT_MAP``) is unreadable or wrong."""


class BadTime(SystokError):
    """A ``--since``/``--until`` value is not a timestamp or date."""

    exit_code = 64  # EX_USAGE


# --- the weekly run ------------------------------------------------------------------


class RunError(SystokError):
    """A run cannot proceed (unknown run, a week that has not closed, …)."""


class NoRunToVerify(SystokError):
    """``verify week`` on a week that has no run: nothing to compare (exit 66, not the
    2 of a failed verification)."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


class GrantNotFound(SystokError):
    """No held vesting grant has that id."""

    status_code = 404
