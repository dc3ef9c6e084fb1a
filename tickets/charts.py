"""Bar charts as SVG geometry for server-rendered pages: pure arithmetic, no drawing library and no script.

A chart is rectangles, grid lines and text positions in a fixed coordinate space (the SVG's viewBox, scaled by CSS);
the template `admin/tickets/_chart.html` draws them, and each rectangle's `series` picks its colour class.
"""

import math
from dataclasses import dataclass, field

WIDTH = 760
LEFT = 190  # room for row labels (queue and policy names)
RIGHT = 48  # room for the value after the longest bar
TOP = 6
AXIS = 22  # room for the scale under the plot
LABEL_CHARACTERS = 26
COLOURS = 8  # colour classes desk-s0 … desk-s7 in static/tickets-admin/dashboard.css; more series reuse them


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "end"
    kind: str = "label"  # label (names), value (numbers by the bars), scale (axis numbers)


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass
class Chart:
    width: int
    height: int
    rects: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    grid: list = field(default_factory=list)
    legend: list = field(default_factory=list)  # (colour, series name)

    @property
    def empty(self):
        return not self.rects

    def bar(self, x, y, width, height, series, title):
        self.rects.append(Rect(round(x, 1), round(y, 1), round(width, 1), round(height, 1), series % COLOURS, title))


def nice_step(maximum, ticks=5):
    """A whole round step (1, 2 or 5 times a power of ten) dividing 0..maximum into about `ticks` parts."""
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(n * power for n in (1, 2, 5, 10) if n * power >= raw)
    return max(1, round(step))  # counts: whole steps


def scale(maximum):
    """The axis top and its step: a whole number of steps at or above `maximum` (at least 1)."""
    step = nice_step(maximum)
    top = max(step, math.ceil(maximum / step) * step)
    return top, step


def short(text):
    return text if len(text) <= LABEL_CHARACTERS else text[: LABEL_CHARACTERS - 1] + "…"


def number(value):
    return f"{value:g}" if isinstance(value, float) and value != int(value) else f"{int(value)}"


def _chart(height, series):
    return Chart(WIDTH, height, legend=[(n % COLOURS, name) for n, name in enumerate(series)])


def _vertical_grid(chart, top, step, plot_top, plot_bottom, suffix=""):
    plot_width = chart.width - LEFT - RIGHT
    ticks = int(round(top / step))
    for n in range(ticks + 1):
        x = round(LEFT + plot_width * n * step / top, 1)
        chart.grid.append(Line(x, plot_top, x, plot_bottom))
        chart.texts.append(Text(x, plot_bottom + 15, number(n * step) + suffix, anchor="middle", kind="scale"))


def stacked_rows(rows, series):
    """Horizontal bars, one per row, stacked by series: rows are (label, [value per series]); the total at the end."""
    band, bar = 28, 18
    chart = _chart(TOP + band * max(len(rows), 1) + AXIS, series)
    top, step = scale(max((sum(values) for _label, values in rows), default=0))
    plot_width, bottom = WIDTH - LEFT - RIGHT, TOP + band * max(len(rows), 1)
    _vertical_grid(chart, top, step, TOP, bottom)
    for n, (label, values) in enumerate(rows):
        y = TOP + n * band + (band - bar) / 2
        x = LEFT
        for index, (name, value) in enumerate(zip(series, values, strict=True)):
            if value:
                width = plot_width * value / top
                chart.bar(x, y, width, bar, index, f"{label}: {name} {value}")
                x += width
        chart.texts.append(Text(LEFT - 8, y + bar / 2 + 4, short(label)))
        chart.texts.append(Text(round(x + 5, 1), y + bar / 2 + 4, number(sum(values)), anchor="start", kind="value"))
    return chart


def grouped_percent_rows(rows, series):
    """Horizontal bars on a 0–100 % scale, one per series within each row: rows are (label, [percent or None])."""
    bar = 9
    band = bar * len(series) + 12
    bottom = TOP + band * max(len(rows), 1)
    chart = _chart(bottom + AXIS, series)
    plot_width = WIDTH - LEFT - RIGHT
    _vertical_grid(chart, 100, 20, TOP, bottom, suffix="%")
    for n, (label, values) in enumerate(rows):
        y0 = TOP + n * band + 6
        for index, (name, value) in enumerate(zip(series, values, strict=True)):
            if value is None:
                continue
            y = y0 + index * bar
            width = round(plot_width * value / 100, 1)
            text = f"{value:.0f}%"
            chart.bar(LEFT, y, max(width, 1), bar - 2, index, f"{label}: {name} {value:.1f}%")
            chart.texts.append(Text(round(LEFT + width + 4, 1), y + bar - 2.5, text, anchor="start", kind="value"))
        chart.texts.append(Text(LEFT - 8, y0 + (band - 12) / 2 + 4, short(label)))
    return chart


def stacked_columns(columns, series, *, labels=10):
    """Vertical bars, one per column (a day), stacked by series: columns are (label, [value per series]).

    At most about `labels` column labels are written under the axis, evenly spaced.
    """
    left, right, plot_height = 40, 10, 180
    chart = _chart(TOP + plot_height + AXIS, series)
    bottom = TOP + plot_height
    top, step = scale(max((sum(values) for _label, values in columns), default=0))
    plot_width = WIDTH - left - right
    slot = plot_width / max(len(columns), 1)
    for n in range(int(round(top / step)) + 1):
        y = round(bottom - plot_height * n * step / top, 1)
        chart.grid.append(Line(left, y, WIDTH - right, y))
        chart.texts.append(Text(left - 6, y + 4, number(n * step), kind="scale"))
    every = max(1, math.ceil(len(columns) / labels))
    for n, (label, values) in enumerate(columns):
        x = round(left + n * slot + slot * 0.15, 1)
        width = round(max(slot * 0.7, 1), 1)
        y = bottom
        for index, (name, value) in enumerate(zip(series, values, strict=True)):
            if value:
                height = plot_height * value / top
                y -= height
                chart.bar(x, y, width, height, index, f"{label}: {name} {value}")
        if n % every == 0:
            chart.texts.append(Text(round(x + width / 2, 1), bottom + 15, label, anchor="middle", kind="scale"))
    return chart
