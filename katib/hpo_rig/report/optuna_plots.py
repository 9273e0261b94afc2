"""Optuna's own matplotlib plots (optuna.visualization.matplotlib, Optuna 5.0) of the report's
study, where they draw what the report needs:

- ``plot_optimization_history``: the objective per trial and the best so far (the goal added);
- ``plot_slice``: each parameter against the objective, a log x axis for a log distribution;
- ``plot_parallel_coordinate``: one axis per parameter with its own ticks, categorical labels,
  a log axis for a log distribution, and the colour scale reversed when minimising (darker is
  better either way; the colour bar is relabelled to say so);
- ``plot_param_importances``: Optuna's default evaluator, PED-ANOVA in 5.0
  (optuna/importance/__init__.py), which needs numpy only, not scikit-learn (although
  optuna.importance imports scikit-learn for fANOVA whenever it is installed,
  optuna/importance/_fanova/_fanova.py: about a second and a half the report cannot avoid).

The timeline is the report's own (``timeline.py``): Optuna's ``plot_timeline`` formats every
run's axis as %H:%M:%S, colours by Optuna's states (no MetricsUnavailable, no objective) and
sets zero-width limits when every trial ends in the same second.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib import pyplot
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from optuna.exceptions import ExperimentalWarning
from optuna.visualization import matplotlib as optuna_matplotlib

from hpo_rig.experiment import Objective
from hpo_rig.report.colours import better_label
from hpo_rig.report.png import message_figure
from hpo_rig.report.study import ReportStudy


def history_figure(study: ReportStudy, objective: Objective) -> Figure:
    if study.valued == 0:
        return message_figure("objective", _nothing_yet(objective))
    axes = _draw(optuna_matplotlib.plot_optimization_history, study, objective)
    if objective.goal is not None:
        axes.axhline(objective.goal, linestyle="--", color="tab:purple", label="goal")
        axes.legend(loc="best", fontsize="small")
    axes.set_title(f"{objective.metric} per trial ({objective.type})")
    axes.set_xlabel("trial (in creation order)")
    return _figure(axes)


def slice_figure(study: ReportStudy, objective: Objective) -> Figure:
    if study.valued == 0 or not _parameters(study):
        return message_figure("parameters", _nothing_yet(objective))
    return _figure(_draw(optuna_matplotlib.plot_slice, study, objective))


def parallel_figure(study: ReportStudy, objective: Objective) -> Figure:
    if study.valued == 0 or not _parameters(study):
        return message_figure("parallel coordinates", _nothing_yet(objective))
    axes = _draw(optuna_matplotlib.plot_parallel_coordinate, study, objective)
    figure = _figure(axes)
    for colour_bar in (a for a in figure.axes if a.get_label() == "<colorbar>"):
        colour_bar.set_ylabel(better_label(objective))
    return figure


def importances_figure(study: ReportStudy, objective: Objective) -> Figure:
    title = "parameter importances"
    if not _parameters(study):
        return message_figure(title, "no parameters")
    if study.valued < 2:
        return message_figure(
            title, f"importances need at least 2 trials with a value (have {study.valued})"
        )
    try:
        axes = _draw(optuna_matplotlib.plot_param_importances, study, objective)
    except (ValueError, RuntimeError) as error:
        return message_figure(title, f"Optuna could not evaluate importances: {error}")
    # Optuna titles this plot on the left; replace that title rather than add a second.
    axes.set_title(f"parameter importances for {objective.metric} (PED-ANOVA)", loc="left")
    return _figure(axes)


def _draw(plot: Callable[..., Any], study: ReportStudy, objective: Objective) -> Axes:
    """Optuna's ``plot`` of the study; what Optuna warns of while drawing (e.g. PED-ANOVA's
    "importances will be equal") is written on the plot, not left on stderr."""
    # Optuna's plots call pyplot.style.use("ggplot"), which would restyle every later figure;
    # rc_context puts the settings back. They are marked experimental: not the user's concern;
    # nor is matplotlib widening the limits of an axis with a single value (one trial).
    with warnings.catch_warnings(record=True) as caught, pyplot.rc_context():
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ExperimentalWarning)
        warnings.filterwarnings("ignore", "Attempting to set identical", UserWarning)
        drawn = plot(study.study, target_name=objective.metric)
    axes = drawn if isinstance(drawn, Axes) else np.asarray(drawn).flat[0]
    for row, message in enumerate(dict.fromkeys(str(w.message) for w in caught)):
        axes.text(
            0.02,
            0.02 + 0.07 * row,
            f"Optuna: {message}",
            transform=axes.transAxes,
            fontsize="x-small",
            wrap=True,
            bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0},
        )
    return axes


def _figure(axes: Axes) -> Figure:
    figure = axes.figure
    assert isinstance(figure, Figure)
    return figure


def _parameters(study: ReportStudy) -> bool:
    return any(trial.params for trial in study.study.trials)


def _nothing_yet(objective: Objective) -> str:
    return f"no finished trial has a value of {objective.metric} yet"
