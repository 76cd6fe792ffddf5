"""The weekly statement as an A4 PDF, in Russian or English (the caller picks).

Renders a ``Statement`` (``statement_schemas``) and nothing else: every number on the
page is a field of the model, so the PDF, ``systok statement --json`` and the API's
JSON cannot disagree. Amounts are printed from the model's decimal text through
integer base units (``statement_text.money``); the 12-week chart
(``statement_chart``) has bars of whole STK as integers (floored), labelled with the
exact amounts (thinned when they would collide). The document's date is the
week's close, so the same data gives the same bytes (``pdf.new_document``).
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.fonts import FontFace

from systok.core.language import DEFAULT_LANGUAGE, Language
from systok.core.weeks import IsoWeek
from systok.documents.pdf import FONT_FAMILY, add_mono_font, new_document, output_bytes
from systok.documents.statement_chart import history_chart
from systok.documents.statement_schemas import Recommendation, Statement
from systok.documents.statement_text import (
    event_name,
    factor_text,
    grant_status,
    label,
    money,
    noun,
    number,
    percent_of_bps,
)

WIDTH_MM = 180
"""The text width of an A4 page between 15 mm margins."""
CHART_HEIGHT_MM = 48
ACCENT = (31, 78, 121)
MUTED = (110, 110, 110)
PRORATED_KINDS = frozenset({"unused_limit", "next_qualification"})
"""Advice whose amount ``statement_advice`` scaled by the week's pro-rata factor."""


def render_statement(statement: Statement, language: Language = DEFAULT_LANGUAGE) -> bytes:
    """The statement's PDF bytes in ``language`` (identical for identical data)."""
    week = IsoWeek.parse(statement.week)
    pdf = new_document(title=label(language, "title") + f" {statement.week}", created=week.end)
    mono = add_mono_font(pdf)
    pdf.add_page()
    _header(pdf, statement, language)
    _breakdown(pdf, statement, language)
    _comparison(pdf, statement, language)
    _vesting(pdf, statement, language)
    _advice(pdf, statement, language)
    _proof(pdf, statement, language, mono)
    return output_bytes(pdf)


def _heading(pdf: FPDF, text: str, keep_mm: float = 20) -> None:
    """A section title, moved to a new page with its first ``keep_mm`` of content when
    that would not fit (a heading never ends a page alone)."""
    if pdf.get_y() + 10 + keep_mm > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(FONT_FAMILY, "B", 11)
    pdf.set_text_color(*ACCENT)
    pdf.cell(WIDTH_MM, 7, text.upper(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT_FAMILY, "", 9)


def _paragraph(pdf: FPDF, text: str, size: float = 9, muted: bool = False) -> None:
    pdf.set_font(FONT_FAMILY, "", size)
    if muted:
        pdf.set_text_color(*MUTED)
    pdf.multi_cell(WIDTH_MM, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def _header(pdf: FPDF, st: Statement, language: Language) -> None:
    pdf.set_font(FONT_FAMILY, "B", 16)
    pdf.cell(WIDTH_MM, 9, label(language, "title"), new_x="LMARGIN", new_y="NEXT")
    status = label(language, f"status_{st.status}")
    _paragraph(
        pdf,
        f"{label(language, 'member')}: {st.member}    {label(language, 'week')}: {st.week} "
        f"({st.week_first_day} – {st.week_last_day})    {label(language, 'status')}: {status}",
        muted=True,
    )
    pdf.ln(2)
    pdf.set_font(FONT_FAMILY, "", 10)
    pdf.cell(60, 8, label(language, "earned") + ":")
    pdf.set_font(FONT_FAMILY, "B", 18)
    pdf.set_text_color(*ACCENT)
    pdf.cell(120, 8, f"{money(language, st.paid, st.scale)} STK", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    points = label(
        language,
        "points_line",
        points=number(language, st.points),
        points_word=noun(language, "points", st.points),
        base_points=st.base_points,
    )
    _paragraph(pdf, points)
    if st.paid != st.amount and st.prorata:
        amount = money(language, st.amount, st.scale)
        factor = factor_text(language, st.prorata)
        _paragraph(pdf, label(language, "prorata", amount=amount, factor=factor))
    if not st.matches_stored:
        _paragraph(pdf, label(language, "mismatch", week=st.week))


def _breakdown(pdf: FPDF, st: Statement, language: Language) -> None:
    _heading(pdf, label(language, "explained"))
    columns: tuple[str, ...] = (
        "type",
        "events",
        "counted",
        "capped",
        "ineligible",
        "weight",
        "limit",
        "base",
    )
    widths: tuple[int, ...] = (48, 16, 19, 19, 19, 13, 22, 24)
    if any(line.previous_counted is not None for line in st.activities):
        columns, widths = (*columns, "previous"), (40, 15, 17, 17, 17, 12, 18, 17, 27)
    head = FontFace(emphasis="BOLD", fill_color=(228, 236, 244), size_pt=7)
    pdf.set_font(FONT_FAMILY, "", 8)
    with pdf.table(
        col_widths=widths,
        width=WIDTH_MM,
        text_align=("LEFT", *("RIGHT",) * (len(columns) - 1)),
        headings_style=head,
        line_height=4.6,
        padding=1,
    ) as table:
        row = table.row()
        for column in columns:
            row.cell(label(language, f"col_{column}"))
        for line in st.activities:
            row = table.row()
            cells = [
                event_name(language, line.event_type),
                str(line.count),
                str(line.counted),
                str(line.capped),
                str(line.ineligible),
                str(line.weight),
                str(line.limit_daily),
                str(line.base_points),
            ]
            if "previous" in columns:
                cells.append(str(line.previous_base_points))
            for text in cells:
                row.cell(text)
        row = table.row()
        totals = [label(language, "total"), "", "", "", "", "", "", str(st.base_points)]
        for text in totals + ([""] if "previous" in columns else []):
            row.cell(text, style=FontFace(emphasis="BOLD"))
    pdf.ln(2)
    _paragraph(pdf, _formula(st, language))
    if st.coefficients.levels_varied:
        _paragraph(pdf, label(language, "levels_varied"), muted=True)


def _formula(st: Statement, language: Language) -> str:
    c = st.coefficients
    values = {
        "base": st.base_points,
        "base_word": noun(language, "base_points", st.base_points),
        "points_word": noun(language, "points", st.points),
        "level_coef": number(language, c.level_coefficient),
        "level_name": c.level_name,
        "level": c.level,
        "points": number(language, st.points),
        "amount": money(language, st.amount, st.scale),
    }
    if c.consistency_coefficient is None:
        change = label(language, f"rank_{c.rank_change}") if c.rank_change else ""
        return label(language, "formula_rank", change=change, **values)
    return label(
        language,
        "formula_weighted",
        consistency=number(language, c.consistency_coefficient),
        streak=c.streak_weeks,
        **values,
    )


def _comparison(pdf: FPDF, st: Statement, language: Language) -> None:
    _heading(pdf, label(language, "comparison"))
    cmp = st.comparison
    if cmp.previous_paid is None:
        _paragraph(pdf, label(language, "previous_none", week=cmp.previous_week))
    else:
        change = money(language, cmp.change, st.scale)
        _paragraph(
            pdf,
            label(
                language,
                "previous",
                week=cmp.previous_week,
                previous=money(language, cmp.previous_paid, st.scale),
                change=change if change.startswith("-") else "+" + change,
            ),
        )
    _heading(pdf, label(language, "history"), keep_mm=CHART_HEIGHT_MM)
    pdf.image(history_chart(st, language, WIDTH_MM, CHART_HEIGHT_MM), w=WIDTH_MM, h=CHART_HEIGHT_MM)


def _vesting(pdf: FPDF, st: Statement, language: Language) -> None:
    _heading(pdf, label(language, "vesting"))
    if not st.vesting:
        _paragraph(pdf, label(language, "vesting_none"))
    for part in st.vesting:
        _paragraph(
            pdf,
            "• "
            + label(
                language,
                "vesting_line",
                amount=money(language, part.amount, st.scale),
                type_mid=event_name(language, part.event_type, mid_sentence=True),
                on=part.unlock_on,
                status=grant_status(language, part.status),
            ),
        )


def _advice(pdf: FPDF, st: Statement, language: Language) -> None:
    _heading(pdf, label(language, "advice"))
    if not st.recommendations:
        _paragraph(pdf, label(language, "advice_none"))
    for item in st.recommendations:
        _paragraph(pdf, "• " + advice_text(item, st, language))
    if st.last_active_on:
        _paragraph(pdf, label(language, "last_active", on=st.last_active_on), muted=True)
    if st.notes:
        _paragraph(pdf, label(language, "notes") + ": " + "; ".join(st.notes), muted=True)


def advice_text(item: Recommendation, st: Statement, language: Language) -> str:
    """One recommendation in words."""
    values: dict[str, object] = {
        "type": event_name(language, item.event_type or ""),
        "type_mid": event_name(language, item.event_type or "", mid_sentence=True),
        "count": item.count,
        "amount": money(language, item.amount, st.scale) if item.amount else "",
        "weeks": item.weeks,
        "coefficient": number(language, item.coefficient) if item.coefficient else "",
        "level": item.level,
        "level_name": item.level_name,
        "on": item.on,
        "days": item.days,
        "days_word": noun(language, "days", item.days or 0),
        "count_points_word": noun(language, "points", item.count or 0),
        "rate": percent_of_bps(language, item.rate_bps or 0),
    }
    key: str = item.kind
    if item.kind == "inactivity_tier" and not item.rate_bps:
        key = "inactivity_warn"
    text = label(language, key, **values)
    if st.prorata and item.kind in PRORATED_KINDS:
        text += " " + label(language, "advice_prorata", factor=factor_text(language, st.prorata))
    return text


def _proof(pdf: FPDF, st: Statement, language: Language, mono: str) -> None:
    proof = st.proof
    _heading(pdf, label(language, "verify"), keep_mm=min(45 + 4 * len(proof.path), 200))
    _paragraph(pdf, label(language, "policy", version=st.policy_version))
    _code(pdf, mono, st.policy_hash)
    _paragraph(pdf, label(language, "root"))
    _code(pdf, mono, proof.root)
    _paragraph(pdf, label(language, "leaf", text=proof.leaf_text))
    _code(pdf, mono, proof.leaf)
    if proof.path:
        _paragraph(pdf, label(language, "path"))
        for step in proof.path:
            _code(pdf, mono, f"{step.side}  {step.sibling}")
    else:
        _paragraph(pdf, label(language, "path_empty"))
    published = proof.stored_root is None or proof.stored_root == proof.root
    _paragraph(pdf, label(language, "proof_ok" if proof.verified and published else "proof_bad"))
    _paragraph(pdf, label(language, "proof_doc", member=st.member, week=st.week), muted=True)


def _code(pdf: FPDF, mono: str, text: str) -> None:
    pdf.set_font(mono, "", 7.5)
    pdf.cell(WIDTH_MM, 4, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 9)
