"""The quarterly report's charts, drawn with matplotlib through the PDF kit.

Floats appear here only to place marks on an axis: every figure a reader is meant to
read is written beside its bar as the exact text of ``quarterly_text`` (integers of base
units, never a float rounded for display). Each function returns PNG bytes; the kit
closes the figure. Charts are sized in millimetres for the page they go on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from systok.core.language import Language
from systok.documents.pdf import chart_png, new_figure
from systok.documents.quarterly_text import account_name, amount_text, decimal_text, word
from systok.reports.schemas import QuarterlyReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

HALF_WIDTH_MM = 87.0
CHART_HEIGHT_MM = 62.0
FONT_SIZE = 7
BAR = "#3b6ea8"
MUTED = "#9aa5b1"
CURVE = "#b5462f"


def _axes(title: str) -> tuple[Axes, Figure]:
    figure = new_figure(width_mm=HALF_WIDTH_MM, height_mm=CHART_HEIGHT_MM)
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=FONT_SIZE + 1)
    axes.tick_params(labelsize=FONT_SIZE)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return axes, figure


def _png(figure: Figure) -> bytes:
    return chart_png(figure, dpi=200)


def _empty(axes: Axes, language: Language) -> None:
    axes.set_xticks([])
    axes.set_yticks([])
    axes.text(
        0.5,
        0.5,
        word("c_nothing", language),
        ha="center",
        va="center",
        fontsize=FONT_SIZE + 1,
        color=MUTED,
        transform=axes.transAxes,
    )


def _tokens(units: int, scale: int) -> float:
    """Drawing only: base units as a float of tokens to place a bar."""
    return units / float(10**scale)


def emission_chart(report: QuarterlyReport, language: Language) -> bytes:
    """Horizontal bars: what emission credited to each account type in the quarter."""
    axes, figure = _axes(word("c_emission", language))
    rows = [row for row in report.emission_by_account if row.units]
    if not rows:
        _empty(axes, language)
        return _png(figure)
    names = [account_name(row.account, language) for row in rows]
    bars = axes.barh(
        names, [_tokens(row.units, report.scale) for row in rows], color=BAR, height=0.6
    )
    axes.bar_label(
        bars,
        labels=[amount_text(row.units, report.scale, language, unit="") for row in rows],
        fontsize=FONT_SIZE,
        padding=2,
    )
    axes.set_ylim(max(len(rows), 3) - 0.5, -0.5)  # largest first; a lone bar stays slim
    axes.set_xticks([])
    axes.spines["bottom"].set_visible(False)
    axes.margins(x=0.35)
    return _png(figure)


LABELLED_BARS_MAX = 4
"""Up to this many bars carry their exact figure; more would collide, so the axis gets
ticks instead and the figures are in the history table under the charts."""


def _quarter_label(quarter: str) -> str:
    """``2026-Q1`` as two short lines, so eight quarters fit under a half-page chart."""
    year, _, number = quarter.partition("-")
    return f"{number}\n{year}"


def _history_bars(
    axes: Axes, report: QuarterlyReport, values: list[float], texts: list[str], language: Language
) -> None:
    """Bars for the history's quarters, the report's own quarter highlighted; each
    labelled with its exact text while few, else an axis with grouped ticks."""
    from matplotlib.ticker import FuncFormatter

    colours = [MUTED] * (len(values) - 1) + [BAR]
    bars = axes.bar(range(len(values)), values, color=colours, width=0.7)
    axes.set_xticks(range(len(values)), [_quarter_label(p.quarter) for p in report.history])
    if len(values) <= LABELLED_BARS_MAX:
        axes.bar_label(bars, labels=texts, fontsize=FONT_SIZE - 1, padding=2)
        axes.set_yticks([])
        axes.spines["left"].set_visible(False)
        axes.margins(y=0.15)
        return
    axes.yaxis.set_major_formatter(
        FuncFormatter(lambda tick, _: decimal_text(f"{tick:.10g}", language))  # an axis tick
    )
    axes.margins(y=0.05)


def supply_chart(report: QuarterlyReport, language: Language) -> bytes:
    """Bars: the supply at each quarter's close in the history."""
    axes, figure = _axes(word("c_supply", language))
    if not report.history:
        _empty(axes, language)
        return _png(figure)
    texts = [amount_text(p.supply_units, report.scale, language, unit="") for p in report.history]
    values = [_tokens(point.supply_units, report.scale) for point in report.history]
    _history_bars(axes, report, values, texts, language)
    return _png(figure)


def lorenz_chart(report: QuarterlyReport, language: Language) -> bytes:
    """The Lorenz curve of member balances under the line of equality; its Gini
    coefficient in the title, as the report states it."""
    title = f"{word('c_lorenz', language)}, {word('gini', language)} " + decimal_text(
        report.gini, language
    )
    axes, figure = _axes(title)
    last = report.lorenz[-1]
    axes.plot(
        [0, 1],
        [0, 1],
        color=MUTED,
        linewidth=0.8,
        linestyle="--",
        label=word("c_equality", language),
    )
    if last.holders and last.units:
        xs = [point.holders / last.holders for point in report.lorenz]
        ys = [point.units / last.units for point in report.lorenz]
        axes.plot(xs, ys, color=CURVE, linewidth=1.2, label=word("c_lorenz", language))
        axes.fill_between(xs, ys, xs, color=CURVE, alpha=0.12)
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    ticks = [0, 0.25, 0.5, 0.75, 1]
    names = [f"{round(tick * 100)} %" for tick in ticks]
    axes.set_xticks(ticks, names)
    axes.set_yticks(ticks, names)
    axes.set_aspect("equal")
    axes.set_xlabel(word("c_lorenz_x", language), fontsize=FONT_SIZE)
    axes.set_ylabel(word("c_lorenz_y", language), fontsize=FONT_SIZE)
    axes.legend(fontsize=FONT_SIZE - 1, loc="upper left", frameon=False)
    return _png(figure)


def price_chart(report: QuarterlyReport, language: Language) -> bytes:
    """Bars: the directive price of each quarter in the history ("no price" where the
    quarterly run set none)."""
    title = word("c_price", language).format(quote=report.quote_asset)
    axes, figure = _axes(title)
    if not report.history:
        _empty(axes, language)
        return _png(figure)
    values = [
        0.0 if point.price_units is None else _tokens(point.price_units, report.quote_scale)
        for point in report.history
    ]
    texts = [
        word("c_no_price", language)
        if point.price_units is None
        else amount_text(point.price_units, report.quote_scale, language, unit="")
        for point in report.history
    ]
    _history_bars(axes, report, values, texts, language)
    if max(values) == 0:  # nothing to compare: say so rather than draw an empty frame
        axes.set_ylim(0, 1)
        axes.text(
            0.5,
            0.5,
            word("c_zero_price", language),
            ha="center",
            va="center",
            fontsize=FONT_SIZE,
            color=MUTED,
            transform=axes.transAxes,
        )
    return _png(figure)
