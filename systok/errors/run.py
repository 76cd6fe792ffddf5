"""Errors of the weekly run, its verification and vesting grants."""

from __future__ import annotations

from systok.errors.root import SystokError

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
