"""Redistribution from inactive wallets (SPEC §6): days inactive → tier → units moved.

The policy's ``slashing`` section lists tiers ``from_days <= days < to_days`` (the last
one unbounded; the policy checks make them start at 0, contiguous and sorted). At a
quarter's close a member inactive for ``days`` days falls in exactly one tier, and
``floor(available × rate_bps / 10 000)`` base units of their available custodial
balance move to the policy's ``slashing.to`` account. The floor keeps the sub-unit
remainder with the member (``slashing.rounding = "floor"``), so the amount moved is
never more than the member has: ``0 <= moved <= available``. Tokens in the member's
own Solana wallet are out of reach and never enter this arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

from systok.core.amount import BASIS_POINTS_WHOLE
from systok.core.policy import Slashing, SlashingTier


@dataclass(frozen=True, slots=True)
class Redistribution:
    """One member's tier at the close and the units it takes."""

    tier: SlashingTier
    due_units: int

    @property
    def applies(self) -> bool:
        """Whether the run records it: units are due, or the tier asks for a warning."""
        return self.tier.rate_bps > 0 or self.tier.warn  # due > 0 implies rate > 0


def tier_for(slashing: Slashing, days_inactive: int) -> SlashingTier:
    """The tier ``from_days <= days_inactive < to_days`` (the last tier has no end).

    Raises:
        ValueError: ``days_inactive`` is negative.
    """
    if days_inactive < 0:
        raise ValueError(f"days_inactive must be >= 0 (got {days_inactive})")
    for tier in slashing.tiers:
        if tier.from_days <= days_inactive and (
            tier.to_days is None or days_inactive < tier.to_days
        ):
            return tier
    raise ValueError(
        f"no slashing tier covers {days_inactive} days (the policy checks forbid this)"
    )


def units_due(available_units: int, rate_bps: int) -> int:
    """``floor(available_units × rate_bps / 10 000)``; nothing from an empty balance.

    The floor is the policy's rounding: the remainder (under one base unit's worth of
    the rate) stays with the member. A non-positive balance yields 0.
    """
    if available_units <= 0 or rate_bps <= 0:
        return 0
    return available_units * rate_bps // BASIS_POINTS_WHOLE


def redistribution_for(
    slashing: Slashing, available_units: int, days_inactive: int
) -> Redistribution:
    """A member's tier and the units due for ``days_inactive`` days at the close."""
    tier = tier_for(slashing, days_inactive)
    return Redistribution(tier, units_due(available_units, tier.rate_bps))
