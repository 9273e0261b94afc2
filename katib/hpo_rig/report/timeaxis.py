"""A time axis fitted to the run's actual span.

Left to matplotlib, an axis whose data all fall in one second gets zero-width limits, which it
widens by years (an axis from 2025 to 2029). Here the limits are the run's start and end with a
margin, and the tick unit and label format follow the span: seconds, minutes, hours, days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.ticker import Locator

MAX_TICKS = 8
# Even a run that ends in the second it started gets this much on either side.
MIN_MARGIN = timedelta(seconds=5)


@dataclass(frozen=True)
class Scale:
    up_to: timedelta  # the widest span this scale is used for
    unit: timedelta
    steps: tuple[int, ...]  # tick intervals, in units, from the finest
    fmt: str

    def locator(self, interval: int) -> Locator:
        if self.unit == timedelta(seconds=1):
            return mdates.SecondLocator(interval=interval, tz=UTC)
        if self.unit == timedelta(minutes=1):
            return mdates.MinuteLocator(interval=interval, tz=UTC)
        if self.unit == timedelta(hours=1):
            return mdates.HourLocator(interval=interval, tz=UTC)
        return mdates.DayLocator(interval=interval, tz=UTC)


SCALES = (
    Scale(timedelta(minutes=3), timedelta(seconds=1), (1, 2, 5, 10, 15, 30), "%H:%M:%S"),
    Scale(timedelta(hours=3), timedelta(minutes=1), (1, 2, 5, 10, 15, 30), "%H:%M"),
    Scale(timedelta(days=1), timedelta(hours=1), (1, 2, 3, 4, 6, 12), "%H:%M"),
    Scale(timedelta(days=4), timedelta(hours=1), (1, 2, 3, 4, 6, 12), "%d %b %H:%M"),
    Scale(timedelta.max, timedelta(days=1), (1, 2, 5, 7, 14), "%Y-%m-%d"),
)


def fit_time_axis(axes: Axes, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Set the x axis of ``axes`` to cover start..end; returns the limits it chose."""
    span = max(end - start, timedelta(0))
    margin = max(span * 0.03, MIN_MARGIN)
    low, high = start - margin, end + margin
    scale = next(s for s in SCALES if high - low <= s.up_to)
    units = (high - low) / scale.unit
    interval = next(
        (step for step in scale.steps if units / step <= MAX_TICKS),
        math.ceil(units / MAX_TICKS),
    )
    axes.set_xlim(mdates.date2num(low), mdates.date2num(high))
    axes.xaxis.set_major_locator(scale.locator(interval))
    axes.xaxis.set_major_formatter(mdates.DateFormatter(scale.fmt, tz=UTC))
    first, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    days = f"{first}" if first == last else f"{first} to {last}"
    axes.set_xlabel(f"time (UTC), {days}")
    return low, high
