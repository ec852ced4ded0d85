"""Accessible horizontal bar charts as inline SVG, with the number as text beside every bar.

The chart is an image with a name and a description (``role="img"``, ``<title>`` and
``<desc>`` referenced by ``aria-labelledby``) that say every figure, so a screen reader reads
the data; each bar has its label above it and its figure written beside it, so nothing is told
by colour or length alone. Colours and fonts come from the stylesheet (classes only, no inline
style: the pages run under ``Content-Security-Policy: default-src 'self'``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

WIDTH: Final = 480
BAR_SPACE: Final = 230
ROW: Final = 56
LABEL_CHARS: Final = 48


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, its value (the bar's length) and the text written beside it."""

    label: str
    value: int
    text: str
    emphasis: bool = False


def _short(label: str) -> str:
    # The full label is in the chart's description and in the table beside it.
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(
    chart_id: str, title: str, bars: Sequence[Bar], scale: int | None = None, colon: str = ": "
) -> str:
    """An SVG bar chart; ``scale`` is the value of a full-length bar (default: the largest).

    ``chart_id`` must be unique in the page (it names the title and description elements);
    ``colon`` separates a label from its figure in the description (" : " in French).
    """
    full = max([scale or 0, *(bar.value for bar in bars), 1])
    height = ROW * len(bars) + 8
    description = "; ".join(f"{bar.label}{colon}{bar.text}" for bar in bars)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img"'
        f' viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for index, bar in enumerate(bars):
        top = index * ROW
        length = round(BAR_SPACE * bar.value / full, 1)
        kind = "bar emphasis" if bar.emphasis else "bar"
        parts += [
            f'<g class="mark" data-value="{bar.value}">',
            f'<text class="label" x="0" y="{top + 18}">{escape(_short(bar.label))}</text>',
            f'<rect class="{kind}" x="0" y="{top + 25}" width="{length}" height="20"/>',
            f'<text class="value" x="{length + 8}" y="{top + 41}">{escape(bar.text)}</text>',
            "</g>",
        ]
    parts.append("</svg>")
    return "\n".join(parts)
