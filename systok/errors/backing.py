"""Errors of the backing book and the directive price."""

from __future__ import annotations

from systok.errors.root import SystokError

# --- the backing book and the directive price ----------------------------------------


class BackingError(SystokError):
    """Root of the backing book's refusals."""


class InflowInvalid(BackingError):
    """An inflow the book cannot take: a zero or negative amount, an unknown kind, a
    malformed quarter; the message names the field."""

    status_code = 422
    exit_code = 65  # EX_DATAERR


class QuoteInvalid(BackingError):
    """A price quote that cannot be given: ``buy`` is not a positive STK amount; the
    message names the field."""

    status_code = 422
    exit_code = 65  # EX_DATAERR


class QuoteBeyondTreasury(BackingError):
    """``buy`` asks for more STK than the treasury can sell (a refusal by the state of
    the accounts, like a transfer beyond a balance); the message names the field."""

    status_code = 409


class QuarterAlreadyPriced(BackingError):
    """The quarter's directive price is set: no inflow may be recorded for it any more."""

    status_code = 409


class InflowConflict(BackingError):
    """A reference already names another inflow; the message names the differing field."""

    status_code = 409


class PriceUnavailable(BackingError):
    """No directive price exists for the quarter (no STK issued by its close)."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT
