"""``GET /tokenomics/reports/quarterly``: a closed quarter's report, public (ADR 0031).

Anyone may read it, without credentials, when the quarter's policy publishes quarterly
reports (``reports.quarterly_published``); else 404 with the reason. Anonymised: holders
are ranks with balances, no member id appears. The figures are
``systok.reports.service.quarterly_report``; this route only passes the quarter on.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from systok.api.deps import Work
from systok.api.routes.common import QUARTER_PATTERN, errors, query_quarter, tokenomics_router
from systok.clock import now
from systok.reports import service
from systok.reports.schemas import QuarterlyReport

router = tokenomics_router()


@router.get(
    "/reports/quarterly",
    response_model=QuarterlyReport,
    responses=errors(404, 409, 422, 503),
    summary="A closed quarter's report: emission, supply, holders (anonymised), health, price",
)
def get_quarterly_report(
    work: Work,
    quarter: Annotated[
        str,
        Query(
            pattern=QUARTER_PATTERN,
            description="A closed quarter, e.g. 2026-Q3. 409 while open; 404 when the "
            "quarter's policy does not publish reports (or before the first policy).",
        ),
    ],
) -> QuarterlyReport:
    """Amounts are integers of STK base units (``scale`` decimals); sections not stored
    yet are null and named in ``missing``."""
    wanted = query_quarter(quarter)
    policy = service.report_policy(wanted)
    return work(
        lambda session: service.quarterly_report(session, policy, wanted, now=now(), public=True),
        snapshot=True,
    )
