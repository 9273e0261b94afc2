"""The trials over time: one row per trial, a bar from its start to its end.

One row each, so trials that ran or finished together never cover one another. A bar with an
objective value is coloured by it (darker is better, as in the parallel coordinates); one
without is coloured by its outcome (Failed, MetricsUnavailable, ...). A running trial's bar
runs to the newest time the trials record and is hatched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from matplotlib import dates as mdates
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hpo_rig.experiment import Objective
from hpo_rig.report.colours import STATE_COLOURS, better_label, objective_colormap
from hpo_rig.report.png import message_figure
from hpo_rig.report.study import VALUED_STATES
from hpo_rig.report.timeaxis import fit_time_axis
from hpo_rig.trials import RUNNING, Trial

MAX_LABELS = 40
# The shortest bar drawn, as a share of the axis: a trial that started and ended in the same
# second (Kubernetes times are whole seconds) is still seen.
MIN_WIDTH = 0.004


def timeline_figure(trials: Sequence[Trial], objective: Objective) -> Figure:
    placed = [t for t in trials if t.started or t.created]
    if not placed:
        return message_figure("timeline", "no trial has a start time yet")
    starts = [_start(t) for t in placed]
    newest = max(t for trial in placed for t in _times(trial))
    ends = [trial.completed or newest for trial in placed]
    figure = Figure(figsize=(9, min(2.5 + 0.18 * len(placed), 12.0)), layout="constrained")
    axes = figure.add_subplot()
    low, high = fit_time_axis(axes, min(starts), max(ends))
    minimum = (high - low) * MIN_WIDTH

    values = [
        t.objective_value(objective) if t.state in (*VALUED_STATES, RUNNING) else None
        for t in placed
    ]
    numbers = [v for v in values if v is not None]
    palette = objective_colormap(objective)
    norm = Normalize(min(numbers, default=0.0), max(numbers, default=1.0))
    colours = [
        palette(norm(value)) if value is not None else STATE_COLOURS.get(trial.state, "black")
        for trial, value in zip(placed, values, strict=True)
    ]
    bars = axes.barh(
        range(len(placed)),
        [_days(max(end - start, minimum)) for start, end in zip(starts, ends, strict=True)],
        left=[mdates.date2num(start) for start in starts],
        height=0.7,
        color=colours,
        edgecolor="0.3",
        linewidth=0.5,
    )
    for bar, trial in zip(bars.patches, placed, strict=True):
        bar.set_gid(trial.name)
        if trial.state == RUNNING:
            bar.set_hatch("//")
    step = math.ceil(len(placed) / MAX_LABELS)
    rows = range(0, len(placed), step)
    axes.set_yticks(list(rows), [placed[i].name for i in rows], fontsize="small")
    axes.set_ylim(len(placed) - 0.5, -0.5)  # the first trial on top
    axes.set_title(f"trials over time ({len(placed)} of {len(trials)} with a start time)")
    outcomes = sorted({t.state for t, v in zip(placed, values, strict=True) if v is None})
    handles = [
        Patch(color=STATE_COLOURS.get(s, "black"), label=f"{s} (no value)") for s in outcomes
    ]
    if any(t.state == RUNNING for t in placed):
        handles.append(Patch(facecolor="white", edgecolor="0.3", hatch="//", label="still running"))
    if handles:
        axes.legend(handles=handles, loc="upper right", fontsize="small")
    if numbers:
        figure.colorbar(
            ScalarMappable(norm, palette),
            ax=axes,
            location="top",
            shrink=0.6,
            aspect=40,
            label=better_label(objective),
        )
    return figure


def _start(trial: Trial) -> datetime:
    start = trial.started or trial.created
    assert start is not None
    return start


def _times(trial: Trial) -> list[datetime]:
    return [t for t in (trial.created, trial.started, trial.completed) if t is not None]


def _days(width: timedelta) -> float:
    # Date axes count in days (matplotlib.dates).
    return width / timedelta(days=1)
