import optuna
import pytest

from hpo_rig.engine.samplers import AlgorithmError, make_sampler
from hpo_rig.experiment import load_experiment

from .conftest import experiment_document


def sampler_for(name, settings=(), parameters=None):
    spec = {
        "algorithm": {
            "algorithmName": name,
            "algorithmSettings": [{"name": k, "value": v} for k, v in settings],
        }
    }
    if parameters is not None:
        spec["parameters"] = parameters
    return make_sampler(load_experiment(experiment_document(**spec)), seed=5)


def test_random_uses_the_seed():
    choice = sampler_for("random", [("random_state", "3")])
    assert isinstance(choice.sampler, optuna.samplers.RandomSampler)
    assert "seed=5" in choice.description


def test_tpe_settings_are_mapped():
    choice = sampler_for(
        "tpe", [("n_EI_candidates", "12"), ("gamma", "0.2"), ("prior_weight", "2")]
    )
    sampler = choice.sampler
    assert isinstance(sampler, optuna.samplers.TPESampler)
    assert sampler._parzen_estimator_parameters.prior_weight == 2.0
    assert sampler._n_ei_candidates == 12
    assert sampler._gamma(100) == 20


def test_multivariate_tpe():
    choice = sampler_for("multivariate-tpe", [("n_startup_trials", "4")])
    assert choice.sampler._multivariate is True
    assert choice.sampler._n_startup_trials == 4


def test_grid_covers_the_feasible_space():
    choice = sampler_for(
        "grid",
        parameters=[
            {
                "name": "lr",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.1", "max": "0.2", "step": "0.1"},
            },
            {"name": "layers", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "3"}},
        ],
    )
    assert isinstance(choice.sampler, optuna.samplers.GridSampler)
    assert len(choice.sampler._all_grids) == 6


def test_cmaes_and_sobol():
    cma = sampler_for("cmaes", [("sigma", "0.5"), ("restart_strategy", "ipop")])
    assert isinstance(cma.sampler, optuna.samplers.CmaEsSampler)
    sobol = sampler_for("sobol")
    assert isinstance(sobol.sampler, optuna.samplers.QMCSampler)


def test_bayesianoptimization_says_what_it_uses_instead():
    choice = sampler_for(
        "bayesianoptimization", [("n_initial_points", "3"), ("acq_func", "gp_hedge")]
    )
    assert "no exact local equivalent" in choice.notes[0]
    assert any("acq_func" in note for note in choice.notes)


@pytest.mark.parametrize("name", ["hyperband", "enas", "darts", "pbt"])
def test_algorithms_without_a_local_equivalent(name):
    with pytest.raises(AlgorithmError, match="no local equivalent"):
        sampler_for(name)


def test_unknown_setting_is_refused():
    with pytest.raises(AlgorithmError, match="unknown setting"):
        sampler_for("random", [("n_startup_trials", "3")])
