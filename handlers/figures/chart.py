"""The digest's chart: reports per category over the last weeks, as a PNG.

matplotlib takes about a second to import, so it is imported on the first chart, not at
start-up; the Figure is drawn on the Agg canvas directly (no pyplot, no global figure state),
so charts can be drawn in a worker thread while the bot goes on answering.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

# Kept apart in the chart; the rest of the categories are summed as one bar segment.
MAX_SERIES = 6
# Colour-blind-safe (Okabe-Ito), "other" last in grey.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#999999")


@dataclass(frozen=True)
class ChartText:
    title: str
    y_label: str
    other: str  # the legend's name for the categories summed together


def weekly_chart(weeks: Sequence[str], series: Sequence[tuple[str, Sequence[int]]],
                 text: ChartText) -> bytes:
    """Stacked bars, one per week (``weeks`` are the x labels), one colour per category."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    shown = list(series[:MAX_SERIES])
    rest = series[MAX_SERIES:]
    if rest:
        shown.append((text.other, [sum(v) for v in zip(*(s for _, s in rest), strict=True)]))
    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bottom = [0] * len(weeks)
    for (name, values), colour in zip(shown, COLOURS, strict=False):
        axes.bar(weeks, values, bottom=bottom, label=name, color=colour, width=0.7)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_title(text.title)
    axes.set_ylabel(text.y_label)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    if shown:
        axes.legend(loc="upper left", fontsize="small", frameon=False,
                    bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
