"""The results picture: a horizontal bar chart readable on a phone, as PNG bytes.

1080 px wide (what Telegram keeps of a photo), large DejaVu Sans (shipped with matplotlib,
it has every Ukrainian letter), each option's text wrapped above its bar, count and percent
beside it. matplotlib is imported here, inside `draw`, and only through its object API with
the Agg canvas: no display, no pyplot global state, safe in a worker thread, and nothing
loaded until the first chart (the bot's start-up memory stays as it was).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

WIDTH = 1080
DPI = 100
MARGIN = 60
FONT = "DejaVu Sans"
TITLE_PT, LABEL_PT, VALUE_PT, FOOTER_PT = 26, 21, 21, 17
TITLE_WRAP, LABEL_WRAP = 40, 52  # characters per line at those sizes within 960 px
TITLE_LINES, LABEL_LINES = 6, 3
TRACK = 760  # px of a full (100%) bar; the count and percent go to its right
BAR_H, GAP = 54, 30
COLOUR, LEADER, TRACK_COLOUR, INK, MUTED = "#3a7bd5", "#f5a623", "#e8ecf2", "#1d2330", "#5b6475"


def _pt_px(points: float) -> float:
    return points * DPI / 72


def _wrap(text: str, width: int, lines: int) -> list[str]:
    wrapped = textwrap.wrap(" ".join(text.split()), width, break_long_words=True) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "…"
    return wrapped


def draw(title: str, labels: Sequence[str], counts: Sequence[int], percents: Sequence[int],
         footer: str, *, highlight: Sequence[bool] | None = None) -> bytes:
    """PNG bytes of the chart; `highlight` marks the leading options in another colour."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    highlight = highlight or [False] * len(labels)
    title_lines = _wrap(title, TITLE_WRAP, TITLE_LINES)
    label_lines = [_wrap(label, LABEL_WRAP, LABEL_LINES) for label in labels]
    title_step, label_step = _pt_px(TITLE_PT) * 1.3, _pt_px(LABEL_PT) * 1.3
    height = (MARGIN + len(title_lines) * title_step + GAP
              + sum(len(lines) * label_step + 8 + BAR_H + GAP for lines in label_lines)
              + _pt_px(FOOTER_PT) * 1.4 + MARGIN)

    figure = Figure(figsize=(WIDTH / DPI, height / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(height, 0)  # y grows downwards, in pixels
    ax.axis("off")

    y: float = MARGIN
    for line in title_lines:
        ax.text(MARGIN, y, line, fontsize=TITLE_PT, fontweight="bold", family=FONT,
                color=INK, va="top")
        y += title_step
    y += GAP
    for lines, count, percent, leader in zip(label_lines, counts, percents, highlight,
                                             strict=True):
        for line in lines:
            ax.text(MARGIN, y, line, fontsize=LABEL_PT, family=FONT, color=INK, va="top")
            y += label_step
        y += 8
        ax.add_patch(Rectangle((MARGIN, y), TRACK, BAR_H, color=TRACK_COLOUR, lw=0))
        filled = TRACK * max(0, min(percent, 100)) / 100
        if filled:
            ax.add_patch(Rectangle((MARGIN, y), max(filled, 4), BAR_H,
                                   color=LEADER if leader else COLOUR, lw=0))
        ax.text(MARGIN + TRACK + 18, y + BAR_H / 2, f"{count} · {percent}%",
                fontsize=VALUE_PT, fontweight="bold", family=FONT, color=INK, va="center")
        y += BAR_H + GAP
    ax.text(MARGIN, y, footer, fontsize=FOOTER_PT, family=FONT, color=MUTED, va="top")

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()
