"""The publication-year chart: bar geometry computed here, drawn as inline SVG by a template."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

WIDTH = 400.0  # SVG units; the picture scales to the page
MAX_SLOT = 40.0  # widest slot of one year (a few years do not make fat blocks)
HEIGHT = 70.0  # tallest bar
AXIS = 14.0  # room under the bars for the year labels
MIN_BAR = 2.0  # a year with one document is still visible
LABEL_ROOM = 36.0  # SVG units a year label needs


@dataclass(frozen=True)
class Bar:
    """One year's bar; a year without documents has count 0 and no link."""

    year: int
    count: int
    x: float
    y: float
    height: float
    selected: bool


@dataclass(frozen=True)
class YearChart:
    """Bars for every year from the first to the last, with labelled ticks."""

    bars: tuple[Bar, ...]
    width: float
    height: float
    bar_width: float
    baseline: float
    ticks: tuple[tuple[float, int], ...]  # (x of the label's centre, year)
    max_count: int


def year_chart(counts: Mapping[int, int], selected: Iterable[int] = (), *, max_years: int = 80) -> YearChart | None:
    """The chart of document counts per year, or None when there is nothing to draw.

    At most ``max_years`` bars (the most recent years) so a stray old date cannot
    squeeze the rest into hairlines.
    """
    years = sorted(year for year, count in counts.items() if count > 0)
    if not years:
        return None
    last = years[-1]
    first = max(years[0], last - max_years + 1)
    chosen = set(selected)
    top = max(counts.get(year, 0) for year in range(first, last + 1)) or 1
    span = last - first + 1
    slot = min(MAX_SLOT, WIDTH / span)
    gap = max(1.0, slot * 0.2)
    bars = []
    for index, year in enumerate(range(first, last + 1)):
        count = counts.get(year, 0)
        height = 0.0 if count == 0 else max(MIN_BAR, HEIGHT * count / top)
        bars.append(Bar(year, count, index * slot + gap / 2, HEIGHT - height, height, year in chosen))
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100) if s * slot >= LABEL_ROOM)
    ticks = tuple(
        (index * slot + slot / 2, year) for index, year in enumerate(range(first, last + 1)) if year % step == 0
    )
    if not ticks:  # fewer years than one step: label the first
        ticks = ((slot / 2, first),)
    return YearChart(tuple(bars), span * slot, HEIGHT + AXIS, slot - gap, HEIGHT, ticks, top)
