"""Errors of the initial sale to members (``systok sale …``, ADR 0029)."""

from __future__ import annotations

from systok.errors.root import SystokError

# --- the initial sale ----------------------------------------------------------------


class SaleError(SystokError):
    """Root of the initial sale's refusals."""


class SaleInvalid(SaleError):
    """A sale or purchase as typed cannot be taken: a share outside the policy's range,
    a price or amount that is not positive, a reference too long; the message names the
    field."""

    status_code = 422
    exit_code = 65  # EX_DATAERR


class SaleAlreadyOpen(SaleError):
    """A sale is open already: only one sale is open at a time."""

    status_code = 409


class NoOpenSale(SaleError):
    """No sale is open: nothing can be bought or closed."""

    status_code = 409
    exit_code = 66  # EX_NOINPUT


class SaleCapExceeded(SaleError):
    """The purchase would sell more than the sale's remaining cap."""

    status_code = 409


class SaleConflict(SaleError):
    """A reference already names another sale or purchase; the message names the
    differing field."""

    status_code = 409
