"""The backing book's arithmetic and the directive price [001 §Котировка, 002 §Эмиссия].

The directive price of quarter q is the backing that counts up to and including q,
divided by every STK issued up to and including q (SPEC §8, ADR 0026):

- a **subscription** counts the price rule's share (``price.subscription_share_bps``,
  ½) of its revenue in the quarter it was recorded for;
- a **donation** gives the backing fund its share (``backing.donations_share_bps``, ½);
  donations, **investor sales**, **grants** and **startup shares** are one-off inflows,
  and their backing part is spread evenly over ``price.one_off_spread_quarters``
  quarters starting with the quarter recorded: each quarter gets the floor, the last
  quarter of the spread also takes the remainder, so the parts sum to the whole.

Every share is floored to the quote asset's minor unit (kopecks); what a floor drops is
not backing. The price is a whole number of quote minor units per whole STK, floored:
``floor(backing_minor × 10^stk_scale / issued_base_units)``; on the seed-001 example
(499 500 + 1 500 000 RUB over 1 500 000 STK) it is 133 kopecks, 1.33 RUB.

Pure, standard library and the policy's domain model only.
"""

from __future__ import annotations

from enum import StrEnum

from systok.core.amount import BASIS_POINTS_WHOLE
from systok.core.policy.model import Backing, DirectivePrice
from systok.core.quarters import Quarter


class InflowKind(StrEnum):
    """What brought money into the backing fund [002 §Финансовое обеспечение, 001 §Котировка]."""

    SUBSCRIPTION = "subscription"
    DONATION = "donation"
    INVESTOR_SALE = "investor_sale"
    GRANT = "grant"
    STARTUP_SHARE = "startup_share"

    @property
    def one_off(self) -> bool:
        """Whether the inflow is spread over several quarters (all but subscriptions)."""
        return self is not InflowKind.SUBSCRIPTION


def backing_share_bps(kind: InflowKind, backing: Backing) -> int:
    """The share of an inflow that goes to the backing fund, in basis points.

    Subscriptions and donations: the policy's ``backing`` shares; investor sales, grants
    and startup shares are the fund's whole.
    """
    if kind is InflowKind.SUBSCRIPTION:
        return backing.subscriptions_share_bps
    if kind is InflowKind.DONATION:
        return backing.donations_share_bps
    return BASIS_POINTS_WHOLE


def backing_units(kind: InflowKind, amount_units: int, backing: Backing) -> int:
    """The backing fund's part of an inflow, in quote minor units (floor)."""
    return amount_units * backing_share_bps(kind, backing) // BASIS_POINTS_WHOLE


def spread_evenly(units: int, quarters: int) -> list[int]:
    """``units`` over ``quarters`` quarters: the floor each, the remainder to the last.

    ``spread_evenly(10, 4) == [2, 2, 2, 4]``; the parts always sum to ``units``.
    """
    if quarters < 1:
        raise ValueError(f"a spread needs at least one quarter, got {quarters}")
    if units < 0:
        raise ValueError("spread_evenly takes non-negative units")
    each = units // quarters
    return [each] * (quarters - 1) + [units - each * (quarters - 1)]


def counted_parts(
    kind: InflowKind,
    amount_units: int,
    quarter: Quarter,
    backing: Backing,
    rule: DirectivePrice,
) -> list[tuple[Quarter, int]]:
    """Which quarters an inflow backs the price in, and by how many quote minor units.

    A subscription counts ``floor(amount × price.subscription_share_bps / 10 000)`` in its
    own quarter; a one-off inflow's backing part (``backing_units``) is spread over
    ``rule.one_off_spread_quarters`` quarters from ``quarter`` on (``spread_evenly``).
    """
    if amount_units <= 0:
        raise ValueError("an inflow is a positive amount")
    if not kind.one_off:
        return [(quarter, amount_units * rule.subscription_share_bps // BASIS_POINTS_WHOLE)]
    parts = spread_evenly(backing_units(kind, amount_units, backing), rule.one_off_spread_quarters)
    spread: list[tuple[Quarter, int]] = []
    current = quarter
    for units in parts:
        spread.append((current, units))
        current = current.next()
    return spread


def counted_up_to(parts: list[tuple[Quarter, int]], quarter: Quarter) -> int:
    """The units of ``parts`` that count in ``quarter`` or earlier."""
    return sum(units for at, units in parts if at <= quarter)


def directive_price_units(backing_total: int, issued_units: int, stk_scale: int) -> int | None:
    """Quote minor units per whole STK: ``floor(backing × 10^stk_scale / issued)``.

    ``backing_total`` is in quote minor units (kopecks), ``issued_units`` in STK base
    units. Rounding: floor to the quote's minor unit, so the price never claims more
    backing than there is. None when nothing has been issued (no price exists).
    """
    if backing_total < 0 or issued_units < 0:
        raise ValueError("backing and issued supply are non-negative")
    if issued_units == 0:
        return None
    price: int = backing_total * 10**stk_scale // issued_units
    return price
