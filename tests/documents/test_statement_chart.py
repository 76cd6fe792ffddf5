"""The statement's chart stays readable with large, six-decimal amounts (issue 14).

Geometry (``statement_chart``): a 180 mm chart gives its bars 88 % = 158.4 mm, so each
of 12 bars has a 13 200 µm slot. A label takes 1 450 µm a character plus a 1 500 µm gap:
* golden m1 (``78,75`` is the widest, 5 characters): 5 × 1 450 + 1 500 = 8 750 ≤ 13 200
  → every bar keeps its label (stride 1);
* ``15 000 000,000001`` (17 characters): 17 × 1 450 + 1 500 = 26 150 µm → ceil(26 150 /
  13 200) = 2: every second bar counted back from this week (indices 11, 9, …, 1).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from systok.core.language import Language
from systok.documents.statement_chart import _short, axis_tick, label_stride, thinned

NBSP = "\u00a0"
GOLDEN = ["", "", "", "", "", "", "", "", "", "75", "76,5", "78,75"]
LARGE = ["1 234 567,891234", "15 000 000,000001", "3 333,333333"] * 4


def test_golden_labels_all_fit():
    assert label_stride(GOLDEN, 180) == 1 and thinned(GOLDEN, 1) == GOLDEN


def test_long_labels_are_thinned_keeping_this_week():
    assert label_stride(LARGE, 180) == 2
    shown = thinned(LARGE, 2)
    assert [i for i, text in enumerate(shown) if text] == [1, 3, 5, 7, 9, 11]
    assert label_stride([], 180) == 1


def test_axis_ticks_are_grouped_integers_never_scientific():
    """matplotlib would write 10⁷ as ``1e7`` with an offset; the axis says 10 000 000."""
    assert axis_tick(1e7) == f"10{NBSP}000{NBSP}000"
    assert axis_tick(2.5e7) == f"25{NBSP}000{NBSP}000"
    assert axis_tick(0.0) == "0" and axis_tick(-5e6) == ""


@given(st.lists(st.text(min_size=0, max_size=30), min_size=1, max_size=52))
def test_kept_labels_never_overlap(texts: list[str]):
    """Two kept labels are ``stride`` slots apart, and ``stride`` slots hold the widest
    label and its gap; the last bar's label is always kept."""
    stride = label_stride(texts, 180)
    slot_um = 180 * 1000 * 88 // 100 // len(texts)
    assert stride * slot_um >= max(len(t) for t in texts) * 1_450 + 1_500
    assert thinned(texts, stride)[-1] == texts[-1]


def test_bar_labels_drop_only_fractional_zeros():
    """A whole amount keeps its zeros (a policy of scale 0 writes ``2500000``); only
    the zeros after the decimal point go."""
    assert _short(Language.EN, "2500000") == "2\u00a0500\u00a0000"  # no-break spaces
    assert _short(Language.EN, "100") == "100"
    assert _short(Language.RU, "76.500000") == "76,5"
    assert _short(Language.RU, "1584.000000") == "1\u00a0584"
    assert _short(Language.EN, "0.000000") == "" and _short(Language.EN, "0") == ""
