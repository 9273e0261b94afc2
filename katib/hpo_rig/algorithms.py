"""Katib's algorithm catalogue: which algorithms each API version serves and the settings
each suggestion service accepts (its ``ValidateAlgorithmSettings``), as data.

Sources: kubeflow/katib v0.19.0 ``pkg/suggestion/v1beta1/{hyperopt,optuna,skopt,goptuna,
hyperband,pbt,nas/darts,nas/enas}`` and the katib-config suggestion list
(``manifests/v1beta1/installs/katib-standalone/katib-config.yaml``: cmaes and sobol are served
by goptuna); v1alpha3/v1alpha2 from the 0.8 and 0.6 branches. v1alpha2's settings are Katib
0.6's own (``hpo_rig/settings_v1alpha2.py``); SETTINGS serves v1beta1 and v1alpha3.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from hpo_rig.experiment import V1ALPHA2, V1ALPHA3, V1BETA1

# Algorithms suited to hyperparameter tuning that the templates are tested with.
TUNING_ALGORITHMS: tuple[str, ...] = (
    "random",
    "grid",
    "bayesianoptimization",
    "tpe",
    "multivariate-tpe",
    "cmaes",
    "sobol",
    "hyperband",
)

# Hyperparameter-tuning algorithms each API version's Katib serves.
ALGORITHMS: dict[str, tuple[str, ...]] = {
    V1BETA1: (
        "random",
        "grid",
        "tpe",
        "multivariate-tpe",
        "cmaes",
        "sobol",
        "bayesianoptimization",
        "hyperband",
        "pbt",
    ),
    V1ALPHA3: ("random", "grid", "tpe", "bayesianoptimization", "hyperband"),
    V1ALPHA2: ("random", "grid", "bayesianoptimization", "hyperband"),
}
# Neural-architecture-search algorithms: known to Katib, but not for a parameters search.
NAS_ALGORITHMS: dict[str, tuple[str, ...]] = {
    V1BETA1: ("enas", "darts"),
    V1ALPHA3: ("enas", "nasrl"),
    V1ALPHA2: ("nasrl",),
}


# A check returns None when the value is fine, else what is wrong with it.
SettingCheck = Callable[[str], str | None]


def int_at_least(minimum: int) -> SettingCheck:
    def check(text: str) -> str | None:
        try:
            value = int(text)
        except ValueError:
            return f"must be an integer (got {text!r})"
        return None if value >= minimum else f"must be at least {minimum} (got {value})"

    return check


def float_check(test: Callable[[float], bool], wanted: str) -> SettingCheck:
    def check(text: str) -> str | None:
        try:
            value = float(text)
        except ValueError:
            return f"must be a number (got {text!r})"
        return None if math.isfinite(value) and test(value) else f"must be {wanted} (got {text})"

    return check


def one_of(*choices: str) -> SettingCheck:
    def check(text: str) -> str | None:
        return None if text in choices else f"must be one of {', '.join(choices)} (got {text!r})"

    return check


def go_int(text: str) -> str | None:
    """Go's strconv.Atoi: a sign and decimal digits."""
    ok = text.lstrip("+-").isdigit() and text[:1] != "" and text.count("-") + text.count("+") <= 1
    return None if ok else f"must be an integer for strconv.Atoi (got {text!r})"


RANDOM_STATE = int_at_least(0)
SETTINGS: dict[str, dict[str, SettingCheck]] = {
    "random": {"random_state": RANDOM_STATE},
    "grid": {"random_state": RANDOM_STATE},
    "tpe": {
        "gamma": float_check(lambda v: 0 < v < 1, "in the range (0, 1)"),
        "prior_weight": float_check(lambda v: v > 0, "greater than 0"),
        "n_EI_candidates": int_at_least(1),
        "random_state": RANDOM_STATE,
    },
    "multivariate-tpe": {
        "n_startup_trials": int_at_least(0),
        "n_ei_candidates": int_at_least(0),
        "random_state": RANDOM_STATE,
    },
    # goptuna/converter.go toGoptunaSampler: restart_strategy exactly none, ipop or bipop;
    # random_state through strconv.Atoi.
    "cmaes": {
        "restart_strategy": one_of("none", "ipop", "bipop"),
        "sigma": float_check(lambda v: v >= 0, "at least 0"),
        "random_state": go_int,
    },
    "sobol": {},
    "bayesianoptimization": {
        "base_estimator": one_of("GP", "RF", "ET", "GBRT"),
        "n_initial_points": int_at_least(0),
        "acq_func": one_of("gp_hedge", "LCB", "EI", "PI", "EIps", "PIps"),
        "acq_optimizer": one_of("auto", "sampling", "lbfgs"),
        "random_state": RANDOM_STATE,
    },
    "hyperband": {
        "r_l": float_check(lambda v: v > 0, "greater than 0"),
        # service.py: int(float(eta)); 0 or less means 3; 1 divides by log(1) = 0.
        "eta": float_check(lambda v: int(v) != 1, "other than 1 once truncated to an integer"),
        "resource_name": lambda text: None if text else "must not be empty",
    },
}
# pbt/service.py ValidateAlgorithmSettings. resample_probability is compared as a string with
# numbers there, which raises: Katib refuses any value of it.
SETTINGS["pbt"] = {
    "suggestion_trial_dir": lambda text: None,
    "n_population": int_at_least(5),
    "truncation_threshold": float_check(lambda v: 0 <= v <= 1, "between 0 and 1, inclusive"),
    "resample_probability": lambda text: "Katib's pbt service fails on any value of it",
}
REQUIRED_SETTINGS: dict[str, tuple[str, ...]] = {
    "pbt": ("suggestion_trial_dir", "n_population", "truncation_threshold"),
}
GOPTUNA_ALGORITHMS = ("cmaes", "sobol")
EARLY_STOPPING_SETTINGS: dict[str, dict[str, SettingCheck]] = {
    "medianstop": {"min_trials_required": int_at_least(1), "start_step": int_at_least(1)},
}


def setting_problems(
    schema: dict[str, SettingCheck], owner: str, settings: dict[str, str]
) -> list[tuple[str, str]]:
    """(setting name, problem) for each unknown or invalid setting of ``owner``."""
    problems: list[tuple[str, str]] = []
    for key, value in settings.items():
        if key not in schema:
            problems.append(
                (key, f"unknown setting for {owner} (known: {', '.join(schema) or 'none'})")
            )
        elif problem := schema[key](value):
            problems.append((key, problem))
    return problems
