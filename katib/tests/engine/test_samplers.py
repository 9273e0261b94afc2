import optuna
import pytest

from hpo_rig.engine.samplers import AlgorithmError, hyperopt_gamma, make_sampler
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


@pytest.mark.parametrize(
    ("gamma", "n", "below"),
    [
        # hyperopt 0.2.5 tpe.py ap_split_trials: min(ceil(gamma * sqrt(n)), 25), by hand.
        (0.25, 1, 1),  # ceil(0.25)
        (0.25, 16, 1),  # ceil(0.25 * 4) = 1 exactly
        (0.25, 17, 2),  # ceil(1.03)
        (0.25, 100, 3),  # ceil(2.5); Optuna's default split would take 10, ceil(0.25 n) 25
        (0.5, 9, 2),  # ceil(1.5)
        (0.1, 400, 2),  # ceil(2.0)
        (0.75, 50, 6),  # ceil(5.30)
        (0.25, 10000, 25),  # ceil(25.0)
        (0.25, 10001, 25),  # ceil(25.001) = 26, capped at 25
        (0.9, 1000, 25),  # ceil(28.46), capped
    ],
)
def test_the_split_is_hyperopts(gamma, n, below):
    assert hyperopt_gamma(gamma)(n) == below


def test_tpe_without_settings_gets_hyperopts_defaults_and_katibs_startup():
    sampler = sampler_for("tpe").sampler
    assert isinstance(sampler, optuna.samplers.TPESampler)
    assert [sampler._gamma(n) for n in (1, 16, 17, 100, 400)] == [1, 1, 2, 3, 5]
    assert sampler._parzen_estimator_parameters.prior_weight == 1.0
    assert sampler._n_ei_candidates == 24
    # Katib passes n_startup_jobs = the trials it asks for at once: random until one trial
    # has an observation, whatever hyperopt's own default (20) says.
    assert sampler._n_startup_trials == 1
    assert sampler._multivariate is False


def test_tpe_settings_are_mapped():
    choice = sampler_for(
        "tpe", [("n_EI_candidates", "12"), ("gamma", "0.2"), ("prior_weight", "2")]
    )
    sampler = choice.sampler
    assert isinstance(sampler, optuna.samplers.TPESampler)
    assert sampler._parzen_estimator_parameters.prior_weight == 2.0
    assert sampler._n_ei_candidates == 12
    assert sampler._gamma(100) == 2  # ceil(0.2 * 10)
    assert "gamma=min(ceil(0.2 * sqrt(n)), 25)" in choice.description


@pytest.mark.parametrize("name", ["n_startup_trials", "n_ei_candidates", "startup_trials"])
def test_tpe_refuses_settings_katibs_hyperopt_service_does_not_know(name):
    with pytest.raises(AlgorithmError, match=f"unknown setting.*{name}"):
        sampler_for("tpe", [(name, "5")])


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
