"""Charts for the Insights page, drawn on the server as SVG that reads without JavaScript.

Each chart is an `<svg role="img">` named by its own `<title>` and `<desc>`; every bar and
point carries a `<title>` with its number (a tooltip without script); series differ by
pattern, dash and marker as well as by colour; the same numbers come as a data table and as
CSV. The markup uses presentation attributes and classes only: the CSP allows no inline style.

Weekly charts (labels that are ISO dates) run time across the page. Bars over other
categories (roles, hand-offs) lie horizontally, so long names stay whole on a phone.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import NamedTuple

from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe

# Geometry in viewBox units. The SVG scales with its container (app.css caps its width), so
# these sizes keep the text near 11 px on a 390 px phone and near 17 px on a desktop.
WIDTH = 360
FONT = 12
CHAR = FONT * 0.62  # a generous average glyph width, so estimated labels never collide
LINE = FONT + 4
PLOT_HEIGHT = 160
MAX_X_LABELS = 12

# Each 3:1 or better against the card (#fff) and the page (#f6f7f9); a test checks it.
COLOURS = ("#3b3f9e", "#b45309", "#1e7a3c", "#8a2b85")
MUTED = "#5a6577"  # app.css --muted
GRID = "#d8dde5"  # app.css --line
DASHES = ("none", "6 3", "2 3", "8 3 2 3")
# Bars after the first are hatched, dotted or cross-hatched, so that print and colour-blind
# readers can tell them apart; lines differ by dash and marker shape instead.
HATCHES = (
    "",
    '<path d="M0 6 6 0M-1 1 1 -1M5 7 7 5" stroke="{c}" stroke-width="2"/>',
    '<circle cx="3" cy="3" r="1.6" fill="{c}"/>',
    '<path d="M0 6 6 0M0 0 6 6" stroke="{c}" stroke-width="1.4"/>',
)
NO_DATA = "No data in this period"
MEASURES = {"hours", "days", "%"}  # always one decimal, even when every value is whole
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Values = list[list[float | None]]


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]  # one per label; None = no data (a gap in a line, no bar)


class Scale(NamedTuple):
    top: float
    ticks: list[float]
    decimals: int

    def texts(self) -> list[str]:
        return [f"{t:,.{self.decimals}f}" for t in self.ticks]


def nice_scale(maximum: float, *, whole: bool = False) -> Scale:
    """From 0 to a multiple of the smallest 1, 2 or 5 x 10^n step that reaches `maximum` in
    at most five intervals (three to five gridlines above zero); whole steps for counts."""
    peak = Decimal(repr(float(maximum))) if maximum > 0 else Decimal(1)
    exponent = math.floor(math.log10(peak / 5))
    for e in range(exponent - 1, exponent + 3):
        for m in (1, 2, 5):
            step = Decimal(m).scaleb(e)
            count = math.ceil(peak / step)
            if (whole and step < 1) or count > 5:
                continue
            ticks = [float(step * i) for i in range(count + 1)]
            return Scale(ticks[-1], ticks, max(0, -int(step.normalize().as_tuple().exponent)))
    raise AssertionError("a step of 10^(exponent + 1) always fits")  # pragma: no cover


def raw(value: float | None) -> str:
    """A number as a spreadsheet reads it: "3", "12.5"; never "3.0" or "1e+16"."""
    if value is None:
        return ""
    value = float(value)
    return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")


@dataclass(frozen=True)
class Chart:
    key: str  # a slug: names the CSV download and prefixes the SVG's ids
    title: str
    description: str  # one sentence: what is plotted and how to read it
    labels: list[str]
    series: list[Series]
    unit: str  # "deploys", "hours", "%"...
    kind: str = "bar"  # "bar" (grouped when several series) or "line"
    label_heading: str = "Week"

    def __post_init__(self) -> None:
        if self.kind not in ("bar", "line"):
            raise ValueError(f"Chart {self.key!r}: kind is 'bar' or 'line', not {self.kind!r}.")
        for s in self.series:
            if len(s.values) != len(self.labels):
                raise ValueError(
                    f"Chart {self.key!r}: series {s.name!r} has {len(s.values)} values "
                    f"for {len(self.labels)} labels."
                )

    # Numbers for people and for spreadsheets

    # Asked for every value drawn and tabled: computed once (the chart is frozen).
    @cached_property
    def decimals(self) -> int:
        values = [float(v) for s in self.series for v in s.values if v is not None]
        return 1 if self.unit in MEASURES or not all(v.is_integer() for v in values) else 0

    def format_value(self, value: float | None) -> str:
        if value is None:
            return "—"
        # Half up, as people round: 12.25 h reads "12.3", not Python's even "12.2".
        exact = Decimal(repr(float(value))).quantize(
            Decimal(1).scaleb(-self.decimals), ROUND_HALF_UP
        )
        text = f"{exact:,.{self.decimals}f}"
        return f"{text} %" if self.unit == "%" else text

    def table_header(self) -> list[str]:
        # Measured units go in the column heading; counts and percentages explain themselves.
        suffix = f" ({self.unit})" if self.unit != "%" and self.decimals else ""
        return [self.label_heading, *(f"{s.name}{suffix}" for s in self.series)]

    def table_rows(self) -> list[list[str]]:
        return [
            [label, *(self.format_value(s.values[i]) for s in self.series)]
            for i, label in enumerate(self.labels)
        ]

    def csv_rows(self) -> list[list[str]]:
        header = [self.label_heading, *(s.name for s in self.series)]
        body = [
            [label, *(raw(s.values[i]) for s in self.series)] for i, label in enumerate(self.labels)
        ]
        return [header, *body]

    # Drawing

    def svg(self) -> SafeString:
        base = f"chart-{self.key}"
        # Negative values are not expected: drawn as 0. Non-finite ones are drawn as no data.
        drawn = [
            [None if v is None or not math.isfinite(v) else max(float(v), 0.0) for v in s.values]
            for s in self.series
        ]
        peak = max((v for vs in drawn for v in vs if v is not None), default=0.0)
        scale = nice_scale(peak, whole=self.decimals == 0)
        legend, top = self._legend(base)
        dated = bool(self.labels) and all(ISO_DATE.fullmatch(label) for label in self.labels)
        if self.kind == "bar" and self.labels and not dated:
            body, height = self._rows(base, drawn, scale, top, empty=peak == 0)
        else:
            body, height = self._columns(base, drawn, scale, top, dated, empty=peak == 0)
        return format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
            'aria-labelledby="{0}-title {0}-desc" viewBox="0 0 {1} {2}" width="100%" '
            'font-size="{3}"><title id="{0}-title">{4}</title><desc id="{0}-desc">{5}</desc>'
            "{6}{7}{8}</svg>",
            base,
            WIDTH,
            _n(height),
            FONT,
            self.title,
            self.description,
            self._patterns(base),
            legend,
            body,
        )

    def _tip(self, j: int, i: int) -> str:
        """ "Failed, 2026-11-23: 2 deploys", the hover text of one bar or point."""
        who = f"{self.series[j].name}, " if len(self.series) > 1 else ""
        unit = "" if self.unit == "%" else f" {self.unit}"
        return f"{who}{self.labels[i]}: {self.format_value(self.series[j].values[i])}{unit}"

    def _fill(self, base: str, j: int) -> str:
        return COLOURS[0] if j % 4 == 0 else f"url(#{base}-p{j % 4})"

    def _patterns(self, base: str) -> SafeString:
        if self.kind != "bar" or len(self.series) < 2:
            return mark_safe("")
        patterns = (
            _el(
                "pattern",
                _el("rect", width=6, height=6, fill="#fff")
                + mark_safe(HATCHES[j].format(c=COLOURS[j])),
                id=f"{base}-p{j}",
                width=6,
                height=6,
                patternUnits="userSpaceOnUse",
            )
            for j in range(1, min(len(self.series), 4))
        )
        return _el("defs", _join(patterns))

    def _swatch(self, base: str, j: int, x: float, y: float) -> SafeString:
        colour = COLOURS[j % 4]
        if self.kind == "bar":
            return _el(
                "rect", x=x, y=y, width=12, height=12, fill=self._fill(base, j), stroke=colour
            )
        line = _el(
            "line",
            x1=x - 4,
            y1=y + 6,
            x2=x + 16,
            y2=y + 6,
            stroke=colour,
            stroke_width=2,
            stroke_dasharray=DASHES[j % 4],
        )
        return line + _marker(j, x + 6, y + 6, "")

    def _legend(self, base: str) -> tuple[SafeString, float]:
        """The series' names in flowing rows above the plot (none for a single series)."""
        if len(self.series) < 2:
            return mark_safe(""), 8.0
        items, x, y = [], 4.0, 2.0
        for j, s in enumerate(self.series):
            width = 18 + _width(s.name) + 16
            if x > 4 and x + width > WIDTH:
                x, y = 4.0, y + LINE + 2
            items.append(self._swatch(base, j, x, y) + _el("text", s.name, x=x + 20, y=y + 10.5))
            x += width
        return _el("g", _join(items), class_="chart-legend"), y + LINE + 10

    def _columns(
        self, base: str, drawn: Values, scale: Scale, top: float, dated: bool, empty: bool
    ) -> tuple[SafeString, float]:
        """Categories across (weeks), values up: grouped bars or lines with point markers."""
        top += LINE + 6  # room for the unit above the value axis, clear of its top tick
        left = max(_width(t) for t in scale.texts()) + 8
        right = WIDTH - 10.0
        bottom = top + PLOT_HEIGHT
        slot = (right - left) / max(len(self.labels), 1)

        def y(v: float) -> float:
            return bottom - PLOT_HEIGHT * v / scale.top

        parts = [_el("text", self.unit, class_="chart-unit", x=0, y=top - 14, fill=MUTED)]
        for t, text in zip(scale.ticks, scale.texts(), strict=True):
            parts.append(_el("line", x1=left, y1=y(t), x2=right, y2=y(t), stroke=GRID))
            parts.append(
                _el("text", text, x=left - 6, y=y(t) + FONT * 0.35, text_anchor="end", fill=MUTED)
            )
        parts += self._x_labels(left, slot, bottom, dated)
        if empty:
            parts.append(_no_data((left + right) / 2, top + PLOT_HEIGHT / 2))
        elif self.kind == "bar":
            group = slot * 0.76
            bar = group / len(self.series)
            for j, i, v in _points(drawn):
                x = left + i * slot + (slot - group) / 2 + j * bar
                fill = self._fill(base, j)
                tip = self._tip(j, i)
                parts.append(_bar(x, y(v), max(bar - 1, 1), bottom - y(v), fill, j, tip))
        else:
            for j, values in enumerate(drawn):
                parts.append(self._line(j, values, lambda i: left + (i + 0.5) * slot, y))
        parts.append(_el("line", x1=left, y1=bottom, x2=right, y2=bottom, stroke=MUTED))
        return _join(parts), bottom + 8 + LINE * (2 if dated else 1)

    def _x_labels(self, left: float, slot: float, bottom: float, dated: bool) -> list[SafeString]:
        """Every k-th label, k chosen so that none overlaps; a date's year under its first."""
        shown = [_short(label) if dated else label for label in self.labels]
        if not shown:
            return []
        widest = max(_width(s) for s in shown) + 8
        every = max(math.ceil(widest / slot), math.ceil(len(shown) / MAX_X_LABELS), 1)
        parts, year = [], ""
        for i in range(0, len(shown), every):
            half = _width(shown[i]) / 2
            x = min(max(left + (i + 0.5) * slot, half), WIDTH - half)
            text = _el("tspan", shown[i])
            if dated and self.labels[i][:4] != year:
                year = self.labels[i][:4]
                text += _el("tspan", year, x=x, dy=LINE)
            parts.append(
                _el("text", text, x=x, y=bottom + LINE + 2, text_anchor="middle", fill=MUTED)
            )
        return parts

    def _line(
        self, j: int, values: list[float | None], x: Callable[[int], float], y: Callable
    ) -> SafeString:
        """One polyline per run of values (a gap at each None) and a marker on every point."""
        runs: list[list[str]] = [[]]
        markers = []
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(f"{_n(x(i))},{_n(y(v))}")
            markers.append(_marker(j, x(i), y(v), self._tip(j, i)))
        lines = (
            _el(
                "polyline",
                points=" ".join(run),
                fill="none",
                stroke=COLOURS[j % 4],
                stroke_width=2,
                stroke_dasharray=DASHES[j % 4],
                stroke_linejoin="round",
            )
            for run in runs
            if len(run) > 1
        )
        return _el("g", _join(lines) + _join(markers), class_="chart-series")

    def _rows(
        self, base: str, drawn: Values, scale: Scale, top: float, empty: bool
    ) -> tuple[SafeString, float]:
        """Categories down (roles, hand-offs), values across: grouped horizontal bars."""
        wrapped = [textwrap.wrap(t, 16, max_lines=3, placeholder="…") or [""] for t in self.labels]
        left = min(max(_width(line) for lines in wrapped for line in lines), WIDTH * 0.38) + 10
        right = WIDTH - _width(scale.texts()[-1]) / 2 - 4
        bar = 14.0 if len(self.series) == 1 else 11.0
        heights = [max(bar * len(self.series), LINE * len(lines)) + 12 for lines in wrapped]
        tops = [top + sum(heights[:i]) for i in range(len(heights))]
        bottom = top + sum(heights)

        def x(v: float) -> float:
            return left + (right - left) * v / scale.top

        parts = []
        for t, text in zip(scale.ticks, scale.texts(), strict=True):
            stroke = MUTED if t == 0 else GRID
            parts.append(_el("line", x1=x(t), y1=top, x2=x(t), y2=bottom, stroke=stroke))
            parts.append(
                _el("text", text, x=x(t), y=bottom + LINE, text_anchor="middle", fill=MUTED)
            )
        for i, lines in enumerate(wrapped):
            first = tops[i] + heights[i] / 2 - LINE * (len(lines) - 1) / 2 + FONT * 0.35
            spans = (
                _el("tspan", line, x=left - 8, dy=LINE if k else 0) for k, line in enumerate(lines)
            )
            parts.append(_el("text", _join(spans), x=left - 8, y=first, text_anchor="end"))
        if empty:
            parts.append(_no_data((left + right) / 2, (top + bottom) / 2))
        else:
            # A category with no value at all says so, rather than looking like a zero.
            for i in range(len(self.labels)):
                if all(values[i] is None for values in drawn):
                    at = tops[i] + heights[i] / 2 + FONT * 0.35
                    parts.append(_el("text", "no data", x=left + 6, y=at, fill=MUTED))
            for j, i, v in _points(drawn):
                y = tops[i] + (heights[i] - bar * len(self.series)) / 2 + j * bar
                parts.append(
                    _bar(left, y, x(v) - left, bar - 1, self._fill(base, j), j, self._tip(j, i))
                )
        parts.append(
            _el(
                "text",
                self.unit,
                class_="chart-unit",
                x=WIDTH - 2,
                y=bottom + 2 * LINE + 2,
                text_anchor="end",
                fill=MUTED,
            )
        )
        return _join(parts), bottom + 2 * LINE + 8


def _n(x: float) -> str:
    # Coordinates: a tenth of a unit is finer than any screen shows.
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _width(text: str) -> float:
    return len(text) * CHAR


def _el(tag: str, content: str = "", /, **attrs: object) -> SafeString:
    """One SVG element, its text and attribute values escaped. `text_anchor` names the
    attribute text-anchor, `class_` names class; floats are rounded to a tenth."""
    # f-strings with escape() rather than format_html: a year of weekly charts draws
    # thousands of elements, and format_html's per-call cost showed in the page's profile.
    pairs = "".join(
        f' {name.rstrip("_").replace("_", "-")}="'
        f'{escape(_n(value) if isinstance(value, float) else value)}"'
        for name, value in attrs.items()
    )
    return mark_safe(f"<{tag}{pairs}>{conditional_escape(content)}</{tag}>")  # escaped here


def _join(parts: Iterable[SafeString]) -> SafeString:
    return mark_safe("".join(parts))  # each part is already escaped markup


def _points(drawn: Values) -> Iterable[tuple[int, int, float]]:
    """(series, label, value) for every value there is."""
    return ((j, i, v) for j, vs in enumerate(drawn) for i, v in enumerate(vs) if v is not None)


def _bar(x: float, y: float, w: float, h: float, fill: str, j: int, tip: str) -> SafeString:
    return _el(
        "rect",
        _el("title", tip),
        class_="chart-bar",
        x=x,
        y=y,
        width=w,
        height=h,
        fill=fill,
        stroke=COLOURS[j % 4],
    )


def _marker(j: int, x: float, y: float, tip: str) -> SafeString:
    """Circle, square, triangle, diamond: a shape per series, not only a colour."""
    title = _el("title", tip) if tip else ""
    colour, shape = COLOURS[j % 4], j % 4
    if shape == 0:
        return _el("circle", title, class_="chart-point", cx=x, cy=y, r=4, fill=colour)
    if shape == 1:
        return _el(
            "rect", title, class_="chart-point", x=x - 4, y=y - 4, width=8, height=8, fill=colour
        )
    corners = (
        [(x, y - 5), (x + 5, y + 4), (x - 5, y + 4)]
        if shape == 2
        else [(x, y - 5.5), (x + 5.5, y), (x, y + 5.5), (x - 5.5, y)]
    )
    points = " ".join(f"{_n(px)},{_n(py)}" for px, py in corners)
    return _el("polygon", title, class_="chart-point", points=points, fill=colour)


def _no_data(x: float, y: float) -> SafeString:
    return _el(
        "text", NO_DATA, class_="chart-empty", x=x, y=y, text_anchor="middle", font_size=FONT + 2
    )


def _short(label: str) -> str:
    """ "2026-11-23" -> "23 Nov": the year goes on a second line, once per year shown."""
    try:
        d = date.fromisoformat(label)
    except ValueError:
        return label
    return f"{d.day} {MONTHS[d.month - 1]}"
