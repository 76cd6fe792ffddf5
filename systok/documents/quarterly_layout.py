"""Layout pieces of the quarterly report's PDF: headings, figure tables, charts placed
on the page, notes. Kept apart from ``quarterly`` (which decides what each section says)
so each file stays readable; nothing here knows the report's fields.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

from systok.core.language import Language
from systok.documents.pdf import FONT_FAMILY
from systok.documents.quarterly_charts import CHART_HEIGHT_MM, HALF_WIDTH_MM
from systok.documents.quarterly_text import word

PAGE_WIDTH_MM = 180.0
"""A4's 210 mm less the kit's 15 mm margins."""
CHART_GAP_MM = 6.0
INK = (33, 37, 41)
GREY = (108, 117, 125)
HEAD_FILL = (233, 236, 239)
"""The background of a table's heading row."""


def heading(pdf: FPDF, key: str, language: Language, *, room_mm: float = 30.0) -> None:
    """A section heading, moved to a new page when ``room_mm`` would not fit under it."""
    if pdf.get_y() + room_mm > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(FONT_FAMILY, "B", 11)
    pdf.set_text_color(*INK)
    pdf.cell(0, 7, word(key, language), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = pdf.get_y()
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, y, pdf.l_margin + PAGE_WIDTH_MM, y)
    pdf.ln(2)
    pdf.set_font(FONT_FAMILY, "", 9)


def pairs(pdf: FPDF, rows: list[tuple[str, str]], *, width_mm: float = PAGE_WIDTH_MM) -> None:
    """A two-column table of a label and its exact figure, right-aligned; narrower than
    the page it sits at the right margin (beside a chart)."""
    pdf.set_font(FONT_FAMILY, "", 9)
    with pdf.table(
        col_widths=(0.6, 0.4) if width_mm == PAGE_WIDTH_MM else (0.62, 0.38),
        width=width_mm,
        align=Align.C if width_mm == PAGE_WIDTH_MM else Align.R,
        first_row_as_headings=False,
        borders_layout="HORIZONTAL_LINES",
        line_height=5.5,
        text_align=(Align.L, Align.R),
    ) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label)
            row.cell(value)
    pdf.ln(2)


def figures(
    pdf: FPDF,
    heads: Sequence[str],
    *,
    widths: tuple[int, ...],
    aligns: tuple[Align, ...],
    rows: Sequence[Sequence[str]],
) -> None:
    """A table of figures under a bold, shaded heading row, one row per item (the
    price history, the top holders): the report's tables look alike."""
    with pdf.table(
        col_widths=widths,
        width=PAGE_WIDTH_MM,
        line_height=5,
        text_align=aligns,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        for cells in (heads, *rows):
            row = table.row()
            for text in cells:
                row.cell(text)


def chart_size() -> tuple[float, float]:
    width = (PAGE_WIDTH_MM - CHART_GAP_MM) / 2
    return width, width * CHART_HEIGHT_MM / HALF_WIDTH_MM


def room(pdf: FPDF, height_mm: float) -> float:
    """The y to draw ``height_mm`` at, on a new page when it would not fit."""
    if pdf.get_y() + height_mm > pdf.h - pdf.b_margin:
        pdf.add_page()
    return pdf.get_y()


def chart_pair(pdf: FPDF, left: bytes, right: bytes) -> None:
    """Two charts side by side."""
    width, height = chart_size()
    y = room(pdf, height)
    pdf.image(left, x=pdf.l_margin, y=y, w=width, h=height)
    pdf.image(right, x=pdf.l_margin + width + CHART_GAP_MM, y=y, w=width, h=height)
    pdf.set_y(y + height + 2)


def chart_beside(pdf: FPDF, chart: bytes, rows: list[tuple[str, str]]) -> None:
    """A chart on the left and its figures as a table on the right."""
    width, height = chart_size()
    y = room(pdf, height)
    pdf.image(chart, x=pdf.l_margin, y=y, w=width, h=height)
    pdf.set_y(y + 2)
    pairs(pdf, rows, width_mm=width)
    pdf.set_y(max(pdf.get_y(), y + height + 2))


def note(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT_FAMILY, "I", 9)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 5, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT_FAMILY, "", 9)
