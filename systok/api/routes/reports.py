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

from typing import Annotated, Any

from fastapi import Header, Query
from fastapi.responses import Response

from systok.api.deps import Work
from systok.api.routes.common import QUARTER_PATTERN, errors, query_quarter, tokenomics_router
from systok.clock import now
from systok.core.language import DEFAULT_LANGUAGE, Language
from systok.reports import service
from systok.reports.schemas import QuarterlyReport

router = tokenomics_router()

PDF = "application/pdf"
JSON = "application/json"
PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as JSON, or as the public PDF when ``Accept`` prefers "
        "``application/pdf``.",
        "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
    }
}


def prefers_pdf(accept: str | None) -> bool:
    """Whether an ``Accept`` header ranks ``application/pdf`` above JSON.

    Each media range's ``q`` (default 1) counts; JSON's weight is the best of
    ``application/json``, ``application/*`` and ``*/*``. A tie, a missing or an
    unparsable header answer JSON, the API's default.
    """
    if not accept:
        return False
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)  # a header weight, not money
                except ValueError:
                    quality = 0.0
        media = media.lower()
        weights[media] = max(weights.get(media, 0.0), quality)
    pdf = weights.get(PDF, 0.0)
    json = max(weights.get(JSON, 0.0), weights.get("application/*", 0.0), weights.get("*/*", 0.0))
    return pdf > 0 and pdf > json


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

    return Response(
        quarterly_pdf(report, lang),
        media_type=PDF,
        headers={
            "Content-Disposition": f'inline; filename="systok-{report.quarter}-{lang.value}.pdf"',
            "Vary": "Accept",
        },
    )
