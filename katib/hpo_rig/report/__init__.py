"""`hpo-rig report`: figures of an experiment's trials and a self-contained HTML page.

One job per module: ``study`` (the trials as an in-memory Optuna study, with the Experiment's
distributions), ``optuna_plots`` (Optuna's own matplotlib plots where they draw what is
asked), ``timeline`` and ``timeaxis`` (the trials over time), ``colours`` (what the colours
mean), ``png`` and ``page`` (the files). matplotlib and Optuna are imported only here, by the
``report`` command, never when ``hpo_rig`` is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

# Optuna draws with pyplot: keep pyplot off any GUI backend (nothing is shown, no display is
# needed), before any module of the report imports it.
matplotlib.use("agg")

from matplotlib.figure import Figure

from hpo_rig.experiment import Experiment, Objective
from hpo_rig.report.optuna_plots import (
    history_figure,
    importances_figure,
    parallel_figure,
    slice_figure,
)
from hpo_rig.report.study import build_study
from hpo_rig.report.timeline import timeline_figure
from hpo_rig.trials import Trial


@dataclass(frozen=True)
class Image:
    slug: str  # the file is NAME-<slug>.png
    title: str
    figure: Figure


@dataclass(frozen=True)
class Report:
    images: tuple[Image, ...]
    notes: tuple[str, ...]  # what the reader should know about how it was drawn

    def figure(self, slug: str) -> Figure:
        return next(image.figure for image in self.images if image.slug == slug)


def draw_report(
    trials: Sequence[Trial], objective: Objective, experiment: Experiment | None
) -> Report:
    """Every figure of the report, drawn (not yet saved)."""
    study = build_study(trials, objective, experiment)
    images = (
        Image("objective", "objective per trial and best so far", history_figure(study, objective)),
        Image("parameters", "each parameter against the objective", slice_figure(study, objective)),
        Image("parallel", "parallel coordinates", parallel_figure(study, objective)),
        Image("importances", "parameter importances", importances_figure(study, objective)),
        Image("timeline", "timeline of the trials", timeline_figure(trials, objective)),
    )
    return Report(images, study.notes)
