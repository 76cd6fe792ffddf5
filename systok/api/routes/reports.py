"""``GET /tokenomics/reports/quarterly``: a closed quarter's report, public (ADR 0031).

Anyone may read it, without credentials, when the quarter's policy publishes quarterly
reports (``reports.quarterly_published``); else 404 with the reason. Anonymised: holders
are ranks with balances, no member id appears. The figures are
``systok.reports.service.quarterly_report``; this route only passes the quarter on.

The same report is served as JSON or, when the caller's ``Accept`` prefers
``application/pdf``, as the public PDF in ``lang`` (ADR 0039): the same publication
rule, the same refusals (as JSON problem bodies).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query
from fastapi.responses import Response

from systok.api.deps import Work
from systok.api.routes.common import (
    QUARTER_PATTERN,
    errors,
    pdf_content,
    pdf_response,
    prefers_pdf,
    query_quarter,
    tokenomics_router,
)
from systok.clock import now
from systok.core.language import DEFAULT_LANGUAGE, Language
from systok.reports import service
from systok.reports.schemas import QuarterlyReport

router = tokenomics_router()

PDF_RESPONSE = pdf_content(
    "The report as JSON, or as the public PDF when ``Accept`` prefers ``application/pdf``."
)


@router.get(
    "/reports/quarterly",
    response_model=QuarterlyReport,
    responses={**PDF_RESPONSE, **errors(404, 409, 422, 503)},
    summary="A closed quarter's report: emission, supply, holders (anonymised), health, price",
)
def get_quarterly_report(
    work: Work,
    response: Response,
    quarter: Annotated[
        str,
        Query(
            pattern=QUARTER_PATTERN,
            description="A closed quarter, e.g. 2026-Q3. 409 while open; 404 when the "
            "quarter's policy does not publish reports (or before the first policy).",
        ),
    ],
    lang: Annotated[
        Language,
        Query(description="The PDF's language (with Accept: application/pdf); JSON has none."),
    ] = DEFAULT_LANGUAGE,
    accept: Annotated[
        str | None,
        Header(description="``application/pdf`` (preferred over JSON) answers the PDF."),
    ] = None,
) -> QuarterlyReport | Response:
    """Amounts are integers of STK base units (``scale`` decimals); sections not stored
    yet are null and named in ``missing``."""
    wanted = query_quarter(quarter)
    policy = service.report_policy(wanted)
    report = work(
        lambda session: service.quarterly_report(session, policy, wanted, now=now(), public=True),
        snapshot=True,
    )
    response.headers["Vary"] = "Accept"  # the same URL answers JSON or PDF
    if not prefers_pdf(accept):
        return report
    from systok.documents.quarterly import quarterly_pdf

    return pdf_response(quarterly_pdf(report, lang), f"systok-{report.quarter}-{lang.value}.pdf")
