"""Algorithm settings of a kubeflow.org/v1alpha2 Experiment, as Katib 0.6 reads them.

Katib 0.6 (branch ``0.6``, tag v0.6.0-rc.0) names and checks settings its own way, in
``pkg/suggestion/v1alpha2/{random,grid,bayesian,hyperband}_service.py``. The webhook
(``pkg/controller/v1alpha2/experiment/validator/validator.go`` validateAlgorithmSettings) asks
the service's ValidateAlgorithmSettings and refuses on INVALID_ARGUMENT, and on UNKNOWN (an
exception in the service), which it words "Method ValidateAlgorithmSettings not found inside
Suggestion service". Only hyperband implements it (bayesianoptimization's accepts anything;
random and grid answer UNIMPLEMENTED, which is admitted). The services then read the settings
when suggesting: an unknown name is logged and ignored, a bad value falls back to the default
or makes the suggestion fail, so the Experiment never gets trials.

Each finding is (field path, message, warning): a warning where 0.6 admits and runs the
Experiment but ignores the setting, an error where 0.6 refuses it or fails later (said so).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

Finding = tuple[str, str, bool]
SETTINGS = "spec.algorithm.algorithmSettings"
FAILS_LATER = " (Katib admits this; the Experiment fails later)"
# validator.go's words for an exception in ValidateAlgorithmSettings (gRPC UNKNOWN).
NOT_FOUND = "Method ValidateAlgorithmSettings not found inside Suggestion service: hyperband"
# experiment_defaults.go (0.6): DefaultTrialParallelCount.
DEFAULT_PARALLEL = 3

# hyperband_service.py _parse_suggestionParameters: its inputs and its own bookkeeping, which
# it writes back as settings (a user who sets one changes where the search starts).
HYPERBAND_INPUTS = ("r_l", "eta", "resourceName")
HYPERBAND_STATE = ("b_l", "n", "r", "current_s", "current_i", "sMax", "evaluatingTrials")
# grid_service.py: numpy.linspace(min, max, num) per double/int parameter, num from the setting
# named as the parameter, else DefaultGrid (10).
DEFAULT_GRID = 10
# bayesian_service.py parseParameters: name -> default. Several are read but never change
# anything: its mode, model_type and kernel_type checks are inverted.
BAYESIAN_DEFAULTS: dict[str, Any] = {
    "N": 100,
    "model_type": "gp",
    "max_features": "auto",
    "length_scale": 0.5,
    "noise": 0.0005,
    "nu": 1.5,
    "kernel_type": "matern",
    "n_estimators": 50,
    "mode": "pi",
    "trade_off": 0.01,
    "trial_hist": "",
    "burn_in": 10,
}
BAYESIAN_FLOATS = ("length_scale", "noise", "nu", "trade_off")
BAYESIAN_INTS = ("N", "n_estimators", "burn_in")


def setting_problems(
    algorithm: str, settings: Mapping[str, str], spec: Mapping[str, Any]
) -> list[Finding]:
    """Findings for ``algorithm``'s settings; ``spec`` is the Experiment's spec."""
    if algorithm == "hyperband":
        return _hyperband(settings, spec)
    if algorithm == "grid":
        return _grid(settings, spec)
    if algorithm == "bayesianoptimization":
        return _bayesian(settings)
    return [
        (f"{SETTINGS}[{key}]", "Katib 0.6's random service reads no settings: ignored", True)
        for key in settings
    ]


def _unknown(key: str, service: str, known: list[str]) -> Finding:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (
        f"{SETTINGS}[{key}]",
        f"Katib 0.6's {service} service does not know this setting and ignores it{hint} "
        f"(known: {', '.join(known)})",
        True,
    )


def _parameters(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [p for p in spec.get("parameters") or [] if isinstance(p, Mapping)]


def _hyperband(settings: Mapping[str, str], spec: Mapping[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    for key, value in settings.items():
        if key in HYPERBAND_STATE:
            findings.append(_hyperband_state(key, value))
        elif key not in HYPERBAND_INPUTS:
            findings.append(_unknown(key, "hyperband", [*HYPERBAND_INPUTS, *HYPERBAND_STATE]))
    # ValidateAlgorithmSettings, in its order; it stops at the first problem.
    if "r_l" not in settings or "resourceName" not in settings:
        missing = "r_l" if "r_l" not in settings else "resourceName"
        findings.append((f"{SETTINGS}[{missing}]", "r_l and resourceName must be set.", False))
        return findings
    try:
        r_l = float(settings["r_l"])
    except ValueError:
        r_l = -1.0
    if r_l < 0:
        findings.append((f"{SETTINGS}[r_l]", "r_l must be a positive float number.", False))
        return findings
    try:
        eta = int(float(settings.get("eta", "3")))
        eta = 3 if eta <= 0 else eta
        s_max = int(math.log(r_l) / math.log(eta))
        needed = math.ceil(eta**s_max)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        # math.log(0), eta 1 (log 1 = 0), a non-number, nan or inf: the service raises.
        key = "r_l" if r_l == 0 or not math.isfinite(r_l) else "eta"
        findings.append(
            (
                f"{SETTINGS}[{key}]",
                f"Katib 0.6's hyperband service raises {type(error).__name__} on it "
                f"(r_l={settings['r_l']!r}, eta={settings.get('eta', '3')!r}) and the webhook "
                f"refuses the Experiment: {NOT_FOUND}",
                False,
            )
        )
        return findings
    parallel = spec.get("parallelTrialCount", DEFAULT_PARALLEL)
    if isinstance(parallel, int) and parallel < needed:
        findings.append(
            (
                "spec.parallelTrialCount",
                f"parallelTrialCount must be not less than {needed}.",
                False,
            )
        )
        return findings
    names = {str(p.get("name")) for p in _parameters(spec)}
    if settings["resourceName"] not in names:
        findings.append(
            (
                f"{SETTINGS}[resourceName]",
                f"value of resourceName setting must be in parameters. (got "
                f"{settings['resourceName']!r}; a v1alpha2 parameter is named as its flag, "
                "e.g. --num-epochs)",
                False,
            )
        )
    return findings


def _hyperband_state(key: str, value: str) -> Finding:
    try:
        float(value)
    except ValueError:
        return (
            f"{SETTINGS}[{key}]",
            f"must be a number: Katib 0.6's hyperband service reads it with float(){FAILS_LATER}",
            False,
        )
    return (
        f"{SETTINGS}[{key}]",
        "is Katib 0.6 hyperband's own bookkeeping, which it writes back after each bracket: "
        "setting it changes where the search starts",
        True,
    )


def _grid(settings: Mapping[str, str], spec: Mapping[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    parameters = _parameters(spec)
    sized = [str(p.get("name")) for p in parameters if p.get("parameterType") in ("double", "int")]
    listed = [str(p.get("name")) for p in parameters if str(p.get("name")) not in sized]
    sizes: dict[str, int] = {}
    for key, value in settings.items():
        if key in listed:
            findings.append(
                (
                    f"{SETTINGS}[{key}]",
                    "Katib 0.6's grid service takes every value of the list of a "
                    "categorical or discrete parameter: ignored",
                    True,
                )
            )
        elif key not in sized and key != "DefaultGrid":
            findings.append(_unknown(key, "grid", ["DefaultGrid", *sized]))
        else:
            # linspace(num=<the setting's string>): numpy before 1.18 (0.6's images, built in
            # 2019 from an unpinned numpy>=1.13.3) falls back to int() on it.
            try:
                sizes[key] = int(value)
            except ValueError:
                sizes[key] = 0
            if sizes[key] < 1:
                findings.append(
                    (
                        f"{SETTINGS}[{key}]",
                        f"must be a whole number of grid points, at least 1 (got {value!r})"
                        f"{FAILS_LATER}",
                        False,
                    )
                )
    combinations = 1
    for parameter in parameters:
        name = str(parameter.get("name"))
        if name in sized:
            combinations *= sizes.get(name, sizes.get("DefaultGrid", DEFAULT_GRID))
        else:
            space = parameter.get("feasibleSpace")
            values = space.get("list") if isinstance(space, Mapping) else None
            combinations *= len(values) if isinstance(values, list) else 1
    maximum = spec.get("maxTrialCount")
    if isinstance(maximum, int) and 0 < combinations < maximum:
        findings.append(
            (
                "spec.maxTrialCount",
                f"exceeds the {combinations} combinations of the grid (got {maximum}): Katib "
                "0.6's grid service then suggests combinations it already tried",
                True,
            )
        )
    return findings


def _bayesian(settings: Mapping[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    for key, value in settings.items():
        path = f"{SETTINGS}[{key}]"
        default = BAYESIAN_DEFAULTS.get(key)
        if key not in BAYESIAN_DEFAULTS:
            findings.append(_unknown(key, "bayesianoptimization", list(BAYESIAN_DEFAULTS)))
        elif key in BAYESIAN_FLOATS + BAYESIAN_INTS and not _parses(
            value, float if key in BAYESIAN_FLOATS else int
        ):
            findings.append((path, f"is not a number: Katib 0.6 keeps the default {default}", True))
        elif key == "kernel_type" and value not in ("rbf", "matern"):
            findings.append(
                (
                    path,
                    "must be rbf or matern: Katib 0.6 passes any other value to its Gaussian "
                    f"process, which raises{FAILS_LATER}",
                    False,
                )
            )
        elif key in ("kernel_type", "mode", "model_type") and value != default:
            # parseParameters only assigns values outside the valid ones (inverted checks).
            findings.append(
                (path, f"Katib 0.6 never changes {key}: it keeps {default!r}, ignoring this", True)
            )
        elif key == "max_features":
            findings.append(
                (path, "only the rf model uses it, and Katib 0.6 always uses gp: ignored", True)
            )
        elif key == "trial_hist":
            findings.append((path, "Katib 0.6 reads it but nothing uses it: ignored", True))
    return findings


def _parses(value: str, kind: type) -> bool:
    try:
        kind(value)
    except ValueError:
        return False
    return True
