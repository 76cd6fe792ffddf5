"""Errors of ingestion: events, members, aliases, the quarantine, imports and pulls."""

from __future__ import annotations

from systok.errors.config import ConfigurationError
from systok.errors.root import SystokError

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
