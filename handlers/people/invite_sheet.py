"""The invite sheet: one card per invite with its QR code, printed and handed out at a
meeting of chairs (PDF, A4, eight cards a page) or sent as a picture (PNG, one page).

Each card's QR holds the Telegram deep link (scanning it opens the bot with the code), or the
code alone where no bot username is configured; its words (unit, code, how to start on
Zalo) come from the caller, already in the reader's language. Drawn with matplotlib (already
the charts' library; its DejaVu font has every Vietnamese letter) and segno for the codes.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import segno

if TYPE_CHECKING:
    from matplotlib.figure import Figure

A4 = (8.27, 11.69)  # inches
COLUMNS, ROWS = 2, 4
PER_PAGE = COLUMNS * ROWS


@dataclass(frozen=True)
class Card:
    title: str  # the unit
    code: str
    qr: str  # what the QR code holds
    lines: tuple[str, ...]  # the words under the code


def pages(cards: Sequence[Card]) -> list[Sequence[Card]]:
    return [cards[i:i + PER_PAGE] for i in range(0, len(cards), PER_PAGE)] or [[]]


def pdf(cards: Sequence[Card], heading: str) -> bytes:
    from matplotlib.backends.backend_pdf import PdfPages

    out = io.BytesIO()
    with PdfPages(out) as document:
        for number, chunk in enumerate(pages(cards), start=1):
            document.savefig(_page(chunk, heading, number))
    return out.getvalue()


def png(cards: Sequence[Card], heading: str, page: int = 1, dpi: int = 150) -> bytes:
    chunks = pages(cards)
    number = min(max(page, 1), len(chunks))
    out = io.BytesIO()
    _page(chunks[number - 1], heading, number).savefig(out, format="png", dpi=dpi)
    return out.getvalue()


def _page(cards: Sequence[Card], heading: str, number: int) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=A4)
    FigureCanvasAgg(figure)
    figure.text(0.5, 0.975, f"{heading} · {number}", ha="center", va="top", fontsize=11)
    width, height = 1 / COLUMNS, 0.95 / ROWS
    for i, card in enumerate(cards):
        column, row = i % COLUMNS, i // COLUMNS
        left, top = column * width, 0.95 - row * height
        _card(figure, card, left, top, width, height)
    return figure


def _card(figure: Figure, card: Card, left: float, top: float, width: float,
          height: float) -> None:
    side = 0.55 * height  # the code's square, in figure heights
    aspect = A4[1] / A4[0]
    qr_axes = figure.add_axes((left + 0.03, top - 0.08 * height - side,
                               side * aspect, side))
    matrix = [list(row) for row in segno.make(card.qr, error="m").matrix_iter(
        scale=1, border=2)]
    qr_axes.imshow(matrix, cmap="gray_r", interpolation="nearest")
    qr_axes.set_axis_off()
    text_left = left + 0.05 + side * aspect
    figure.text(text_left, top - 0.08 * height,
                "\n".join(textwrap.wrap(card.title, 20)), va="top", fontsize=10,
                fontweight="bold")
    figure.text(text_left, top - 0.45 * height, card.code,
                va="top", fontsize=16, family="monospace", fontweight="bold")
    words = "\n".join(line for text in card.lines for line in textwrap.wrap(text, 34))
    figure.text(left + 0.03, top - 0.66 * height, words, va="top",
                fontsize=7.5)
    frame = figure.add_axes((left + 0.01, top - height + 0.005,
                             width - 0.02, height - 0.01))
    frame.set_xticks([])
    frame.set_yticks([])
    frame.patch.set_alpha(0)
    for spine in frame.spines.values():
        spine.set_linestyle((0, (4, 4)))
        spine.set_color("#999999")
