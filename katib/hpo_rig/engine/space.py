"""Katib parameters as an Optuna search space, and Optuna values as Katib assignments.

The mapping follows Katib's own Optuna suggestion service (``pkg/suggestion/v1beta1/optuna``):
int and double become Int/FloatDistribution (quantised when ``step`` is given, logarithmic
when ``distribution: logUniform``), discrete and categorical become a categorical choice.
Discrete values are offered to Optuna as numbers and written back as the Experiment's own
strings, so ``0.10`` stays ``0.10``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from hpo_rig.experiment import Experiment, Parameter

# Katib's service floors a log-uniform double's lower bound at this value.
LOG_FLOOR = 1e-10


class SearchSpaceError(ValueError):
    """A parameter cannot be turned into a search dimension."""


def _number(parameter: Parameter, field: str, text: str | None) -> Decimal:
    if text is None:
        raise SearchSpaceError(f"parameter {parameter.name!r}: feasibleSpace.{field} is missing")
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise SearchSpaceError(
            f"parameter {parameter.name!r}: feasibleSpace.{field} is not a number ({text!r})"
        ) from error


def _is_log(parameter: Parameter) -> bool:
    distribution = parameter.distribution or "uniform"
    if distribution not in ("uniform", "logUniform"):
        # Katib's Optuna service has no branch for them either; hyperopt's are not Optuna's.
        raise SearchSpaceError(
            f"parameter {parameter.name!r}: distribution {distribution} has no local "
            "equivalent (Optuna samples uniform and logUniform only)"
        )
    return distribution == "logUniform"


def distribution(parameter: Parameter) -> BaseDistribution:
    """The Optuna distribution of one Katib parameter."""
    kind = parameter.type
    if kind == "int":
        low = int(_number(parameter, "min", parameter.min))
        high = int(_number(parameter, "max", parameter.max))
        if _is_log(parameter):
            return IntDistribution(max(1, low), high, log=True)
        step = int(_number(parameter, "step", parameter.step)) if parameter.step else 1
        return IntDistribution(low, high, step=step)
    if kind == "double":
        low_f = float(_number(parameter, "min", parameter.min))
        high_f = float(_number(parameter, "max", parameter.max))
        if _is_log(parameter):
            return FloatDistribution(max(LOG_FLOOR, low_f), high_f, log=True)
        step_f = float(_number(parameter, "step", parameter.step)) if parameter.step else None
        return FloatDistribution(low_f, high_f, step=step_f)
    if kind == "discrete":
        if not parameter.values:
            raise SearchSpaceError(f"parameter {parameter.name!r}: feasibleSpace.list is empty")
        return CategoricalDistribution(
            tuple(float(_number(parameter, "list", v)) for v in parameter.values)
        )
    if kind == "categorical":
        if not parameter.values:
            raise SearchSpaceError(f"parameter {parameter.name!r}: feasibleSpace.list is empty")
        return CategoricalDistribution(parameter.values)
    raise SearchSpaceError(f"parameter {parameter.name!r}: unknown parameterType {kind!r}")


def search_space(experiment: Experiment) -> dict[str, BaseDistribution]:
    return {p.name: distribution(p) for p in experiment.parameters}


def grid(experiment: Experiment) -> dict[str, list[Any]]:
    """Every feasible value per parameter, as Katib's grid algorithm enumerates them.

    Katib needs ``step`` for a double in a grid; an int steps by 1 unless told otherwise.
    """
    values: dict[str, list[Any]] = {}
    for parameter in experiment.parameters:
        if parameter.type in ("discrete", "categorical"):
            space = distribution(parameter)
            assert isinstance(space, CategoricalDistribution)
            values[parameter.name] = list(space.choices)
            continue
        low = _number(parameter, "min", parameter.min)
        high = _number(parameter, "max", parameter.max)
        if parameter.type == "double" and not parameter.step:
            raise SearchSpaceError(
                f"parameter {parameter.name!r}: the grid algorithm needs feasibleSpace.step "
                "for a double"
            )
        step = _number(parameter, "step", parameter.step) if parameter.step else Decimal(1)
        if step <= 0:
            raise SearchSpaceError(f"parameter {parameter.name!r}: step must be positive")
        count = int((high - low) / step) + 1
        points = [low + step * i for i in range(count)]
        values[parameter.name] = (
            [int(p) for p in points] if parameter.type == "int" else [float(p) for p in points]
        )
    return values


def _format_double(parameter: Parameter, value: float) -> str:
    if parameter.step and not _is_log(parameter):
        # Quantised values carry float noise (0.30000000000000004); round to the step's digits.
        exponent = Decimal(parameter.step).normalize().as_tuple().exponent
        digits = max(0, -exponent) if isinstance(exponent, int) else 0
        return f"{value:.{digits}f}"
    return repr(float(value))


def to_assignments(experiment: Experiment, params: Mapping[str, Any]) -> dict[str, str]:
    """Katib ``parameterAssignments`` values (strings) for Optuna's ``params``."""
    assignments: dict[str, str] = {}
    for parameter in experiment.parameters:
        value = params[parameter.name]
        if parameter.type == "int":
            assignments[parameter.name] = str(int(value))
        elif parameter.type == "double":
            assignments[parameter.name] = _format_double(parameter, float(value))
        elif parameter.type == "discrete":
            assignments[parameter.name] = next(
                text for text in parameter.values if math.isclose(float(text), float(value))
            )
        else:
            assignments[parameter.name] = str(value)
    return assignments
