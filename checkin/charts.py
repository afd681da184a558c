"""Server-rendered SVG charts, pure functions of their data (no database, no JavaScript).

A chart is an image to screen readers: ``role="img"`` with a ``<title>`` and a ``<desc>``
that says what it shows, and the page puts the same numbers in a table beside it. Series
differ by more than colour: an outlined bar, a solid bar and a hatched bar, with a legend
that draws the same swatches. The SVG always reads left to right (``direction="ltr"``),
also on right-to-left pages: time runs left to right in both, and an inherited ``rtl``
would flip every ``text-anchor``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH_MIN = 320  # the chart's own width never goes below a phone's
HEIGHT = 260
PLOT_TOP = 14
PLOT_BOTTOM = 210  # the x axis; labels hang below it
LEFT = 48  # room for the y axis labels
RIGHT = 12
GROUP_WIDTH = 36  # per category (a week): three bars and a gap
LABEL_SPACING = 64  # the least room a category label needs; more categories label every n-th
MAX_LABEL = 12  # characters of a category label; longer ones end with "…"

STYLES = ("outline", "solid", "hatched")
INK = "#1a1a1a"  # axes and text (contrast ≥ 4.5:1 on white)
GRID = "#c8c8c8"
COLOURS = {"outline": "#374151", "solid": "#0b5cad", "hatched": "#a14b00"}  # each ≥ 3:1 on white


@dataclass(frozen=True, slots=True)
class BarSeries:
    label: str  # e.g. "Registered", already translated
    style: str  # one of STYLES: outlined, solid or hatched, so colour is never the only difference


@dataclass(frozen=True, slots=True)
class Scale:
    maximum: int  # the top of the y axis
    step: int  # between gridlines

    @property
    def ticks(self) -> list[int]:
        return list(range(0, self.maximum + 1, self.step))

    def y(self, value: float) -> float:
        """The SVG y coordinate of a value (the axis grows upwards)."""
        return PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * (value / self.maximum)


def nice_scale(largest: float, ticks: int = 5) -> Scale:
    """A y axis from 0 that holds ``largest`` with about ``ticks`` gridlines at 1, 2 or 5 times a power of ten."""
    if largest <= 0:
        return Scale(maximum=ticks, step=1)
    rough = largest / ticks
    magnitude = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    step = max(1, int(step))
    return Scale(maximum=step * math.ceil(largest / step), step=step)


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def label_every(categories: int, group_width: float) -> int:
    """Label every n-th category so that labels never overlap."""
    return max(1, math.ceil(LABEL_SPACING / group_width)) if categories else 1


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _bar(x: float, top: float, width: float, style: str, pattern_id: str, tooltip: str) -> str:
    height = PLOT_BOTTOM - top
    colour = COLOURS[style]
    fill = {"outline": "#fff", "solid": colour, "hatched": f"url(#{pattern_id})"}[style]
    return (
        f'<rect x="{_number(x)}" y="{_number(top)}" width="{_number(width)}" height="{_number(height)}" '
        f'fill="{fill}" stroke="{colour}" stroke-width="1.5"><title>{escape(tooltip)}</title></rect>'
    )


def _pattern(pattern_id: str) -> str:
    colour = COLOURS["hatched"]
    return (
        f'<pattern id="{pattern_id}" width="5" height="5" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/>'
        f'<line x1="0" y1="0" x2="0" y2="5" stroke="{colour}" stroke-width="2.5"/></pattern>'
    )


def swatch(style: str, *, chart_id: str = "legend") -> Markup:
    """A small SVG of a series' bar, for a legend written in HTML next to the chart."""
    pattern_id = f"{chart_id}-hatch-{style}"
    defs = f"<defs>{_pattern(pattern_id)}</defs>" if style == "hatched" else ""
    colour = COLOURS[style]
    fill = {"outline": "#fff", "solid": colour, "hatched": f"url(#{pattern_id})"}[style]
    return Markup(  # noqa: S704 - only constants and our own ids, no outside text
        f'<svg class="swatch" width="18" height="14" viewBox="0 0 18 14" aria-hidden="true" focusable="false">'
        f'{defs}<rect x="1" y="1" width="16" height="12" fill="{fill}" stroke="{colour}" stroke-width="1.5"/></svg>'
    )


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[BarSeries],
    values: Sequence[Sequence[int]],
    empty_text: str,
    axis_label: str = "",
) -> Markup:
    """A grouped bar chart: for each category (e.g. a week) one bar per series.

    ``values[i][j]`` is series ``j`` in category ``i``. ``title`` and ``description`` are the
    accessible name and description (already translated); ``empty_text`` is drawn when there
    are no categories or every value is zero.
    """
    if any(len(row) != len(series) for row in values) or len(values) != len(categories):
        raise ValueError("values must hold one number per series for every category")
    if any(s.style not in STYLES for s in series):
        raise ValueError(f"series styles are {', '.join(STYLES)}")
    count = len(categories)
    group = max(GROUP_WIDTH, (WIDTH_MIN - LEFT - RIGHT) / count) if count else WIDTH_MIN - LEFT - RIGHT
    width = LEFT + group * max(count, 1) + RIGHT
    largest = max((value for row in values for value in row), default=0)
    scale = nice_scale(largest)
    bar = min(14.0, (group - 8) / max(len(series), 1))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" direction="ltr" '
        f'viewBox="0 0 {_number(width)} {HEIGHT}" width="{_number(width)}" height="{HEIGHT}" '
        f'font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    pattern_id = f"{chart_id}-hatch"
    if any(s.style == "hatched" for s in series):
        parts.append(f"<defs>{_pattern(escape(pattern_id))}</defs>")
    for tick in scale.ticks:  # gridlines with their values
        y = _number(scale.y(tick))
        parts.append(f'<line x1="{LEFT}" y1="{y}" x2="{_number(width - RIGHT)}" y2="{y}" stroke="{GRID}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y}" dy="4" text-anchor="end" fill="{INK}">{tick}</text>')
    if axis_label:
        parts.append(
            f'<text x="12" y="{(PLOT_TOP + PLOT_BOTTOM) // 2}" text-anchor="middle" fill="{INK}" '
            f'transform="rotate(-90 12 {(PLOT_TOP + PLOT_BOTTOM) // 2})">{escape(shorten(axis_label, 28))}</text>'
        )
    every = label_every(count, group)
    for index, (category, row) in enumerate(zip(categories, values, strict=True)):
        left = LEFT + index * group
        first_bar = left + (group - bar * len(series)) / 2
        for position, (item, value) in enumerate(zip(series, row, strict=True)):
            if value > 0:
                x = first_bar + position * bar
                parts.append(
                    _bar(
                        x, scale.y(value), bar - 1, item.style, escape(pattern_id), f"{category}: {item.label} {value}"
                    )
                )
        if index % every == 0:
            parts.append(
                f'<text x="{_number(left + group / 2)}" y="{PLOT_BOTTOM + 18}" text-anchor="middle" fill="{INK}">'
                f"{escape(shorten(category))}</text>"
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{PLOT_BOTTOM}" x2="{_number(width - RIGHT)}" y2="{PLOT_BOTTOM}" '
        f'stroke="{INK}" stroke-width="1.5"/>'
    )
    if largest == 0:
        parts.append(
            f'<text x="{_number(LEFT + (width - LEFT - RIGHT) / 2)}" y="{(PLOT_TOP + PLOT_BOTTOM) // 2}" '
            f'text-anchor="middle" fill="{INK}" font-size="14">{escape(empty_text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every outside text above went through escape()
