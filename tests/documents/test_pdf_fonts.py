"""``pdf.register_font`` (fonts parsed once per process) writes the same bytes as
fpdf2's own ``add_font``, which parses the file for every document.

The uncached path is the plain ``pdf.add_font`` swapped in for ``register_font``. The
documents mix all four DejaVu styles, the mono family, Cyrillic and Latin, and use
different glyphs one after the other, so a subset or width table leaking from one
document into the next would change the second one's bytes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fpdf import FPDF

from systok.documents import pdf as kit

CREATED = datetime(2026, 2, 1, tzinfo=UTC)
TEXTS = (
    "Еженедельная выписка: 1 584,000000 STK",
    "Quarterly report — emission 12 345.5 STK, Gini 0.41",
    "Ёжик съел щи; Ω ≤ ∑ × ÷ ₽ €",
)


def _document(text: str) -> bytes:
    """A one-page document writing ``text`` in every registered style and in mono."""
    pdf = kit.new_document(title=text[:20], created=CREATED)
    mono = kit.add_mono_font(pdf)
    pdf.add_page()
    for style in ("", "B", "I", "BI"):
        pdf.set_font(kit.FONT_FAMILY, style, 11)
        pdf.multi_cell(0, 6, f"{style or 'regular'}: {text}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(mono, "", 9)
    pdf.multi_cell(0, 5, "sha256 " + text.encode().hex()[:48], new_x="LMARGIN", new_y="NEXT")
    return kit.output_bytes(pdf)


def _plain(pdf: FPDF, family: str, style: str, path: Path) -> None:
    pdf.add_font(family, style, str(path))


@pytest.fixture
def uncached(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Each text's bytes with fpdf2 parsing the fonts for every document."""
    with monkeypatch.context() as patch:
        patch.setattr(kit, "register_font", _plain)
        return {text: _document(text) for text in TEXTS}


def test_cached_fonts_give_the_uncached_bytes(uncached: dict[str, bytes]) -> None:
    """Documents in sequence, twice over (the second round from warm prototypes), each
    equal to its uncached twin; different texts give different bytes (not vacuous)."""
    for _ in range(2):
        for text in TEXTS:
            assert _document(text) == uncached[text], text
    assert len(set(uncached.values())) == len(TEXTS)


def test_documents_on_threads_match_too(uncached: dict[str, bytes]) -> None:
    """The API renders on several threads: copies made concurrently are still private."""
    texts = TEXTS * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(_document, texts))
    assert made == [uncached[text] for text in texts]


def test_a_document_owns_its_font_objects() -> None:
    """Two documents never share the fontTools object ``output`` subsets in place."""
    first = kit.new_document(title="a", created=CREATED)
    second = kit.new_document(title="b", created=CREATED)
    for key in ("dejavu", "dejavuB", "dejavuI", "dejavuBI"):
        one, other = first.fonts[key], second.fonts[key]
        assert one is not other
        assert one.ttfont is not other.ttfont  # type: ignore[union-attr]
        assert one.subset is not other.subset  # type: ignore[union-attr]
