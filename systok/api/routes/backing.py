"""``GET /tokenomics/price`` (public) and ``GET /tokenomics/backing`` (admin): the
directive price and the backing book it comes from (SPEC §8, ADR 0026).

| endpoint | member token | API key scope |
|---|---|---|
| GET price | anyone, no credentials needed | |
| GET price/quote | anyone, no credentials needed | |
| GET backing | 403 | admin:read |

The price is the latest one the quarterly run set; while none is set, the one computed
now for the last closed quarter (``set`` false). Amounts are decimal strings: RUB with
the quote asset's scale, STK with six decimals.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import Field

from systok.api.deps import AppPolicy, Work
from systok.api.routes.common import (
    QUARTER_PATTERN,
    Administrator,
    errors,
    money,
    query_quarter,
    tokenomics_router,
)
from systok.api.schemas import Timestamp, _Out
from systok.backing import service
from systok.clock import now
from systok.core.quarters import Quarter
from systok.core.times import us_to_iso

router = tokenomics_router()

BUY_PATTERN = (
    r"^(0*[1-9][0-9]{0,11}(\.[0-9]{1,6})?|"
    + "|".join(rf"0*\.0{{{k}}}[1-9][0-9]{{0,{5 - k}}}" for k in range(6))
    + ")$"
)
"""A positive STK amount with at most 6 decimals (the shipped ``stk_scale``) and 12
whole digits (below the ledger's 2⁶³ base units); the service checks the policy's scale
again and names ``buy``."""


class PriceOut(_Out):
    """A quarter's directive price: quote minor units per whole STK, floored."""

    quarter: str = Field(examples=["2026-Q3"])
    quote_asset: str = Field(examples=["RUB"])
    scale: int = Field(description="Decimal places of the quote asset.")
    price: str | None = Field(
        description="Quote asset per whole STK, floored to its minor unit; null when no "
        "STK was issued by the quarter's close.",
        examples=["1.33"],
    )
    backing: str = Field(description="Backing counted up to and including the quarter.")
    issued: str = Field(description="STK issued by the quarter's close.")
    stk_scale: int
    policy_version: str
    set: bool = Field(description="Set by the quarterly run (true) or computed now (false).")


class QuoteOut(_Out):
    """The bonding-curve quote of buying ``buy`` STK from the treasury (ADR 0035), beside
    the directive price it starts from. Quote-asset amounts are decimal strings."""

    quarter: str = Field(description="The quarter whose directive price starts the curve.")
    quote_asset: str = Field(examples=["RUB"])
    scale: int = Field(description="Decimal places of the quote asset.")
    buy: str = Field(description="STK bought.", examples=["15000.000000"])
    cost: str = Field(
        description="B₀·(e^(N/S) − 1), rounded up to the quote's minor unit.",
        examples=["20095.31"],
    )
    average_price: str = Field(description="cost ÷ STK bought, rounded up.", examples=["1.34"])
    marginal_price: str = Field(
        description="The next token's price after the purchase, p₀·e^(N/S), rounded up.",
        examples=["1.35"],
    )
    directive_price: str = Field(description="backing ÷ issued, floored.", examples=["1.33"])
    backing: str = Field(description="B₀: backing counted up to the quarter.")
    issued: str = Field(description="S: STK issued by the quarter's close.")
    treasury: str = Field(description="STK the treasury has available to sell.")
    stk_scale: int
    policy_version: str
    set: bool = Field(description="Whether the directive price is set (or computed now).")


class BookLineOut(_Out):
    """One inflow in the book of a quarter."""

    reference: str
    kind: str = Field(examples=["subscription"])
    held_as: str = Field(
        description="The reserve asset its money is held in (the quote asset: not converted).",
        examples=["RUB"],
    )
    quarter: str = Field(description="The quarter the inflow was recorded for.")
    amount: str
    backing: str = Field(description="The backing fund's part of it.")
    counted: str = Field(description="What of it backs the price in this quarter.")
    counted_to_date: str = Field(description="What of it backs the price up to this quarter.")
    note: str | None
    recorded_at: Timestamp


class HeldOut(_Out):
    """The backing fund's part of the book's inflows held in one reserve asset."""

    asset: str = Field(examples=["BTC"])
    backing: str = Field(description="Valued in the quote asset as recorded.")


class BackingOut(_Out):
    """The backing book as of a quarter (amounts in the quote asset)."""

    quarter: str
    quote_asset: str
    scale: int
    counted: str = Field(description="Backing counted in the quarter itself.")
    cumulative: str = Field(description="Backing counted up to and including the quarter.")
    by_asset: list[HeldOut] = Field(
        description="The fund by the reserve asset its money is held in (ADR 0036)."
    )
    lines: list[BookLineOut]


@router.get(
    "/price",
    response_model=PriceOut,
    responses=errors(503),
    summary="The directive price: the latest set, else computed for the last closed quarter",
)
def get_price(work: Work, policy: AppPolicy) -> PriceOut:
    """Public: backing ÷ STK issued, floored to the kopeck (ADR 0026)."""
    last_closed = Quarter.last_closed(now())
    view = work(lambda session: service.current_price(session, policy, last_closed))
    return PriceOut(
        quarter=str(view.quarter),
        quote_asset=view.quote_asset,
        scale=view.quote_scale,
        price=None if view.price_units is None else money(view.price_units, view.quote_scale),
        backing=money(view.backing_units, view.quote_scale),
        issued=money(view.issued_units, policy.stk_scale),
        stk_scale=policy.stk_scale,
        policy_version=view.policy_version,
        set=view.is_set,
    )


@router.get(
    "/price/quote",
    response_model=QuoteOut,
    responses=errors(404, 409, 422, 503),
    summary="The bonding-curve quote of buying N STK, beside the directive price",
)
def get_price_quote(
    work: Work,
    policy: AppPolicy,
    buy: Annotated[
        str,
        Query(
            max_length=64,
            pattern=BUY_PATTERN,
            description="STK to buy from the treasury: a positive decimal with at most 6 "
            "decimals (e.g. 15000 or 0.5).",
        ),
    ],
) -> QuoteOut:
    """Public: buying N STK puts the RUB into the backing, so the price rises as
    p₀·e^(N/S); 422 names ``buy`` when it is not a positive amount, 409 when it is more
    than the treasury can sell, 404 when no STK is issued. Nothing is written."""
    buy_units = service.parse_buy(policy, buy)
    last_closed = Quarter.last_closed(now())
    found = work(
        lambda session: service.price_quote(session, policy, last_closed, buy_units, latest=True)
    )
    view, curve, scale = found.price, found.curve, found.price.quote_scale
    return QuoteOut(
        quarter=str(view.quarter),
        quote_asset=view.quote_asset,
        scale=scale,
        buy=money(curve.buy_units, policy.stk_scale),
        cost=money(curve.cost_units, scale),
        average_price=money(curve.average_price_units or 0, scale),
        marginal_price=money(curve.marginal_price_units, scale),
        directive_price=money(curve.directive_price_units, scale),
        backing=money(view.backing_units, scale),
        issued=money(view.issued_units, policy.stk_scale),
        treasury=money(found.treasury_units, policy.stk_scale),
        stk_scale=policy.stk_scale,
        policy_version=view.policy_version,
        set=view.is_set,
    )


@router.get(
    "/backing",
    response_model=BackingOut,
    responses=errors(401, 403, 422, 503),
    summary="The backing book as of a quarter: every inflow that counts, and totals",
)
def get_backing(
    work: Work,
    policy: AppPolicy,
    _principal: Administrator,
    quarter: Annotated[
        str | None,
        Query(pattern=QUARTER_PATTERN, description="e.g. 2026-Q3; default the last closed."),
    ] = None,
) -> BackingOut:
    """Subscriptions count their share in their quarter; one-off inflows are spread."""
    wanted = query_quarter(quarter) if quarter else Quarter.last_closed(now())
    book = work(lambda session: service.backing_book(session, policy, wanted))
    scale = book.quote_scale
    return BackingOut(
        quarter=str(book.quarter),
        quote_asset=book.quote_asset,
        scale=scale,
        counted=money(book.counted_units, scale),
        cumulative=money(book.cumulative_units, scale),
        by_asset=[
            HeldOut(asset=asset, backing=money(units, scale))
            for asset, units in book.fund_by_asset().items()
        ],
        lines=[
            BookLineOut(
                reference=line.inflow.reference,
                kind=line.inflow.kind.value,
                held_as=line.inflow.held_as,
                quarter=str(line.inflow.quarter),
                amount=money(line.inflow.amount_units, scale),
                backing=money(line.backing_units, scale),
                counted=money(line.counted_units, scale),
                counted_to_date=money(line.counted_to_date_units, scale),
                note=line.inflow.note,
                recorded_at=us_to_iso(line.inflow.recorded_at_us),
            )
            for line in book.lines
        ],
    )
