"""What a colour means in the report: the objective's "better" end, and a trial's outcome."""

from __future__ import annotations

from matplotlib import colormaps
from matplotlib.colors import Colormap

from hpo_rig.experiment import Objective
from hpo_rig.trials import (
    CREATED,
    EARLY_STOPPED,
    FAILED,
    KILLED,
    METRICS_UNAVAILABLE,
    PENDING,
    RUNNING,
    SUCCEEDED,
)

# For trials drawn by outcome (no objective value to colour them by).
STATE_COLOURS = {
    SUCCEEDED: "tab:blue",
    EARLY_STOPPED: "tab:orange",
    FAILED: "tab:red",
    METRICS_UNAVAILABLE: "tab:gray",
    KILLED: "tab:brown",
    RUNNING: "tab:green",
    CREATED: "tab:olive",
    PENDING: "tab:olive",
}


def objective_colormap(objective: Objective) -> Colormap:
    """Darker is better in both directions: Blues when maximising, Blues reversed when
    minimising, as Optuna's own plots choose it (optuna/visualization/_utils.py
    ``_is_reverse_scale``: reversed when the study minimises), so the report's own figures and
    Optuna's parallel coordinates agree."""
    return colormaps["Blues" if objective.type == "maximize" else "Blues_r"]


def better_label(objective: Objective) -> str:
    """The colour bar's label, saying which end is better."""
    direction = "higher" if objective.type == "maximize" else "lower"
    return f"{objective.metric} ({direction} is better: darker)"
