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


# --- health readings (ADR 0028) -------------------------------------------------------


class HealthError(SystokError):
    """Root of the health readings' refusals."""


class HealthPeriodInvalid(HealthError):
    """The period is neither a quarter (``2026-Q3``) nor an ISO week (``2026-W05``)."""

    status_code = 422
    exit_code = 65  # EX_DATAERR


class HealthPeriodOpen(HealthError):
    """The period has not closed: its readings are not final, so none is computed."""

    status_code = 409


# --- the quarterly report (ADR 0031) ----------------------------------------------------


class ReportError(SystokError):
    """Root of the quarterly report's refusals."""


class ReportQuarterInvalid(ReportError):
    """The quarter is not a quarter like ``2026-Q3``."""

    status_code = 422
    exit_code = 65  # EX_DATAERR


class ReportQuarterOpen(ReportError):
    """The quarter has not closed: its report would read figures that still change."""

    status_code = 409


class ReportNotPublished(ReportError):
    """The quarter's policy does not publish quarterly reports (``reports.quarterly_published``)."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


class ReportFileUnwritable(ReportError):
    """``report quarterly --pdf FILE`` or ``statement -o FILE``: the file cannot be
    written (no such directory, no permission); nothing is left behind."""

    exit_code = 73  # EX_CANTCREAT
