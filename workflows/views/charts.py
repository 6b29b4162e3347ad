"""Bar charts drawn on the server as inline SVG, for the public statistics page (统计分析).

Pure functions of their inputs: no queries, no JavaScript, no chart library, no CDN. Every text
that reaches the SVG is escaped, so an organisation's or a category's name can never inject
markup. A chart carries its own accessible name and description (``<title>``/``<desc>``,
``role="img"``, ``aria-labelledby``); the page pairs it with a ``<table>`` of the same numbers,
built from the same ``Chart`` so the two can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

Number = int | float | Decimal

# Colours chosen to stay apart for common colour-vision deficiencies and to hold 3:1 against white.
PALETTE = ("#0b5cad", "#a4161a", "#1e7b34", "#9a5b00", "#6b3fa0", "#1d2733", "#00798c")
INK, MUTED, GRID = "#1d2733", "#5a6675", "#d7dde4"
FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", system-ui, sans-serif'


def count_format(value: Number) -> str:
    """Whole numbers with thousands separators (counts)."""
    return f"{int(value):,}"


def money_format(value: Number) -> str:
    """Yuan with two decimals and thousands separators, as amounts are written elsewhere on the site."""
    return f"{Decimal(str(value)):,.2f}"


def compact_format(value: Number) -> str:
    """Axis ticks, short enough for the left margin, in the reader's way of counting.

    Chinese counts in 万 (12,000 → 1.2万, 30,000,000 → 3000万); English in thousands and millions
    (12,000 → 12k, 30,000,000 → 30M).
    """
    number = float(value)

    def short(n: float) -> str:
        return f"{n:,.1f}".rstrip("0").rstrip(".")

    if (get_language() or "").startswith("zh"):
        if abs(number) >= 10_000:
            return f"{short(number / 10_000)}万"
    elif abs(number) >= 1_000_000:
        return f"{short(number / 1_000_000)}M"
    elif abs(number) >= 1_000:
        return f"{short(number / 1_000)}k"
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def _esc(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: Number) -> float:
    return float(value)


def nice_scale(maximum: float, ticks: int = 4, *, integer: bool = True) -> tuple[float, float]:
    """The top of the value axis and the step between ticks: 1, 2, 2.5 or 5 times a power of ten.

    ``integer`` keeps steps whole (counts are never 2.5). A maximum of zero still gives an axis.
    """
    if maximum <= 0:
        return float(ticks), 1.0
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in steps if m * magnitude >= raw - 1e-12)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    top = step * math.ceil(maximum / step - 1e-9)
    return float(top), float(step)


def _text_width(text: str, size: float) -> float:
    """A rough width of a label: CJK characters are about one em, Latin ones a little over half."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


@dataclass(frozen=True)
class Series:
    """One named row of values, one per label (a bar, a stack segment, or a bar in a group)."""

    name: str
    values: tuple[Number, ...]
    color: str = ""


@dataclass(frozen=True)
class TableRow:
    """A label's numbers as the data table shows them (formatted like the chart's value labels)."""

    label: str
    values: tuple[str, ...]
    total: str


@dataclass(frozen=True)
class Chart:
    """A bar chart: one series (plain bars), several side by side (``stacked=False``) or stacked.

    ``chart_id`` must be unique on the page: it prefixes the ids that ``aria-labelledby`` points to.
    """

    chart_id: str
    title: str
    desc: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    stacked: bool = False
    value_format: Callable[[Number], str] = count_format
    tick_format: Callable[[Number], str] = compact_format
    integer: bool = True
    unit: str = ""
    label_heading: str = ""
    width: int = 720
    height: int = 300
    extra_desc: Sequence[str] = field(default_factory=tuple)
    bar_colors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for s in self.series:
            if len(s.values) != len(self.labels):
                raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(self.labels)} labels")
        if self.bar_colors and (len(self.series) != 1 or len(self.bar_colors) != len(self.labels)):
            raise ValueError("bar_colors needs one series and one colour per label")

    # --- the numbers ---------------------------------------------------------------------------

    def totals(self) -> tuple[Number, ...]:
        """Per label, the sum over the series."""
        return tuple(sum((s.values[i] for s in self.series), start=0) for i in range(len(self.labels)))

    @property
    def shows_total(self) -> bool:
        """Stacked charts have a meaningful total per label; grouped comparisons (budget vs award) do not."""
        return self.stacked and len(self.series) > 1

    def table_rows(self) -> list[TableRow]:
        """The chart's numbers row by row, for the accessible data table."""
        fmt = self.value_format
        return [
            TableRow(label, tuple(fmt(s.values[i]) for s in self.series), fmt(total))
            for i, (label, total) in enumerate(zip(self.labels, self.totals(), strict=True))
        ]

    def text_summary(self) -> str:
        """The data in words, appended to ``<desc>`` so the SVG is understandable on its own."""
        fmt = self.value_format
        colon = gettext("：")
        parts = []
        for i, label in enumerate(self.labels):
            if len(self.series) == 1:
                parts.append(f"{label}{colon}{fmt(self.series[0].values[i])}")
            else:
                inner = gettext("，").join(f"{s.name} {fmt(s.values[i])}" for s in self.series)
                parts.append(f"{label}{colon}{inner}")
        return gettext("；").join(parts)

    # --- the picture ---------------------------------------------------------------------------

    def svg(self) -> SafeString:
        """The chart as an inline SVG element (well-formed XML; all text escaped)."""
        return mark_safe(render_bar_chart(self))  # every text in it went through _esc


def _colors(chart: Chart) -> list[str]:
    return [s.color or PALETTE[i % len(PALETTE)] for i, s in enumerate(chart.series)]


def _legend_layout(chart: Chart, start: float, end: float, font: float) -> list[tuple[int, float]]:
    """Row and x of each legend entry, wrapping to a new row where the next would not fit."""
    placed, row, x = [], 0, start
    for s in chart.series:
        item = 16 + _text_width(s.name, font) + 18
        if x > start and x + item > end:
            row, x = row + 1, start
        placed.append((row, x))
        x += item
    return placed


def render_bar_chart(chart: Chart) -> str:
    """Draw ``chart`` as an SVG string: axis with ticks and grid, bars with tooltips, labels, legend."""
    n_labels, n_series = len(chart.labels), len(chart.series)
    width, height = chart.width, chart.height
    font = 12.0
    left, right, top = 64.0, 16.0, 16.0
    legend = _legend_layout(chart, left, width - right, font) if n_series > 1 else []
    legend_rows = 1 + max(row for row, _x in legend) if legend else 0
    top += legend_rows * 20
    band = (width - left - right) / max(n_labels, 1)
    widest = max((_text_width(label, font) for label in chart.labels), default=0.0)
    rotate = widest > band - 4
    bottom = 28.0 + (min(widest, 140.0) * 0.6 if rotate else 0.0)
    plot_h = height - top - bottom
    base_y = top + plot_h

    if chart.stacked:
        peak = max((_num(t) for t in chart.totals()), default=0.0)
    else:
        peak = max((_num(v) for s in chart.series for v in s.values), default=0.0)
    axis_top, step = nice_scale(peak, integer=chart.integer)

    def y_of(value: float) -> float:
        return base_y - (value / axis_top) * plot_h if axis_top else base_y

    ids = {"title": f"{chart.chart_id}-title", "desc": f"{chart.chart_id}-desc"}
    desc = " ".join(p for p in (chart.desc, *chart.extra_desc, chart.text_summary()) if p)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{_esc(chart.chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'role="img" aria-labelledby="{_esc(ids["title"])} {_esc(ids["desc"])}" '
        f'font-family="{_esc(FONT)}" font-size="{font:g}">',
        f'<title id="{_esc(ids["title"])}">{_esc(chart.title)}</title>',
        f'<desc id="{_esc(ids["desc"])}">{_esc(desc)}</desc>',
    ]

    # value axis: grid lines and tick labels
    out.append('<g class="axis" aria-hidden="true">')
    ticks = round(axis_top / step) if step else 0
    for k in range(ticks + 1):
        value = step * k
        y = y_of(value)
        out.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{width - right:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID if k else MUTED}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{_esc(chart.tick_format(value))}</text>"
        )
    if chart.unit:
        out.append(f'<text x="4" y="{top - 6:.1f}" fill="{MUTED}" font-size="11">{_esc(chart.unit)}</text>')
    out.append("</g>")

    # bars
    colors = _colors(chart)
    inner = band * 0.7
    bar_w = inner if chart.stacked else inner / max(n_series, 1)
    value_font = 11.0
    label_room = max(
        (_text_width(chart.value_format(v), value_font) for s in chart.series for v in s.values), default=0
    )
    show_values = n_series == 1 and label_room <= bar_w + band * 0.3
    out.append('<g class="bars">')
    for i, label in enumerate(chart.labels):
        x0 = left + band * i + (band - inner) / 2
        running = 0.0
        for j, s in enumerate(chart.series):
            value = _num(s.values[i])
            if chart.stacked:
                y_top, y_bottom = y_of(running + value), y_of(running)
                x = x0
                running += value
            else:
                y_top, y_bottom = y_of(value), base_y
                x = x0 + bar_w * j
            h = max(y_bottom - y_top, 0.0)
            tip = f"{label}{gettext('：')}{chart.value_format(s.values[i])}"
            if n_series > 1:
                tip = f"{label} · {s.name}{gettext('：')}{chart.value_format(s.values[i])}"
            fill = chart.bar_colors[i] if chart.bar_colors else colors[j]
            out.append(
                f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}" '
                f'fill="{_esc(fill)}" data-series="{j}" data-label="{i}" data-value="{_esc(s.values[i])}">'
                f"<title>{_esc(tip)}</title></rect>"
            )
            if show_values:
                out.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y_top - 4:.1f}" text-anchor="middle" fill="{INK}" '
                    f'font-size="{value_font:g}" aria-hidden="true">{_esc(chart.value_format(s.values[i]))}</text>'
                )
        if chart.shows_total and running > 0:
            total_text = chart.value_format(chart.totals()[i])
            if _text_width(total_text, value_font) <= band:
                out.append(
                    f'<text x="{x0 + inner / 2:.1f}" y="{y_of(running) - 4:.1f}" text-anchor="middle" '
                    f'fill="{INK}" font-size="{value_font:g}" aria-hidden="true">{_esc(total_text)}</text>'
                )
    out.append("</g>")

    # category labels under the bars (slanted when they would collide)
    out.append('<g class="labels" aria-hidden="true">')
    for i, label in enumerate(chart.labels):
        cx = left + band * i + band / 2
        y = base_y + 16
        if rotate:
            out.append(
                f'<text x="{cx:.1f}" y="{y:.1f}" text-anchor="end" fill="{INK}" '
                f'transform="rotate(-35 {cx:.1f} {y:.1f})">{_esc(label)}</text>'
            )
        else:
            out.append(f'<text x="{cx:.1f}" y="{y:.1f}" text-anchor="middle" fill="{INK}">{_esc(label)}</text>')
    out.append("</g>")

    # legend
    if legend:
        out.append('<g class="legend" aria-hidden="true">')
        for (row, x), s, color in zip(legend, chart.series, colors, strict=True):
            y = 6 + row * 20
            out.append(f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{_esc(color)}"/>')
            out.append(f'<text x="{x + 16:.1f}" y="{y + 10}" fill="{INK}">{_esc(s.name)}</text>')
        out.append("</g>")

    out.append("</svg>")
    return "".join(out)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[Number],
    series_name: str = "",
    **options,
) -> Chart:
    """A one-series bar chart; ``bar_colors`` may give each bar its own colour (as grade badges do)."""
    return Chart(
        chart_id=chart_id,
        title=title,
        desc=desc,
        labels=tuple(labels),
        series=(Series(series_name or title, tuple(values)),),
        **options,
    )


def grouped_bar_chart(
    *, chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series], **options
) -> Chart:
    """Several series side by side per label (e.g. budget against award amount per month)."""
    return Chart(chart_id=chart_id, title=title, desc=desc, labels=tuple(labels), series=tuple(series), **options)


def stacked_bar_chart(
    *, chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series], **options
) -> Chart:
    """Series stacked per label, with the total on top (e.g. measures per month by kind)."""
    return Chart(
        chart_id=chart_id,
        title=title,
        desc=desc,
        labels=tuple(labels),
        series=tuple(series),
        stacked=True,
        **options,
    )
