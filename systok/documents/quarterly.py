"""The quarterly transparency report as a public PDF (SPEC §10, issue 14, ADR 0039).

It renders ``reports.schemas.QuarterlyReport`` and nothing else, so the PDF says what
the public JSON says (``GET /tokenomics/reports/quarterly``), anonymised the same way:
holders are ranks, no member id is ever given to this module. A4, Russian by default or
English; every figure is exact text from the report's integers (``quarterly_text``), the
charts (``quarterly_charts``) only draw them. The document's date is the quarter's
close, so the same report gives the same bytes whenever it is rendered.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

from systok.core.language import DEFAULT_LANGUAGE, Language
from systok.core.quarters import Quarter
from systok.documents import quarterly_charts as charts
from systok.documents import quarterly_layout as layout
from systok.documents.pdf import FONT_FAMILY, new_document, output_bytes
from systok.documents.quarterly_text import (
    amount_text,
    bps_text,
    count_text,
    decimal_text,
    metric_text,
    word,
)
from systok.reports.schemas import QuarterlyReport, Reading

FOOTER_Y_MM = -10.0
STATUS_FILL = {
    "ok": (209, 231, 221),
    "warning": (255, 236, 181),
    "critical": (248, 215, 218),
}
"""Health status → cell colour (green, amber, red); no value / unrated stay white."""
HEALTH_ROWS = (
    ("active_wallets", "m_active_wallets"),
    ("inflation", "m_inflation"),
    ("velocity", "m_velocity"),
    ("treasury", "m_treasury"),
)
TOP_BESIDE_LORENZ = 5
"""The largest holders' shares shown beside the Lorenz curve (all are in the last table)."""
SECTION_TITLES = {
    "active_wallets": "m_active_wallets",
    "inflation": "m_inflation",
    "velocity": "m_velocity",
    "treasury": "m_treasury",
    "redistribution": "m_redistribution",
    "price": "m_price",
}


def quarterly_pdf(report: QuarterlyReport, language: Language = DEFAULT_LANGUAGE) -> bytes:
    """The report as PDF bytes, the same bytes for the same report and language."""
    quarter = Quarter.parse(report.quarter)
    pdf = new_document(
        title=f"SysTok {word('title', language).lower()} {report.quarter}",
        created=quarter.end,
    )
    pdf.set_lang(language.value)
    pdf.add_page()
    _title(pdf, report, quarter, language)
    _supply(pdf, report, language)
    _activity(pdf, report, language)
    _spread(pdf, report, language)
    _health(pdf, report, language)
    _price(pdf, report, language)
    _history(pdf, report, language)
    _redistribution(pdf, report, language)
    _missing(pdf, report, language)
    _top_holders(pdf, report, language)
    _footers(pdf, report, language)
    return output_bytes(pdf)


def _title(pdf: FPDF, report: QuarterlyReport, quarter: Quarter, language: Language) -> None:
    pdf.set_text_color(*layout.INK)
    pdf.set_font(FONT_FAMILY, "B", 15)
    pdf.cell(0, 8, f"SysTok · {word('title', language)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, "B", 12)
    pdf.cell(0, 7, report.quarter, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, "", 9)
    pdf.set_text_color(*layout.GREY)
    period = f"{quarter.first_day.isoformat()} — {quarter.last_day.isoformat()} (UTC)"
    pdf.cell(
        0,
        5,
        f"{word('period', language)}: {period}   ·   "
        f"{word('policy', language)}: {report.policy_version}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.multi_cell(
        0, 4.5, word("anonymised", language), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_text_color(*layout.INK)
    pdf.ln(2)


def _stk(report: QuarterlyReport, units: int, language: Language) -> str:
    return amount_text(units, report.scale, language)


def _supply(pdf: FPDF, report: QuarterlyReport, language: Language) -> None:
    layout.heading(pdf, "s_supply", language)
    layout.pairs(
        pdf,
        [
            (word("emission", language), _stk(report, report.emission_units, language)),
            (word("burned", language), _stk(report, report.burned_units, language)),
            (word("supply", language), _stk(report, report.supply_units, language)),
            (word("circulating", language), _stk(report, report.circulating_units, language)),
            (word("frozen", language), _stk(report, report.frozen_units, language)),
        ],
    )
    layout.chart_pair(
        pdf, charts.emission_chart(report, language), charts.supply_chart(report, language)
    )


def _activity(pdf: FPDF, report: QuarterlyReport, language: Language) -> None:
    layout.heading(pdf, "s_activity", language)
    average = report.average_reward_units
    layout.pairs(
        pdf,
        [
            (word("volume", language), _stk(report, report.transaction_volume_units, language)),
            (word("rewards", language), _stk(report, report.rewards_units, language)),
            (word("rewarded", language), count_text(report.rewarded_members, language)),
            (
                word("average", language),
                word("nobody", language) if average is None else _stk(report, average, language),
            ),
        ],
    )


def _spread(pdf: FPDF, report: QuarterlyReport, language: Language) -> None:
    layout.heading(pdf, "s_spread", language, room_mm=80.0)
    rows = [
        (word("holders", language), count_text(report.holders, language)),
        (word("gini", language), decimal_text(report.gini, language)),
    ]
    rows += [
        (f"{word('rank', language)} {holder.rank}", bps_text(holder.share_bps, language))
        for holder in report.top_holders[:TOP_BESIDE_LORENZ]
    ]
    layout.chart_beside(pdf, charts.lorenz_chart(report, language), rows)


def _bounds(reading: Reading, language: Language) -> tuple[str, str]:
    """The target and the critical zone of a reading as text (``—`` when unbounded)."""

    def text(value: str) -> str:
        return metric_text(value, reading.unit, language)

    low, high = reading.target_min, reading.target_max
    if low is not None and high is not None:
        target = f"{text(low)} … {text(high)}"
    elif low is not None:
        target = f"≥ {text(low)}"
    else:
        target = "—" if high is None else f"≤ {text(high)}"
    zones = []
    if reading.critical_below is not None:
        zones.append(f"< {text(reading.critical_below)}")
    if reading.critical_above is not None:
        zones.append(f"> {text(reading.critical_above)}")
    joiner = " или " if language is Language.RU else " or "
    return target, joiner.join(zones) or "—"


def _health(pdf: FPDF, report: QuarterlyReport, language: Language) -> None:
    layout.heading(pdf, "s_health", language, room_mm=45.0)
    heads = ("metric", "value", "target", "critical", "status")
    with pdf.table(
        col_widths=(46, 34, 32, 36, 32),
        width=layout.PAGE_WIDTH_MM,
        line_height=5.5,
        text_align=(Align.L, Align.R, Align.R, Align.R, Align.C),
        headings_style=FontFace(emphasis="BOLD", fill_color=layout.HEAD_FILL),
    ) as table:
        head = table.row()
        for key in heads:
            head.cell(word(key, language))
        for section, label in HEALTH_ROWS:
            reading: Reading | None = getattr(report, section)
            row = table.row()
            row.cell(word(label, language))
            if reading is None:
                row.cell("—")
                row.cell("—")
                row.cell("—")
                row.cell(word("st_missing", language))
                continue
            value = (
                "—" if reading.value is None else metric_text(reading.value, reading.unit, language)
            )
            target, critical = _bounds(reading, language)
            row.cell(value)
            row.cell(target)
            row.cell(critical)
            fill = STATUS_FILL.get(reading.status)
            row.cell(
                word(f"st_{reading.status}", language),
                style=FontFace(emphasis="BOLD", fill_color=fill) if fill else None,
            )
    pdf.ln(2)


def _price(pdf: FPDF, report: QuarterlyReport, language: Language) -> None:
    layout.heading(pdf, "s_price", language, room_mm=80.0)
    price = report.price
    rows = [  # not stored: each figure a dash; the reason is under "not in this report"
        (word(key, language), "—") for key in ("directive", "backing", "issued", "set_at")
    ]
    if price is not None:
        quote = report.quote_scale
        rows = [
            (
                word("directive", language),
                amount_text(price.price_units, quote, language, price.quote_asset),
            ),
            (
                word("backing", language),
                amount_text(price.backing_units, quote, language, price.quote_asset),
            ),
            (word("issued", language), _stk(report, price.issued_units, language)),
            (word("set_at", language), price.set_at.replace("T", " ")[:16]),
        ]
    layout.chart_beside(pdf, charts.price_chart(report, language), rows)


def _history(pdf: FPDF, report: QuarterlyReport, language: Language) -> None:
    """The supply and price charts' figures, exact, one quarter a row."""
    if not report.history:
        return
    layout.heading(pdf, "s_history", language, room_mm=25.0)
    layout.figures(
        pdf,
        [
            word(key, language).format(quote=report.quote_asset)
            for key in ("quarter", "h_supply", "h_price")
        ],
        widths=(40, 80, 60),
        aligns=(Align.L, Align.R, Align.R),
        rows=[
            (
                point.quarter,
                _stk(report, point.supply_units, language),
                word("c_no_price", language)
                if point.price_units is None
                else amount_text(
                    point.price_units, report.quote_scale, language, report.quote_asset
                ),
            )
            for point in report.history
        ],
    )


def _redistribution(pdf: FPDF, report: QuarterlyReport, language: Language) -> None:
    layout.heading(pdf, "s_redistribution", language)
    totals = report.redistribution
    if totals is None:
        layout.note(pdf, word("not_stored", language))
        return
    layout.pairs(
        pdf,
        [
            (word("r_members", language), count_text(totals.members, language)),
            (word("r_redistributed", language), count_text(totals.redistributed_members, language)),
            (word("r_due", language), _stk(report, totals.due_units, language)),
            (word("r_moved", language), _stk(report, totals.moved_units, language)),
            (word("r_warnings", language), count_text(totals.warnings, language)),
            (word("r_out_of_reach", language), _stk(report, totals.out_of_reach_units, language)),
        ],
    )


def _missing(pdf: FPDF, report: QuarterlyReport, language: Language) -> None:
    """Each section the report could not read, with the report's own reason in English
    (the operator's words) and a plain phrase in Russian."""
    if not report.missing:
        return
    layout.heading(pdf, "s_missing", language, room_mm=15.0)
    for line in report.missing:
        section, _, reason = line.partition(": ")
        label = word(SECTION_TITLES[section], language) if section in SECTION_TITLES else section
        said = word("not_stored", language) if language is Language.RU else reason
        layout.note(pdf, f"• {label}: {said}")


def _top_holders(pdf: FPDF, report: QuarterlyReport, language: Language) -> None:
    layout.heading(pdf, "s_top", language, room_mm=25.0)
    if not report.top_holders:
        layout.note(pdf, word("c_nothing", language))
        return
    layout.figures(
        pdf,
        [word(key, language) for key in ("rank", "balance", "share")],
        widths=(20, 100, 60),
        aligns=(Align.R, Align.R, Align.R),
        rows=[
            (
                str(holder.rank),
                _stk(report, holder.units, language),
                bps_text(holder.share_bps, language),
            )
            for holder in report.top_holders
        ],
    )


def _footers(pdf: FPDF, report: QuarterlyReport, language: Language) -> None:
    """Every page's footer, written once the page count is known."""
    pages = pdf.pages_count
    pdf.set_auto_page_break(auto=False)
    for page in range(1, pages + 1):
        pdf.page = page
        pdf.set_font(FONT_FAMILY, "", 7.5)
        pdf.set_text_color(*layout.GREY)
        pdf.set_xy(pdf.l_margin, pdf.h + FOOTER_Y_MM)
        pdf.cell(
            layout.PAGE_WIDTH_MM / 2, 4, f"SysTok · {report.quarter} · {report.policy_version}"
        )
        pdf.cell(
            layout.PAGE_WIDTH_MM / 2,
            4,
            word("page", language).format(page=page, pages=pages),
            align=Align.R,
        )
