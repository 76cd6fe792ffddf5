"""Errors of the stabilisation proposals and their decision (``systok stabilise …``,
ADR 0030)."""

from __future__ import annotations

from systok.errors.root import SystokError


class StabilisationError(SystokError):
    """Root of the stabilisation decisions' refusals."""


class StabilisationInvalid(StabilisationError):
    """A decision as typed cannot be taken: no ``--by``, a rejection without a reason,
    an unknown status or quarter; the message names the field."""

    status_code = 422
    exit_code = 65  # EX_DATAERR


class ProposalNotFound(StabilisationError):
    """No stabilisation proposal has that id."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


class ProposalDecided(StabilisationError):
    """The proposal was decided already, or its time to be decided has passed."""

    status_code = 409


class BuybackUnavailable(StabilisationError):
    """No buyback runs now (none approved for this quarter), or what a sale asks is
    beyond it: the budget left, or a reference that names another sale (ADR 0034)."""

    status_code = 409
