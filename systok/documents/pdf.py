"""The PDF kit every SysTok document is built with: fpdf2 pages, DejaVu fonts, charts.

Why these choices (ADR 0032): fpdf2 installs from PyPI with no system libraries, embeds
TrueType fonts as CID/Identity-H subsets (so Cyrillic text survives ``pdftotext``), and
draws tables itself. Its built-in core fonts are Latin-1 only, so every document uses
DejaVu Sans, which matplotlib ships inside its wheel: the same font renders the charts,
and a fresh machine needs nothing beyond the README's two commands.

Charts are drawn with matplotlib's Agg backend into PNG bytes and placed as images;
``chart_png`` closes its figure so a run that writes thousands of statements does not
keep figures alive.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FONT_FAMILY = "DejaVu"
"""The family name documents select with ``pdf.set_font(FONT_FAMILY, style, size)``."""

_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}


def font_directory() -> Path:
    """Where matplotlib keeps its bundled DejaVu TrueType files."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def new_document(*, title: str, created: datetime, author: str = "SysTok") -> FPDF:
    """An A4 portrait document with the DejaVu family registered in all four styles.

    The title and author go into the PDF's metadata; fonts are embedded as subsets.
    ``created`` is the moment the document speaks of (a week's close, a quarter's
    close), never the wall clock, so the same data gives the same bytes: a statement
    regenerated later is byte-identical.
    """
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    directory = font_directory()
    for style, name in _FONT_FILES.items():
        pdf.add_font(FONT_FAMILY, style, str(directory / name))
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("SysTok")
    pdf.set_creation_date(created)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(left=15, top=15, right=15)
    pdf.set_font(FONT_FAMILY, "", 10)
    return pdf


MONO_FAMILY = "DejaVuMono"
"""The monospaced family ``add_mono_font`` registers (hashes, proofs)."""


def add_mono_font(pdf: FPDF) -> str:
    """Register DejaVu Sans Mono (regular) on ``pdf`` for text that must line up, such as
    hex digests; returns the family name. Embedded as a subset like the others."""
    pdf.add_font(MONO_FAMILY, "", str(font_directory() / "DejaVuSansMono.ttf"))
    return MONO_FAMILY


def chart_png(figure: Figure, *, dpi: int = 150) -> bytes:
    """Render ``figure`` to PNG bytes (Agg) and release it; no version stamp, so the
    bytes depend on the data only."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    figure.clear()
    return buffer.getvalue()


def new_figure(*, width_mm: float, height_mm: float) -> Figure:
    """A matplotlib figure of the given size in millimetres, DejaVu Sans as its font.

    Built from ``matplotlib.figure.Figure`` directly (not ``pyplot``), so no global
    figure manager keeps it and no GUI backend is touched.
    """
    from matplotlib.figure import Figure

    inch_mm = 25.4
    figure = Figure(figsize=(width_mm / inch_mm, height_mm / inch_mm))
    figure.set_layout_engine("constrained")
    return figure


def output_bytes(pdf: FPDF) -> bytes:
    """The finished document's bytes."""
    return bytes(pdf.output())
