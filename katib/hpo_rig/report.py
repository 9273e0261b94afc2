"""Report figures (PNG, matplotlib's Agg canvas) and a self-contained HTML page.

Figures are drawn on ``matplotlib.figure.Figure`` directly, not pyplot, so nothing needs a
display or touches global state.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from matplotlib import colormaps
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from hpo_rig.experiment import Experiment, Objective
from hpo_rig.table import format_value, parameter_names, summary
from hpo_rig.trials import Trial, best_trial

STATE_COLOURS = {
    "Succeeded": "tab:blue",
    "EarlyStopped": "tab:orange",
    "Failed": "tab:red",
    "MetricsUnavailable": "tab:gray",
    "Killed": "tab:brown",
    "Running": "tab:green",
}


@dataclass(frozen=True)
class Scored:
    trial: Trial
    value: float


def scored_trials(trials: Sequence[Trial], objective: Objective) -> list[Scored]:
    """Trials with an objective value, in creation order (running ones included)."""
    return [
        Scored(trial, value)
        for trial in trials
        if (value := trial.objective_value(objective)) is not None
    ]


def objective_png(trials: Sequence[Trial], objective: Objective) -> bytes:
    """The objective of each trial over time with the best-so-far line."""
    figure = Figure(figsize=(9, 4.5), layout="constrained")
    axes = figure.add_subplot()
    scored = scored_trials(trials, objective)
    if not scored:
        _empty(axes, f"no trial has reported {objective.metric} yet")
        return _png(figure)
    times = [float(mdates.date2num(_when(s.trial))) for s in scored]
    order = sorted(range(len(scored)), key=lambda i: times[i])
    for state in sorted({s.trial.state for s in scored}):
        picked = [i for i in order if scored[i].trial.state == state]
        axes.scatter(
            [times[i] for i in picked],
            [scored[i].value for i in picked],
            label=state,
            color=STATE_COLOURS.get(state, "black"),
            zorder=3,
        )
    pick = max if objective.type == "maximize" else min
    best: list[float] = []
    for i in order:
        best.append(scored[i].value if not best else pick(best[-1], scored[i].value))
    axes.step([times[i] for i in order], best, where="post", color="black", label="best so far")
    if objective.goal is not None:
        axes.axhline(objective.goal, linestyle="--", color="tab:purple", label="goal")
    axes.xaxis_date()
    axes.set_xlabel("trial completion time (UTC)")
    axes.set_ylabel(objective.metric)
    axes.set_title(f"{objective.metric} per trial ({objective.type})")
    axes.legend(loc="best", fontsize="small")
    figure.autofmt_xdate()
    return _png(figure)


def parameters_png(
    trials: Sequence[Trial], objective: Objective, experiment: Experiment | None
) -> bytes:
    """One panel per parameter: its value against the objective."""
    names = parameter_names(trials, experiment)
    scored = scored_trials(trials, objective)
    columns = min(3, max(len(names), 1))
    rows = max(1, -(-len(names) // columns))
    figure = Figure(figsize=(4 * columns, 3.2 * rows), layout="constrained")
    if not names or not scored:
        _empty(figure.add_subplot(), "no parameters or no objective values yet")
        return _png(figure)
    for index, name in enumerate(names):
        axes = figure.add_subplot(rows, columns, index + 1)
        positions, labels = _axis_positions([s.trial.assignments.get(name, "") for s in scored])
        axes.scatter(
            positions,
            [s.value for s in scored],
            c=[STATE_COLOURS.get(s.trial.state, "black") for s in scored],
        )
        if labels:
            axes.set_xticks(range(len(labels)), labels, rotation=30, fontsize="small")
        axes.set_xlabel(name)
        axes.set_ylabel(objective.metric)
    return _png(figure)


def parallel_png(
    trials: Sequence[Trial], objective: Objective, experiment: Experiment | None
) -> bytes:
    """Parallel coordinates: each parameter scaled to [0, 1], the objective as the last axis,
    lines coloured by the objective."""
    names = parameter_names(trials, experiment)
    scored = scored_trials(trials, objective)
    figure = Figure(figsize=(max(6.0, 1.8 * (len(names) + 1)), 4.5), layout="constrained")
    axes = figure.add_subplot()
    if not names or not scored:
        _empty(axes, "no parameters or no objective values yet")
        return _png(figure)
    columns: list[list[float]] = []
    ticks: list[str] = []
    for name in names:
        positions, labels = _axis_positions([s.trial.assignments.get(name, "") for s in scored])
        columns.append(_scale(positions))
        ticks.append(name if not labels else f"{name}\n({'/'.join(labels)})")
    values = [s.value for s in scored]
    columns.append(_scale(values))
    ticks.append(objective.metric)
    low, high = min(values), max(values)
    norm = Normalize(vmin=low, vmax=high if high > low else low + 1)
    palette = colormaps["viridis"]
    for row, value in enumerate(values):
        axes.plot(
            range(len(columns)),
            [column[row] for column in columns],
            color=palette(norm(value)),
            alpha=0.8,
        )
    axes.set_xticks(range(len(columns)), ticks, fontsize="small")
    axes.set_yticks([0, 1], ["min", "max"])
    for x in range(len(columns)):
        axes.axvline(x, color="lightgray", zorder=0)
    figure.colorbar(ScalarMappable(norm=norm, cmap=palette), ax=axes, label=objective.metric)
    axes.set_title("parallel coordinates (each axis scaled to its own range)")
    return _png(figure)


def html_page(
    name: str,
    trials: Sequence[Trial],
    objective: Objective,
    experiment: Experiment | None,
    images: Sequence[tuple[str, bytes]],
) -> str:
    """A page with the PNGs inlined as data: URIs and a table of the trials."""
    maximum = experiment.max_trial_count if experiment else None
    names = parameter_names(trials, experiment)
    best = best_trial(trials, objective)
    header = ["trial", "state", *names, objective.metric, "seconds", "message"]
    rows = []
    for trial in trials:
        cells = [
            trial.name,
            trial.state,
            *(trial.assignments.get(n, "") for n in names),
            format_value(trial.objective_value(objective)),
            format_value(trial.duration_s),
            trial.message,
        ]
        marker = ' class="best"' if best is not None and trial.name == best.name else ""
        rows.append(
            f"<tr{marker}>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
        )
    figures = "\n".join(
        f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode("ascii")}"><figcaption>{html.escape(title)}'
        "</figcaption></figure>"
        for title, data in images
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>hpo-rig report: {html.escape(name)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
th {{ background: #eee; }}
tr.best {{ background: #e6f4ea; font-weight: bold; }}
img {{ max-width: 100%; }}
</style>
</head>
<body>
<h1>Experiment {html.escape(name)}</h1>
<p>{html.escape(summary(name, trials, objective, maximum))}</p>
<p>Generated {generated} by hpo-rig.</p>
{figures}
<h2>Trials</h2>
<table>
<thead><tr>{"".join(f"<th>{html.escape(h)}</th>" for h in header)}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""


def _axis_positions(values: Sequence[str]) -> tuple[list[float], list[str]]:
    """Numbers stay numbers; otherwise categories become 0..n-1 with their labels."""
    try:
        return [float(v) for v in values], []
    except ValueError:
        labels = sorted(set(values))
        return [float(labels.index(v)) for v in values], labels


def _scale(values: Sequence[float]) -> list[float]:
    low, high = min(values), max(values)
    if high == low:
        return [0.5 for _ in values]
    return [(v - low) / (high - low) for v in values]


def _when(trial: Trial) -> datetime:
    return trial.completed or trial.started or trial.created or datetime.now(UTC)


def _empty(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center")
    axes.set_axis_off()


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()
