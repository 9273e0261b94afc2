import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from hpo_rig.engine import space
from hpo_rig.experiment import load_experiment

from .conftest import experiment_document


def experiment(parameters):
    return load_experiment(experiment_document(parameters=parameters))


def test_distributions_follow_katib_optuna_service():
    exp = experiment(
        [
            {
                "name": "lr",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.0001", "max": "0.1", "distribution": "logUniform"},
            },
            {
                "name": "drop",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.1", "max": "0.5", "step": "0.1"},
            },
            {
                "name": "units",
                "parameterType": "int",
                "feasibleSpace": {"min": "16", "max": "64", "step": "16"},
            },
            {
                "name": "batch",
                "parameterType": "discrete",
                "feasibleSpace": {"list": ["16", "32.0"]},
            },
            {
                "name": "opt",
                "parameterType": "categorical",
                "feasibleSpace": {"list": ["sgd", "adam"]},
            },
        ]
    )
    dists = space.search_space(exp)
    assert dists["lr"] == FloatDistribution(0.0001, 0.1, log=True)
    assert dists["drop"] == FloatDistribution(0.1, 0.5, step=0.1)
    assert dists["units"] == IntDistribution(16, 64, step=16)
    assert dists["batch"] == CategoricalDistribution((16.0, 32.0))
    assert dists["opt"] == CategoricalDistribution(("sgd", "adam"))


def test_assignments_keep_the_experiments_strings():
    exp = experiment(
        [
            {
                "name": "drop",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.1", "max": "0.5", "step": "0.1"},
            },
            {
                "name": "batch",
                "parameterType": "discrete",
                "feasibleSpace": {"list": ["16", "32.0"]},
            },
            {"name": "units", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "9"}},
        ]
    )
    assignments = space.to_assignments(
        exp, {"drop": 0.30000000000000004, "batch": 32.0, "units": 4}
    )
    assert assignments == {"drop": "0.3", "batch": "32.0", "units": "4"}


def test_grid_enumerates_steps_inclusively():
    exp = experiment(
        [
            {
                "name": "drop",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.1", "max": "0.3", "step": "0.1"},
            },
            {"name": "units", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "3"}},
        ]
    )
    assert space.grid(exp) == {"drop": [0.1, 0.2, 0.3], "units": [1, 2, 3]}


def test_grid_needs_a_step_for_doubles():
    exp = experiment(
        [{"name": "drop", "parameterType": "double", "feasibleSpace": {"min": "0.1", "max": "0.3"}}]
    )
    with pytest.raises(space.SearchSpaceError, match=r"needs feasibleSpace\.step"):
        space.grid(exp)


def test_unknown_type_is_refused():
    exp = experiment([{"name": "x", "parameterType": "complex", "feasibleSpace": {"list": ["1"]}}])
    with pytest.raises(space.SearchSpaceError, match="unknown parameterType"):
        space.search_space(exp)
