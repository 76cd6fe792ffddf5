"""Scale a week's rewards down to the budget of the rewards pool, pro rata and exactly.

Scores are computed per member without looking at the pool; the pool only holds what
emission put into it. When the week's rewards add up to more than the budget, every
member's reward is multiplied by the same factor ``budget / Σ rewards`` so nobody is
favoured, and the parts are made whole with the largest-remainder method
(``systok.core.amount.split_amount``) so they sum to the budget *exactly*: no base unit
is created or lost. Each scaled reward is within one base unit of its exact share and
never above the unscaled reward.

Pure, integers and ``Fraction`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from systok.core.amount import split_amount

__all__ = ["scale_to_budget"]


def scale_to_budget(
    rewards: Mapping[str, int], budget_units: int
) -> tuple[dict[str, int], Fraction | None]:
    """Scale rewards (base units by member id) so they fit ``budget_units``.

    When ``Σ rewards <= budget_units`` nothing changes and the factor is None. Otherwise
    each reward becomes its share of the budget with the rewards as weights; the few
    base units left by flooring go to the largest fractional remainders, ties to the
    smaller member id (members are ordered by id, so the result does not depend on the
    mapping's order). ``Σ scaled == budget_units`` exactly.

    Args:
        rewards: member id → reward in base units (non-negative).
        budget_units: what the pool can pay this week (non-negative).

    Returns:
        ``(scaled, factor)``: the rewards by member id in member id order, and the exact
        factor ``budget_units / Σ rewards`` applied, or None when no scaling was needed.

    Raises:
        ValueError: on a negative reward or budget.
    """
    if budget_units < 0:
        raise ValueError(f"budget must be non-negative, got {budget_units}")
    negative = sorted(member for member, units in rewards.items() if units < 0)
    if negative:
        raise ValueError(f"rewards must be non-negative; negative for {negative}")
    members = sorted(rewards)
    total_units = sum(rewards.values())
    if total_units <= budget_units:
        return {member: rewards[member] for member in members}, None
    parts = split_amount(budget_units, [rewards[member] for member in members])
    return dict(zip(members, parts, strict=True)), Fraction(budget_units, total_units)
