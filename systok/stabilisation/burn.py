"""How much an approved ``burn`` proposal burns from the treasury (ADRs 0030, 0041).

With the policy's ``step_bps``: ``floor(treasury available × step_bps / 10 000)``. The
shipped policies give no step (seed 002 names no number), so the approver gives the
amount (``systok stabilise approve ID --amount STK``), like a buyback's budget; the
service bounds it by the treasury's available balance. Pure: no I/O.
"""

from __future__ import annotations

from systok.core.amount import AmountError, parse_amount
from systok.core.policy import Policy
from systok.core.redistribution import units_due
from systok.errors import StabilisationInvalid
from systok.stabilisation.schemas import StoredProposal

BURN_RULE = "burn"
"""The rule whose approval burns from the treasury at once."""


def burn_units(treasury_units: int, step_bps: int) -> int:
    """``floor(treasury × step_bps / 10 000)``; the remainder stays in the treasury.

    The same floor of a basis-point share as redistribution (``units_due``)."""
    return units_due(treasury_units, step_bps)


def parse_burn(policy: Policy, found: StoredProposal, amount: str | None) -> int | None:
    """The STK base units an approver gives a burn without a policy step; None otherwise.

    Raises:
        StabilisationInvalid: missing, not an STK amount, not positive; given where the
            policy's step (or another rule) sizes the action.
    """
    if found.rule != BURN_RULE or found.step_bps is not None:
        if amount is not None:
            raise StabilisationInvalid(
                f"amount: only a burn whose policy has no step_bps takes an amount, not "
                f"{found.rule}" + (f" (its step is {found.step_bps} bps)" if found.step_bps else "")
            )
        return None
    if amount is None or not amount.strip():
        raise StabilisationInvalid(
            "amount: the policy's burn has no step_bps; approve it with the STK to burn "
            "from the treasury (--amount STK)"
        )
    try:
        units = parse_amount(amount.strip(), policy.stk_scale)
    except AmountError as error:
        raise StabilisationInvalid(f"amount: {error} (STK)") from None
    if units <= 0:
        raise StabilisationInvalid(f"amount: {amount!r} STK is not positive")
    return units
