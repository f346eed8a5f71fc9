"""A small server-rendered SVG line chart (no script), with its numbers for a text alternative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 600, 220, 48, 28, 12


@dataclass(frozen=True)
class Chart:
    points: str  # the polyline's "x,y x,y …"
    width: int
    height: int
    y_ticks: list[tuple[float, int]]  # (y position, value)
    x_ticks: list[tuple[float, str]]  # (x position, label)
    first: tuple[date, int] | None
    last: tuple[date, int] | None
    low: int
    high: int


def line_chart(series: list[tuple[date, int]]) -> Chart:
    """Scale ``series`` (oldest first) into a ``WIDTH`` x ``HEIGHT`` drawing."""
    values = [value for _, value in series] or [0]
    high = max(max(values), 1)
    low = 0
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_TOP - PAD_BOTTOM
    count = max(len(series) - 1, 1)

    def x(i: int) -> float:
        return round(PAD_LEFT + plot_w * i / count, 1)

    def y(value: int) -> float:
        return round(PAD_TOP + plot_h * (1 - (value - low) / (high - low)), 1)

    points = " ".join(f"{x(i)},{y(value)}" for i, (_, value) in enumerate(series))
    y_ticks = [(y(value), value) for value in sorted({low, high // 2, high})]
    step = max(len(series) // 3, 1)
    x_ticks = [(x(i), f"{day.day} {day:%b}") for i, (day, _) in enumerate(series) if i % step == 0]
    return Chart(
        points,
        WIDTH,
        HEIGHT,
        y_ticks,
        x_ticks,
        series[0] if series else None,
        series[-1] if series else None,
        min(values),
        max(values),
    )
