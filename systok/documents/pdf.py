"""The PDF kit every SysTok document is built with: fpdf2 pages, DejaVu fonts, charts.

Why these choices (ADR 0032): fpdf2 installs from PyPI with no system libraries, embeds
TrueType fonts as CID/Identity-H subsets (so Cyrillic text survives ``pdftotext``), and
draws tables itself. Its built-in core fonts are Latin-1 only, so every document uses
DejaVu Sans, which matplotlib ships inside its wheel: the same font renders the charts,
and a fresh machine needs nothing beyond the README's two commands.

Charts are drawn with matplotlib's Agg backend into PNG bytes and placed as images;
``chart_png`` closes its figure so a run that writes thousands of statements does not
keep figures alive.

Fonts are parsed once per process (``register_font``): parsing the DejaVu files cost
~0.17 s of every document. fpdf2 cannot share one parsed font between documents —
``FPDF.output`` subsets the font's fontTools object in place and closes it, and the font
carries the document's subset map — so each document gets a copy of a parsed prototype:
its own fontTools object (unpickled from the prototype's, ~17 ms a font instead of
~40 ms parsing), widths, subset map and index. Tests prove the bytes equal those of
fpdf2's own ``add_font`` (tests/documents/test_pdf_fonts.py).
"""

from __future__ import annotations

import copy
import io
import pickle
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

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
        register_font(pdf, FONT_FAMILY, style, directory / name)
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
    register_font(pdf, MONO_FAMILY, "", font_directory() / "DejaVuSansMono.ttf")
    return MONO_FAMILY


@dataclass(frozen=True)
class _Prototype:
    """A font parsed once: fpdf2's object and its fontTools object pickled."""

    font: TTFFont
    ttfont_pickle: bytes


_PROTOTYPES: dict[tuple[str, str, Path], _Prototype] = {}
_PROTOTYPES_LOCK = threading.Lock()
"""Guards the first parse of each file (the API renders documents on several threads)."""


def register_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """What ``pdf.add_font(family, style, path)`` does, without parsing ``path`` again.

    The first call in a process parses the file through ``add_font`` on a scratch
    document and keeps that font, with its fontTools object pickled (our own bytes,
    made in this process, never read from disk). Every document then gets a shallow
    copy holding its own fontTools object (unpickled: ``output`` subsets and closes
    it), its own widths, glyph ids and subset map, and this document's font index; the
    cmap and descriptor are shared as fpdf2's own ``TTFFont.__deepcopy__`` shares them
    (never written after parsing). A colour font stays bound to the scratch document
    and a CFF font raises the document's PDF version, so those are registered the
    plain way (DejaVu is neither).
    """
    key = (family, style, path)
    with _PROTOTYPES_LOCK:
        prototype = _PROTOTYPES.get(key)
        if prototype is None:
            scratch = FPDF()
            scratch.add_font(family, style, str(path))
            parsed = scratch.fonts[f"{family.lower()}{style}"]
            assert isinstance(parsed, TTFFont)  # add_font only makes TrueType fonts
            prototype = _Prototype(parsed, pickle.dumps(parsed.ttfont))
            _PROTOTYPES[key] = prototype
    source = prototype.font
    if source.color_font is not None or source.is_cff:
        pdf.add_font(family, style, str(path))
        return
    font = copy.copy(source)
    font.ttfont = pickle.loads(prototype.ttfont_pickle)  # noqa: S301 - our own bytes
    font.cw = source.cw.copy()  # a defaultdict: reading an unknown char adds it
    font.glyph_ids = dict(source.glyph_ids)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.i = len(pdf.fonts) + 1
    font.subset = SubsetMap(font)
    pdf.fonts[source.fontkey] = font


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
