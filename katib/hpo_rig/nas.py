"""What Katib's neural-architecture-search services check in ``ValidateAlgorithmSettings``.

Sources (kubeflow/katib v0.19.0): ``pkg/suggestion/v1beta1/nas/common/validation.py``
(validate_operations), ``nas/darts/service.py`` (validate_algorithm_settings) and
``nas/enas/service.py`` with ``nas/enas/AlgorithmSettings.py`` (graph config and the settings
table). Each service stops at its first problem; here every problem is listed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

Found = list[tuple[str, str]]

# enas AlgorithmSettings.py algorithmSettingsValidator: (type, low, high); a float must lie in
# (low, high], an int be at least low; None for no upper bound.
ENAS_SETTINGS: dict[str, tuple[type, float, float | None]] = {
    "controller_hidden_size": (int, 1, None),
    "controller_temperature": (float, 0, None),
    "controller_tanh_const": (float, 0, None),
    "controller_entropy_weight": (float, 0.0, None),
    "controller_baseline_decay": (float, 0.0, 1.0),
    "controller_learning_rate": (float, 0.0, 1.0),
    "controller_skip_target": (float, 0.0, 1.0),
    "controller_skip_weight": (float, 0.0, None),
    "controller_train_steps": (int, 1, None),
    "controller_log_every_steps": (int, 1, None),
}
ENAS_NONE_ALLOWED = (
    "controller_temperature",
    "controller_tanh_const",
    "controller_entropy_weight",
    "controller_skip_weight",
)


def _int_at_least(minimum: int, none_ok: bool = False) -> Callable[[str], str | None]:
    def check(text: str) -> str | None:
        if none_ok and text == "None":
            return None
        try:
            ok = int(text) >= minimum
        except ValueError:
            return f"must be an integer (got {text!r})"
        return None if ok else f"must be at least {minimum} (got {text})"

    return check


def _float_at_least_zero(text: str) -> str | None:
    try:
        ok = float(text) >= 0.0
    except ValueError:
        return f"must be a number (got {text!r})"
    return None if ok else f"must be at least 0 (got {text})"


# darts/service.py validate_algorithm_settings; other names are not checked there.
DARTS_SETTINGS: dict[str, Callable[[str], str | None]] = {
    "num_epochs": _int_at_least(1),
    **dict.fromkeys(
        (
            "w_lr",
            "w_lr_min",
            "alpha_lr",
            "w_weight_decay",
            "alpha_weight_decay",
            "w_momentum",
            "w_grad_clip",
        ),
        _float_at_least_zero,
    ),
    "batch_size": _int_at_least(1, none_ok=True),
    "num_workers": _int_at_least(0),
    **dict.fromkeys(
        ("init_channels", "print_step", "num_nodes", "stem_multiplier"), _int_at_least(1)
    ),
}


# validate_operations' words; the webhook has no such check, so the Experiment is created and its
# Suggestion fails with them.
MISSING_PARAMETERS = (
    "must be specified, skip_connection too: Katib's darts and enas services refuse an "
    'operation without them ("Missing ParameterConfigs in Operation"); the webhook admits '
    "the Experiment and its Suggestion fails"
)


def _operations(nas_config: Mapping[str, Any]) -> Found:
    found: Found = []
    for index, operation in enumerate(nas_config.get("operations") or []):
        path = f"spec.nasConfig.operations[{index}]"
        if not isinstance(operation, Mapping):
            continue
        if not operation.get("operationType"):
            found.append((f"{path}.operationType", "must be specified"))
        parameters = operation.get("parameters") or []
        if not parameters:
            # validate_operations has no exception for skip_connection, which darts' search
            # space takes without parameters (so examples/v1beta1/nas/darts-gpu.yaml fails).
            found.append((f"{path}.parameters", MISSING_PARAMETERS))
        for position, parameter in enumerate(parameters):
            where = f"{path}.parameters[{position}]"
            if not isinstance(parameter, Mapping):
                continue
            if not parameter.get("name"):
                found.append((f"{where}.name", "must be specified"))
            kind = parameter.get("parameterType")
            space = parameter.get("feasibleSpace") or {}
            if not kind:
                found.append((f"{where}.parameterType", "must be specified"))
            elif kind in ("categorical", "discrete") and not space.get("list"):
                found.append((f"{where}.feasibleSpace.list", f"must be given for {kind}"))
            elif kind in ("int", "double"):
                if not space.get("min") and not space.get("max"):
                    found.append((f"{where}.feasibleSpace", "min and max must be given"))
                if kind == "double" and not _positive(space.get("step")):
                    found.append((f"{where}.feasibleSpace.step", "must be greater than 0"))
    return found


def _positive(text: Any) -> bool:
    try:
        return bool(text) and float(text) > 0
    except (TypeError, ValueError):
        return False


def _enas_setting(name: str, text: str) -> str | None:
    if name not in ENAS_SETTINGS:
        return f"unknown setting for enas (known: {', '.join(ENAS_SETTINGS)})"
    if name in ENAS_NONE_ALLOWED and text == "None":
        return None
    kind, low, high = ENAS_SETTINGS[name]
    try:
        value = kind(text)
    except ValueError:
        return f"must be of type {kind.__name__} (got {text!r})"
    if kind is float:
        if value <= low or (high is not None and value > high) or math.isnan(value):
            upper = "inf" if high is None else high
            return f"must be in the range ({low}, {upper}] (got {text})"
    elif value < low:
        return f"must be at least {low:g} (got {text})"
    return None


def nas_problems(spec: Mapping[str, Any], algorithm: str, settings: Mapping[str, str]) -> Found:
    """(path, problem) for a darts or enas Experiment."""
    nas_config = spec.get("nasConfig")
    if not isinstance(nas_config, Mapping):
        return []
    found: Found = []
    path = "spec.algorithm.algorithmSettings"
    if algorithm == "enas":
        graph = nas_config.get("graphConfig") or {}
        for key in ("inputSizes", "outputSizes", "numLayers"):
            if not graph.get(key):
                found.append((f"spec.nasConfig.graphConfig.{key}", "must be given for enas"))
    found += _operations(nas_config)
    for name, text in settings.items():
        if algorithm == "enas":
            problem = _enas_setting(name, text)
        else:
            check = DARTS_SETTINGS.get(name)
            problem = check(text) if check else None
        if problem:
            found.append((f"{path}[{name}]", problem))
    return found
