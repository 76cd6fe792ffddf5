"""The quarterly run's health stage: the quarter's health readings (SPEC §9, ADR 0028).

``health.service.period_health`` computes the six metrics from the ledger for the
quarter and stores them under the run's policy; a quarter whose readings are stored
already (by ``systok health --quarter``) keeps them.
"""

from __future__ import annotations

from systok.health.schemas import QUARTER, Period
from systok.health.service import period_health
from systok.quarter.context import StageContext


def health(ctx: StageContext) -> None:
    """Compute and store the quarter's readings, unless they are stored."""
    period_health(ctx.session, ctx.policy, Period(QUARTER, ctx.quarter), now_us=ctx.clock())
