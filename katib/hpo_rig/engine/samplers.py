"""Katib algorithm names and settings mapped onto Optuna samplers.

Setting names follow Katib's suggestion services and documentation; the older spellings
Katib's Optuna service accepted (``startup_trials``, ``ei_candidates``) are read as well.
Algorithms that need Katib's multi-fidelity or neural-architecture machinery have no local
equivalent and are refused with a message saying so.
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import optuna

from hpo_rig.engine import space
from hpo_rig.experiment import Experiment

NO_LOCAL_EQUIVALENT: dict[str, str] = {
    "hyperband": "it schedules trials by a resource budget (r_l, eta) that needs Katib's "
    "suggestion service to restart trials with more resources",
    "pbt": "population-based training needs Katib to checkpoint and restart trials",
    "enas": "neural architecture search needs Katib's NAS controller",
    "darts": "neural architecture search needs Katib's NAS controller",
    "nasrl": "neural architecture search needs Katib's NAS controller",
}

_SETTINGS: dict[str, tuple[str, ...]] = {
    "random": ("random_state",),
    "grid": ("random_state",),
    # Katib's hyperopt service knows these four (v0.19.0 pkg/suggestion/v1beta1/hyperopt/
    # service.py, OptimizerConfiguration).
    "tpe": ("gamma", "prior_weight", "n_EI_candidates", "random_state"),
    "multivariate-tpe": (
        "n_startup_trials",
        "startup_trials",
        "n_ei_candidates",
        "n_EI_candidates",
        "ei_candidates",
        "random_state",
    ),
    "cmaes": ("restart_strategy", "sigma", "random_state"),
    "sobol": (),
    "bayesianoptimization": (
        "base_estimator",
        "n_initial_points",
        "acq_func",
        "acq_optimizer",
        "random_state",
    ),
}
ALGORITHMS: tuple[str, ...] = tuple(_SETTINGS)


class AlgorithmError(ValueError):
    """The algorithm or one of its settings cannot run locally."""


@dataclass(frozen=True)
class SamplerChoice:
    sampler: optuna.samplers.BaseSampler
    description: str
    notes: tuple[str, ...] = ()


def _int(settings: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        if name in settings:
            try:
                return int(settings[name])
            except ValueError as error:
                raise AlgorithmError(
                    f"setting {name}: not an integer ({settings[name]!r})"
                ) from error
    return None


def _float(settings: Mapping[str, str], name: str) -> float | None:
    if name not in settings:
        return None
    try:
        return float(settings[name])
    except ValueError as error:
        raise AlgorithmError(f"setting {name}: not a number ({settings[name]!r})") from error


# Katib v0.19.0 runs tpe (and random) on hyperopt (manifests/v1beta1/installs/
# katib-standalone/katib-config.yaml: suggestion-hyperopt), pinned at hyperopt==0.2.5
# (cmd/suggestion/hyperopt/v1beta1/requirements.txt). hyperopt 0.2.5 hyperopt/tpe.py:
# _default_gamma 0.25, _default_prior_weight 1.0, _default_n_EI_candidates 24, and the
# split's cap gamma_cap = DEFAULT_LF = 25. Its linear-forgetting weights are Optuna's
# default_weights, so they need no setting.
HYPEROPT_GAMMA = 0.25
HYPEROPT_PRIOR_WEIGHT = 1.0
HYPEROPT_N_EI_CANDIDATES = 24
HYPEROPT_GAMMA_CAP = 25
# Katib calls tpe.suggest with n_startup_jobs = the number of trials it asks for at once
# (pkg/suggestion/v1beta1/hyperopt/base_service.py getSuggestions), never hyperopt's default
# of 20: the first parallelTrialCount trials are random, and once a trial has an observation
# every later one is TPE's. Optuna counts finished trials, so 1 does the same.
KATIB_TPE_STARTUP_TRIALS = 1


def hyperopt_gamma(fraction: float) -> Callable[[int], int]:
    """hyperopt's split as an Optuna ``gamma``: of ``n`` observed trials, the best
    ``ceil(fraction * sqrt(n))``, at most 25, form the "good" density (hyperopt 0.2.5
    tpe.py ap_split_trials), where Optuna's default takes ``ceil(0.1 * n)``."""

    def gamma(n: int) -> int:
        return min(math.ceil(fraction * math.sqrt(n)), HYPEROPT_GAMMA_CAP)

    return gamma


def seed_of(settings: Mapping[str, str]) -> int | None:
    return _int(settings, "random_state")


def make_sampler(experiment: Experiment, seed: int) -> SamplerChoice:
    """The sampler for the Experiment's algorithm, seeded with ``seed``.

    Optuna's deprecation and experimental warnings are silenced: what a setting does (or no
    longer does) is said in the choice's notes instead.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return _make_sampler(experiment, seed)


def _make_sampler(experiment: Experiment, seed: int) -> SamplerChoice:
    name = experiment.algorithm.name
    settings = experiment.algorithm.settings
    if name in NO_LOCAL_EQUIVALENT:
        raise AlgorithmError(
            f"algorithm {name!r} has no local equivalent: {NO_LOCAL_EQUIVALENT[name]}. "
            f"Run it on the cluster, or use one of: {', '.join(ALGORITHMS)}"
        )
    if name not in _SETTINGS:
        raise AlgorithmError(
            f"unknown algorithm {name!r}; local runs support {', '.join(ALGORITHMS)}"
        )
    unknown = sorted(set(settings) - set(_SETTINGS[name]))
    if unknown:
        raise AlgorithmError(
            f"unknown setting(s) for {name}: {', '.join(unknown)} "
            f"(known: {', '.join(_SETTINGS[name])})"
        )
    n_startup = _int(settings, "n_startup_trials", "startup_trials")
    n_ei = _int(settings, "n_ei_candidates", "n_EI_candidates", "ei_candidates")

    if name == "random":
        return SamplerChoice(
            optuna.samplers.RandomSampler(seed=seed), f"RandomSampler(seed={seed})"
        )
    if name == "grid":
        return SamplerChoice(
            _GridSampler(space.grid(experiment), seed=seed),
            f"GridSampler(seed={seed})",
        )
    if name == "tpe":
        return _hyperopt_tpe(settings, seed)
    if name == "multivariate-tpe":
        # Katib's Optuna service (suggestion-optuna): Optuna's own TPESampler and defaults.
        tpe = optuna.samplers.TPESampler(
            seed=seed,
            multivariate=True,
            n_startup_trials=10 if n_startup is None else n_startup,
            n_ei_candidates=24 if n_ei is None else n_ei,
        )
        shown = [f"seed={seed}", "multivariate=True"]
        shown += [f"n_startup_trials={n_startup}"] if n_startup is not None else []
        shown += [f"n_ei_candidates={n_ei}"] if n_ei is not None else []
        return SamplerChoice(tpe, f"TPESampler({', '.join(shown)})")
    if name == "cmaes":
        _require("cmaes", "cmaes", name)
        restart = settings.get("restart_strategy", "none").lower()
        if restart not in ("none", "ipop", "bipop"):
            raise AlgorithmError(
                f"setting restart_strategy: expected none, ipop or bipop ({restart!r})"
            )
        sigma0 = _float(settings, "sigma")
        notes: list[str] = []
        if restart != "none":
            notes.append(
                f"restart_strategy={restart} is ignored: Optuna's CmaEsSampler dropped "
                "restarts in 4.4 (they moved to OptunaHub)"
            )
        others = [p.name for p in experiment.parameters if p.type not in ("int", "double")]
        if others:
            notes.append(f"CMA-ES searches numbers only: {', '.join(others)} sampled at random")
        return SamplerChoice(
            optuna.samplers.CmaEsSampler(seed=seed, sigma0=sigma0, warn_independent_sampling=False),
            f"CmaEsSampler(seed={seed}, sigma0={sigma0})",
            tuple(notes),
        )
    if name == "sobol":
        _require("scipy", "scipy", name)
        return SamplerChoice(
            optuna.samplers.QMCSampler(
                qmc_type="sobol", seed=seed, warn_asynchronous_seeding=False
            ),
            f"QMCSampler(qmc_type='sobol', seed={seed})",
        )
    return _bayesian(settings, seed)


def _hyperopt_tpe(settings: Mapping[str, str], seed: int) -> SamplerChoice:
    """Optuna's TPESampler set up as Katib runs hyperopt's tpe.suggest: hyperopt's split and
    defaults where the Experiment sets nothing, Katib's number of random start-up trials."""
    fraction = _float(settings, "gamma")
    gamma = HYPEROPT_GAMMA if fraction is None else fraction
    prior_weight = _float(settings, "prior_weight")
    prior_weight = HYPEROPT_PRIOR_WEIGHT if prior_weight is None else prior_weight
    n_ei = _int(settings, "n_EI_candidates")
    n_ei = HYPEROPT_N_EI_CANDIDATES if n_ei is None else n_ei
    tpe = optuna.samplers.TPESampler(
        seed=seed,
        # hyperopt models each parameter on its own; Optuna 5 defaults to the multivariate TPE.
        multivariate=False,
        n_startup_trials=KATIB_TPE_STARTUP_TRIALS,
        n_ei_candidates=n_ei,
        gamma=hyperopt_gamma(gamma),
        prior_weight=prior_weight,
    )
    shown = (
        f"seed={seed}, gamma=min(ceil({gamma:g} * sqrt(n)), {HYPEROPT_GAMMA_CAP}), "
        f"prior_weight={prior_weight:g}, n_ei_candidates={n_ei}, "
        f"n_startup_trials={KATIB_TPE_STARTUP_TRIALS}"
    )
    return SamplerChoice(tpe, f"TPESampler({shown}), as Katib runs hyperopt 0.2.5's tpe")


class _GridSampler(optuna.samplers.GridSampler):
    """Optuna's grid sampler, minus its ``study.stop()`` once the grid is covered: that only
    works inside ``study.optimize``; the engine counts the grid itself."""

    def after_trial(
        self,
        study: optuna.study.Study,
        trial: optuna.trial.FrozenTrial,
        state: optuna.trial.TrialState,
        values: Sequence[float] | None,
    ) -> None:
        return None


def _require(module: str, package: str, algorithm: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise AlgorithmError(
            f"algorithm {algorithm!r} needs the Python package {package!r}: "
            f"pip install {package} into the environment of hpo-rig"
        )


def _bayesian(settings: Mapping[str, str], seed: int) -> SamplerChoice:
    """Katib's bayesianoptimization is scikit-optimize's gp_minimize; Optuna has no copy of it."""
    n_initial = _int(settings, "n_initial_points")
    ignored = [k for k in ("base_estimator", "acq_func", "acq_optimizer") if k in settings]
    notes = ["bayesianoptimization has no exact local equivalent (Katib runs scikit-optimize); "]
    n_startup = 10 if n_initial is None else n_initial
    if all(importlib.util.find_spec(m) is not None for m in ("torch", "scipy")):
        sampler: optuna.samplers.BaseSampler = optuna.samplers.GPSampler(
            seed=seed, n_startup_trials=n_startup
        )
        description = f"GPSampler(seed={seed}, n_startup_trials={n_startup})"
        notes[0] += "using Optuna's Gaussian-process sampler instead"
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup)
        description = f"TPESampler(seed={seed}, n_startup_trials={n_startup})"
        notes[0] += "using TPE instead (Optuna's GPSampler needs torch and scipy, not installed)"
    if ignored:
        notes.append(f"settings without a local meaning, ignored: {', '.join(ignored)}")
    return SamplerChoice(sampler, description, tuple(notes))
