"""The quarterly run's price stage: set the quarter's directive price (SPEC §8, ADR 0026).

``backing.service.set_price`` computes and stores it once (a rerun returns the stored
price). A quarter by whose close no STK was issued has no price: the stage records none
(no ``quarter_prices`` row, a log line saying so) and the run continues (ADR 0028).
"""

from __future__ import annotations

from systok.backing.service import set_price
from systok.core.times import us_to_datetime
from systok.errors import PriceUnavailable
from systok.observability.logs import get_logger
from systok.quarter.context import StageContext

log = get_logger("quarter")


def price(ctx: StageContext) -> None:
    """Store the quarter's directive price, or none when no STK was issued by its close."""
    try:
        stored = set_price(ctx.session, ctx.policy, ctx.quarter, now_us=ctx.clock())
    except PriceUnavailable as error:
        if not ctx.quarter.is_closed_at(us_to_datetime(ctx.clock())):
            raise
        log.warning(
            "quarterly run: no price",
            extra={"quarter": str(ctx.quarter), "reason": error.message},
        )
        return
    log.info(
        "quarterly run: price set",
        extra={"quarter": str(ctx.quarter), "price_units": stored.price_units},
    )
