"""Errors about who calls: API keys, scopes and member tokens."""

from __future__ import annotations

from systok.errors.root import SystokError

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
