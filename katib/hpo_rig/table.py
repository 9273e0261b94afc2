"""What a table of an experiment's trials holds, and its plain-text form.

``watch`` and ``run`` show the same columns, live (``hpo_rig.live``) or as text; the objective
column holds each trial's value under its metric strategy, the figure ``best`` and ``report``
use, and its header names the strategy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from hpo_rig.experiment import Experiment, Objective
from hpo_rig.trials import Trial, best_trial, metric_strategy


def parameter_names(trials: Sequence[Trial], experiment: Experiment | None) -> list[str]:
    """The Experiment's parameter order, else the order the trials first show them in."""
    if experiment is not None:
        return [p.name for p in experiment.parameters]
    names: dict[str, None] = {}
    for trial in trials:
        names.update(dict.fromkeys(trial.assignments))
    return list(names)


def format_value(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def summary(name: str, trials: Sequence[Trial], objective: Objective, maximum: int | None) -> str:
    states = Counter(trial.state for trial in trials)
    progress = f"{len(trials)}/{maximum}" if maximum else str(len(trials))
    parts = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
    best = best_trial(trials, objective)
    best_text = (
        f"{objective.metric}={format_value(best.objective_value(objective))} ({best.name})"
        if best
        else "none yet"
    )
    return (
        f"experiment {name}: {progress} trials ({parts or 'none'}); "
        f"{objective.type} {objective.metric}; best {best_text}"
    )


def objective_strategy(
    trials: Sequence[Trial], objective: Objective, experiment: Experiment | None = None
) -> str:
    """The strategy the objective column is valued under: the one Katib copied from the
    Experiment into each Trial's ``spec.objective`` (the values are read by it), else the
    Experiment's, else Katib's default."""
    if trials:
        return trials[0].metric_strategy(objective)
    spec = (experiment.raw.get("spec") or {}) if experiment is not None else {}
    return metric_strategy(objective, spec.get("objective"))


def objective_header(
    trials: Sequence[Trial], objective: Objective, experiment: Experiment | None = None
) -> str:
    """The objective column's title, naming its strategy: ``val_accuracy (max)``."""
    return f"{objective.metric} ({objective_strategy(trials, objective, experiment)})"


def trial_rows(
    trials: Sequence[Trial], objective: Objective, experiment: Experiment | None = None
) -> tuple[list[str], list[list[str]]]:
    """The header and one row per trial: trial, state, each parameter, the objective value
    under the trial's metric strategy, the duration."""
    names = parameter_names(trials, experiment)
    header = ["TRIAL", "STATE", *names, objective_header(trials, objective, experiment), "SECONDS"]
    rows = [
        [
            trial.name,
            trial.state,
            *(trial.assignments.get(name, "-") for name in names),
            format_value(trial.objective_value(objective)),
            format_value(trial.duration_s),
        ]
        for trial in trials
    ]
    return header, rows


def trial_table(
    trials: Sequence[Trial], objective: Objective, experiment: Experiment | None = None
) -> str:
    """The rows of ``trial_rows`` as fixed-width text, for logs and pipes."""
    header, rows = trial_rows(trials, objective, experiment)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )
