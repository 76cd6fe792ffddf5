"""Errors of the quarterly run and its verification."""

from __future__ import annotations

from systok.errors.root import SystokError


class QuarterError(SystokError):
    """A quarterly run cannot proceed: the quarter is still open, malformed, or already
    has a run under another policy."""


class NoQuarterToVerify(SystokError):
    """``verify quarter`` on a quarter that has no run: nothing to compare (exit 66)."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT
