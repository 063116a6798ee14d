"""The side panel's Trends tab: the phase and its timer in one line, then a small chart per
headline indicator over simulated time, each with its current value and unit, its lowest
and highest, and marks where a proposal was adopted or rolled back.

    panel = TrendsPanel(window, trends, game_state)
    window.tabs.add("trends", "Trends", panel)

The chart lines are one vertex buffer (trend_chart.py), rebuilt only when the history, the
marks or the panel's size change; a frame draws them in one call.
"""

from __future__ import annotations

from dataclasses import dataclass

import arcade
import numpy as np

from agora.client import palette
from agora.client.drawing import Column, TextPool, fit_text, set_color
from agora.client.game_state import GameState, clock_text
from agora.client.indicators import KNOWN, describe
from agora.client.trend_chart import Box, ChartLines, Polyline
from agora.client.trends import Marker, Trends, markers
from agora.client.viewport import Area

PAD = 14
LINE_COLOR = palette.ACCENT
PLOT_COLOR: palette.RGBA = (38, 43, 52, 255)
MARK_COLORS: dict[str, palette.RGBA] = {"adopted": palette.WARNING_TEXT, "rolled_back": palette.WORSE_TEXT}
MARK_WORDS = {"adopted": "adopted", "rolled_back": "rolled back"}
LINE_PX = 2.0
MARK_PX = 2.0
CHART_MIN_PX = 64
CHART_MAX_PX = 150
HEAD_PX = 20  # the chart's name and value above its plot
FOOT_PX = 16  # its lowest and highest below
CHART_GAP_PX = 10  # between one chart's lowest and highest and the next chart's name
INSET_PX = 4  # between the plot's edge and the line's extremes


@dataclass(frozen=True)
class Chart:
    """Where a chart was laid out in the last frame, and the values its plot spans."""

    name: str
    plot: Area
    low: float
    high: float
    first_tick: int
    last_tick: int

    def to_px(self, tick: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = self.plot
        span = max(self.last_tick - self.first_tick, 1)
        x = p.left + INSET_PX + (tick - self.first_tick) / span * (p.width - 2 * INSET_PX)
        y = p.bottom + INSET_PX + (value - self.low) / (self.high - self.low) * (p.height - 2 * INSET_PX)
        return x, y


def value_range(values: np.ndarray) -> tuple[float, float]:
    """The plot's lowest and highest value: the data's, with a margin; a flat line sits in
    the middle."""
    lo, hi = float(values.min()), float(values.max())
    margin = (hi - lo) * 0.1 if hi > lo else max(abs(hi) * 0.01, 1e-6)
    return lo - margin, hi + margin


class TrendsPanel:
    def __init__(self, window: arcade.Window, trends: Trends, game: GameState) -> None:
        self.trends = trends
        self.game = game
        self.window = window
        self.lines = ChartLines(window.ctx)
        self.big = TextPool(13, bold=True)
        self.value = TextPool(12, bold=True)
        self.label = TextPool(10)
        self.small = TextPool(9)
        self.para = TextPool(10.5, multiline=True)
        self._pools = (self.big, self.value, self.label, self.small, self.para)
        self.charts: list[Chart] = []
        self.marks: list[Marker] = []
        self._built: object = None  # what the line buffer was last built from
        self.rebuilds = 0

    def click(self, x: float, y: float) -> bool:
        return False

    def draw(self, area: Area, now: float) -> None:
        for pool in self._pools:
            pool.reset()
        col = Column(area.left + PAD, area.bottom + area.height - PAD, area.width - 2 * PAD, area.bottom + PAD)
        self._phase(col, now)
        names = self.trends.names()
        span = self.trends.span()
        if not names or span is None:
            col.wrapped(self.para.take(), "The charts fill in as the simulation runs, a point each tick.",
                        palette.TEXT_DIM)
            self.charts = []
            return
        self._legend(col, span)
        room = col.y - col.bottom
        height = min(max(room / len(names), CHART_MIN_PX), CHART_MAX_PX)
        self.charts = []
        for name in names:
            if col.y - height < col.bottom - 1:
                break
            self._chart(col, name, height, span)
        self.marks = [m for m in markers(self.game.game) if span[0] <= m.tick <= span[1]]
        key = (self.trends.version, area, tuple(self.marks))
        if key != self._built:
            self._build()
            self._built = key
        self.lines.draw(self.window.get_size())

    def _phase(self, col: Column, now: float) -> None:
        clock = self.game.clock(now)
        parts = [clock.title]
        if clock.place:
            parts.append(clock.place)
        if clock.seconds_left is not None:
            parts.append(f"{clock_text(clock.seconds_left)} left" + ("  (paused)" if clock.paused else ""))
        col.line(self.big.take(), "  \u00b7  ".join(parts), gap=8)

    def _legend(self, col: Column, span: tuple[int, int]) -> None:
        arcade.draw_line(col.left, col.y, col.left + col.width, col.y, palette.RULE, 1)
        col.space(6)
        start, end = self.trends.clock_at(span[0]), self.trends.clock_at(span[1])
        label = col.line(self.small.take(), f"Simulated time {start} to {end}", palette.TEXT_DIM, gap=0)
        x = col.left + col.width
        for status in reversed(MARK_COLORS):
            word = self.small.take()
            word.text = MARK_WORDS[status]
            set_color(word, palette.TEXT_DIM)
            x -= word.content_width
            word.position = (x, label.y)
            word.draw()
            x -= 12
            arcade.draw_lbwh_rectangle_filled(x, label.y - 12, MARK_PX, 12, MARK_COLORS[status])
            x -= 14
        col.space(label.content_height + 8)

    def _chart(self, col: Column, name: str, height: float, span: tuple[int, int]) -> None:
        ticks, values = self.trends.series(name)
        top = col.y
        title = self.label.take()
        value = self.value.take()
        value.text = describe(name, float(values[-1]), float(values[-1])).after
        set_color(value, palette.TEXT)
        value.position = (col.left + col.width - value.content_width, top)
        value.draw()
        fit_text(title, KNOWN[name].label if name in KNOWN else name, col.width - value.content_width - 12)
        set_color(title, palette.TEXT_DIM)
        title.position = (col.left, top - 3)
        title.draw()
        plot = Area(col.left, top - height + FOOT_PX + CHART_GAP_PX, col.width,
                    max(height - HEAD_PX - FOOT_PX - CHART_GAP_PX, 12))
        low, high = value_range(values)
        self.charts.append(Chart(name, plot, low, high, span[0], span[1]))
        extremes = describe(name, float(values.min()), float(values.max()))
        foot = self.small.take()
        fit_text(foot, f"lowest {extremes.before}  \u00b7  highest {extremes.after}", col.width)
        set_color(foot, palette.TEXT_DIM)
        foot.position = (col.left, plot.bottom - 1)
        foot.draw()
        col.y = top - height

    def _build(self) -> None:
        """The plots' backgrounds, the marks and the lines, into the one buffer."""
        polylines, boxes = [], []
        for chart in self.charts:
            boxes.append(Box(chart.plot.left, chart.plot.bottom, chart.plot.width, chart.plot.height, PLOT_COLOR))
            for mark in self.marks:
                x, _ = chart.to_px(np.array([mark.tick]), np.array([chart.low]))
                polylines.append(Polyline(np.array([x[0], x[0]]), np.array([chart.plot.bottom, chart.plot.bottom
                                                                             + chart.plot.height]),
                                          MARK_COLORS[mark.status], MARK_PX))
            ticks, values = self.trends.series(chart.name)
            x, y = chart.to_px(ticks, values)
            polylines.append(Polyline(x, y, LINE_COLOR, LINE_PX))
        self.lines.set(polylines, boxes)
        self.rebuilds += 1
