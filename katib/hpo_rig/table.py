"""Plain-text views of an experiment's trials (used by `watch`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from hpo_rig.experiment import Experiment, Objective
from hpo_rig.trials import Trial, best_trial


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


def trial_table(
    trials: Sequence[Trial], objective: Objective, experiment: Experiment | None = None
) -> str:
    """A fixed-width table: trial, state, each parameter, the objective, the duration."""
    names = parameter_names(trials, experiment)
    header = ["TRIAL", "STATE", *names, objective.metric, "SECONDS"]
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
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )
