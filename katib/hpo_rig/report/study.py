"""Katib trials as an in-memory Optuna study, so that Optuna's plots can draw them.

Each parameter gets the Optuna distribution its Katib ``feasibleSpace`` describes (the bounds
widened to the values the trials really got, so that every trial fits); without the Experiment
the distributions are inferred from the values and the report says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import TrialState

from hpo_rig.experiment import Experiment, Objective, Parameter
from hpo_rig.table import parameter_names
from hpo_rig.trials import (
    CREATED,
    EARLY_STOPPED,
    KILLED,
    PENDING,
    RUNNING,
    SUCCEEDED,
    Trial,
)

# Sampled on a log scale by Katib v0.19.0 (pkg/apis/controller/experiments/v1beta1/
# experiment_types.go names them; pkg/suggestion/v1beta1/hyperopt/base_service.py samples
# logUniform with hp.loguniform and logNormal with hp.lognormal, both e ** x).
LOG_DISTRIBUTIONS = ("logUniform", "logNormal")
# Trials whose objective value Optuna's plots show (as COMPLETE trials). Failed and
# MetricsUnavailable trials are in the timeline and the table, never among the values; a
# Running trial joins them when it finishes (the timeline shows its value so far).
VALUED_STATES = (SUCCEEDED, EARLY_STOPPED, KILLED)


@dataclass(frozen=True)
class ReportStudy:
    study: optuna.Study
    notes: tuple[str, ...]

    @property
    def valued(self) -> int:
        return sum(1 for trial in self.study.trials if trial.state == TrialState.COMPLETE)


def build_study(
    trials: Sequence[Trial], objective: Objective, experiment: Experiment | None
) -> ReportStudy:
    # Optuna logs "A new study created in memory" at INFO; a report has no use for it.
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    names = parameter_names(trials, experiment)
    notes: list[str] = []
    if experiment is None and names:
        notes.append(
            "no Experiment given (--experiment FILE), so the parameters' distributions unknown: "
            "every numeric axis is linear, a logUniform parameter included"
        )
    spaces: dict[str, BaseDistribution] = {}
    for name in names:
        parameter = experiment.parameter(name) if experiment is not None else None
        values = [trial.assignments[name] for trial in trials if name in trial.assignments]
        space, note = _distribution(name, parameter, values)
        spaces[name] = space
        if note:
            notes.append(note)
    study = optuna.create_study(
        study_name=experiment.name if experiment else None,
        direction="maximize" if objective.type == "maximize" else "minimize",
    )
    for trial in trials:
        study.add_trial(_frozen(trial, objective, spaces))
    return ReportStudy(study, tuple(notes))


def _frozen(
    trial: Trial, objective: Objective, spaces: dict[str, BaseDistribution]
) -> optuna.trial.FrozenTrial:
    params: dict[str, Any] = {}
    for name, text in trial.assignments.items():
        space = spaces.get(name)
        converted = _value(space, text) if space is not None else None
        if converted is not None:
            params[name] = converted
    value = trial.objective_value(objective)
    if trial.state in VALUED_STATES and value is not None:
        state, number = TrialState.COMPLETE, value
    else:
        state, number = _STATES.get(trial.state, TrialState.FAIL), None
    return optuna.trial.create_trial(
        state=state,
        value=number,
        params=params,
        distributions={name: spaces[name] for name in params},
        user_attrs={"katib_name": trial.name, "katib_state": trial.state},
    )


_STATES = {RUNNING: TrialState.RUNNING, CREATED: TrialState.WAITING, PENDING: TrialState.WAITING}


def _distribution(
    name: str, parameter: Parameter | None, values: Sequence[str]
) -> tuple[BaseDistribution, str]:
    """The parameter's distribution and a note when it cannot be drawn as declared."""
    numbers = _numbers(values)
    if parameter is not None and parameter.type in ("discrete", "categorical"):
        declared = list(parameter.values)
        choices = declared + [v for v in dict.fromkeys(values) if v not in declared]
        if parameter.type == "discrete" and _numbers(choices) is not None:
            return CategoricalDistribution(sorted({float(c) for c in choices})), ""
        return CategoricalDistribution(choices), ""
    if numbers is None:
        return CategoricalDistribution(sorted(set(values))), ""
    declared = [b for b in (parameter.min, parameter.max) if b is not None] if parameter else []
    bounds = numbers + (_numbers(declared) or [])
    if parameter is not None:
        integer = parameter.type == "int"
    else:
        integer = all(n.is_integer() for n in numbers)
    log = parameter is not None and parameter.distribution in LOG_DISTRIBUTIONS
    note = ""
    if log and numbers and min(numbers) <= 0:
        log, note = False, f"{name}: drawn on a linear axis, as some of its values are not positive"
    if log:
        bounds = [b for b in bounds if b > 0]
    low, high = (min(bounds), max(bounds)) if bounds else (1.0, 2.0)
    if integer:
        # Optuna refuses a log IntDistribution below 1 (optuna/distributions.py).
        low_int = max(1, math.floor(low)) if log else math.floor(low)
        return IntDistribution(low_int, max(low_int, math.ceil(high)), log=log), note
    return FloatDistribution(low, high, log=log), note


def _numbers(values: Sequence[str]) -> list[float] | None:
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        return None
    return numbers if all(math.isfinite(n) for n in numbers) else None


def _value(space: BaseDistribution, text: str) -> Any:
    """The Optuna parameter value of one Katib assignment (a string); None if it does not fit."""
    try:
        if isinstance(space, IntDistribution):
            return int(float(text))
        if isinstance(space, FloatDistribution):
            return float(text)
    except ValueError:
        return None
    if isinstance(space, CategoricalDistribution):
        if text in space.choices:
            return text
        number = _numbers([text])
        return number[0] if number and number[0] in space.choices else None
    return None
