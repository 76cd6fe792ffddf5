"""The algorithmic quote: a bonding curve derived from the directive price (ADR 0035).

The seeds plan "more tokens sold → a higher price" (SPEC §8) but the shipped policies
state no curve, and policy files are never edited. So the curve is the one the policy
already implies. The directive price is backing ÷ issued (``core.price``). When the
treasury sells already-issued STK and the RUB goes into the backing fund, every token
sold raises the backing by its price while the issued supply S stays fixed:

    dB = p·dN,  p = B / S   ⇒   dp/dN = p / S   ⇒   p(N) = p₀·e^(N/S)

and buying N tokens costs ∫₀ᴺ p(n) dn = p₀·S·(e^(N/S) − 1) = B₀·(e^(N/S) − 1),
where B₀ is the backing now. N and S are STK base units, B₀ quote minor units (kopecks),
so the cost comes out in kopecks directly.

Exactness. ``Decimal.exp`` is correctly rounded at the context's precision
(``PRECISION_DIGITS`` significant digits). For a whole N > 0 the exact cost is
irrational (e^r is transcendental for rational r ≠ 0), so it is never a whole kopeck,
and 80 digits leave an error far below a kopeck for any backing the ledger can hold
(B₀ < 10^20 kopecks ⇒ error < 10^-40): rounding the decimal is rounding the real number.

Rounding, named: the cost rounds UP to the kopeck (the buyer pays at least what the
curve says, so the fund never receives less than the curve); the average and the
marginal price are what the buyer faces, so they round UP too; the directive price
beside them stays ``core.price``'s floor. Pure, standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, localcontext

PRECISION_DIGITS = 80
"""Significant digits of the Decimal context the exponential is computed in."""


@dataclass(frozen=True, slots=True)
class CurveQuote:
    """The cost of buying ``buy_units`` STK base units from the treasury on the curve.

    Attributes:
        buy_units: STK base units bought.
        cost_units: quote minor units the buyer pays: ⌈B₀·(e^(N/S) − 1)⌉.
        average_price_units: quote minor units per whole STK, ⌈cost × 10^scale / N⌉;
            None when nothing is bought.
        marginal_price_units: the price of the next token after the purchase, quote
            minor units per whole STK: ⌈p₀·e^(N/S)⌉ with p₀ = B₀ × 10^scale / S exact.
        directive_price_units: the directive price, ⌊B₀ × 10^scale / S⌋ (``core.price``).
    """

    buy_units: int
    cost_units: int
    average_price_units: int | None
    marginal_price_units: int
    directive_price_units: int


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def curve_quote(
    backing_units: int, issued_units: int, buy_units: int, stk_scale: int
) -> CurveQuote:
    """Quote ``buy_units`` on the curve through the directive price (module docstring).

    Raises:
        ValueError: a negative input, nothing issued (no price, no curve), or more to buy
            than is issued (the curve sells already-issued tokens).
    """
    if backing_units < 0 or buy_units < 0:
        raise ValueError("backing and the amount bought are non-negative")
    if issued_units <= 0:
        raise ValueError("no STK is issued: there is no price to start the curve from")
    if buy_units > issued_units:
        raise ValueError("the curve sells issued tokens: buy at most the issued supply")
    whole = 10**stk_scale
    directive = backing_units * whole // issued_units
    if buy_units == 0:
        starting = -(-backing_units * whole // issued_units)  # p₀ itself, rounded up
        return CurveQuote(0, 0, None, starting, directive)
    with localcontext() as context:
        context.prec = PRECISION_DIGITS
        growth = (Decimal(buy_units) / Decimal(issued_units)).exp()
        cost = _ceil(Decimal(backing_units) * (growth - 1))
        marginal = _ceil(Decimal(backing_units * whole) * growth / Decimal(issued_units))
    average = -(-cost * whole // buy_units)
    return CurveQuote(buy_units, cost, average, marginal, directive)
