"""The statement's 12-week chart: bars of whole STK per week, this week in the accent
colour, readable whatever the amounts.

* The y axis is plain grouped whole numbers (``1 500 000``), never matplotlib's
  scientific offset (``1e7``) that appears from 10⁶ STK: the ticks are formatted by
  ``grouped``. The bars' heights are whole STK (integers, the floor of the paid units);
  the tick values are axis positions, not amounts, and are only printed.
* Each bar's label is the exact paid amount without trailing zeros (``76,5``). Six
  decimals (``3 333,333333``) are wider than a bar's slot, so the labels are thinned:
  every ``label_stride``-th bar counted back from this week keeps its label, so this
  week's is always shown and no two labels overlap.
"""

from __future__ import annotations

from systok.core.amount import parse_amount
from systok.core.language import Language
from systok.documents.pdf import chart_png, new_figure
from systok.documents.statement_schemas import Statement
from systok.documents.statement_text import grouped, label, number

PLOT_WIDTH_SHARE_PCT = 88
"""The share of the figure's width the bars' area takes (the rest: the y axis), percent."""
LABEL_CHAR_WIDTH_UM = 1_450
"""A bar label's character width at 6 pt (DejaVu Sans digits are 0.64 em ≈ 1.35 mm),
with a margin, in micrometres."""
LABEL_GAP_UM = 1_500
"""The least space between two neighbouring labels, in micrometres."""


def label_stride(texts: list[str], width_mm: int) -> int:
    """Label every ``n``-th bar so that labels never overlap: the widest label plus a
    gap must fit in ``n`` bar slots (``width_mm × PLOT_WIDTH_SHARE_PCT % / bars`` each).
    Integer arithmetic in micrometres; the stride rounds up (ceil), so a label never
    touches its neighbour. 1 when there are no bars or every label fits its slot."""
    if not texts:
        return 1
    slot_um = width_mm * 1000 * PLOT_WIDTH_SHARE_PCT // 100 // len(texts)
    widest_um = max(len(text) for text in texts) * LABEL_CHAR_WIDTH_UM + LABEL_GAP_UM
    return max(1, -(-widest_um // slot_um))


def thinned(texts: list[str], stride: int) -> list[str]:
    """``texts`` with all but every ``stride``-th (counted back from the last) blanked."""
    last = len(texts) - 1
    return [text if (last - index) % stride == 0 else "" for index, text in enumerate(texts)]


def axis_tick(tick: float) -> str:
    """A y-axis tick (a position matplotlib computes as a float, never an amount) as a
    grouped whole number: ``1e7`` → ``10 000 000``; none below zero."""
    return grouped(round(tick)) if tick >= 0 else ""


def history_chart(st: Statement, language: Language, width_mm: int, height_mm: int) -> bytes:
    """The chart's PNG bytes (identical for identical data)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = new_figure(width_mm=width_mm, height_mm=height_mm)
    axes = figure.add_subplot()
    whole = 10**st.scale
    heights = [parse_amount(week.paid, st.scale) // whole for week in st.history]
    names = [week.week[-3:] for week in st.history]
    colours = ["#9db6cf"] * (len(heights) - 1) + ["#1f4e79"]
    bars = axes.bar(range(len(heights)), heights, color=colours, width=0.7)
    texts = [_short(language, week.paid) for week in st.history]
    shown = thinned(texts, label_stride(texts, width_mm))
    axes.bar_label(bars, labels=shown, fontsize=6, padding=1)
    axes.set_xticks(range(len(names)), names, fontsize=6)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda tick, _: axis_tick(tick)))
    axes.tick_params(axis="y", labelsize=6)
    axes.set_ylabel(label(language, "chart_axis"), fontsize=7)
    axes.margins(y=0.18)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return chart_png(figure)


def _short(language: Language, amount: str) -> str:
    """A bar's label: the exact amount without trailing fractional zeros (``76,5``;
    ``2500000`` stays whole at scale 0), none for 0."""
    trimmed = amount.rstrip("0").rstrip(".") if "." in amount else amount
    return "" if trimmed == "0" else number(language, trimmed)
