"""The original recipe's experiment, with only image and command swapped for the rig's trainer:
it validates for the cluster, runs here through the process runner on digits, and the rig's
v1alpha3 template renders an equivalent Experiment."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hpo_rig.experiment import load_experiment
from hpo_rig.render import render_experiment
from hpo_rig.trials import load_trials
from hpo_rig.validate import validate_file

from .test_example import trainer_installed

RECIPE = Path(__file__).parents[1] / "fixtures" / "recipe" / "random-experiment-v1alpha3.yaml"

# The same Experiment as values for the rig's templates (`hpo-rig render`).
RECIPE_VALUES: dict[str, Any] = {
    "name": "random-experiment",
    "namespace": "kubeflow",
    "api_version": "v1alpha3",
    "profile": "seed",
    "algorithm": "random",
    "objective": {
        "type": "minimize",
        "metric": "mean_absolute_error",
        "goal": 0.01,
        "additional_metrics": ["loss"],
    },
    "parallel_trial_count": 2,
    "max_trial_count": 10,
    "max_failed_trial_count": 2,
    "image": "hpo-rig/trainer:cpu",
    "image_pull_secrets": ["regcred"],
    "trainer_args": {"myParameter1": 50},
    "gpu_memory_fraction": 0.35,
    "trainer_device": "auto",  # as the recipe: no --device flag
    "trial_env": {},
    "parameters": [
        {"name": "myParameter2", "flag": "--myParameter2", "type": "double",
         "min": "0.001", "max": "0.3"},
        {"name": "myParameter3", "flag": "--myParameter3", "type": "categorical",
         "list": ["linear", "relu", "softmax", "tanh"]},
    ],
}  # fmt: skip

ASSIGNMENT = {"--myParameter2": "0.06", "--myParameter3": "softmax"}


def test_the_unchanged_recipe_validates():
    assert validate_file(RECIPE) == []


def test_the_recipe_reads_as_the_facts_say():
    experiment = load_experiment(RECIPE)
    assert experiment.api_version == "kubeflow.org/v1alpha3"
    assert experiment.namespace == "kubeflow"
    assert (experiment.objective.type, experiment.objective.metric) == (
        "minimize",
        "mean_absolute_error",
    )
    assert experiment.objective.goal == 0.01
    assert experiment.objective.additional_metrics == ("loss",)
    assert experiment.algorithm.name == "random"
    assert (experiment.parallel_trial_count, experiment.max_trial_count) == (2, 10)
    assert experiment.max_failed_trial_count == 2
    run = experiment.resolve_trial(ASSIGNMENT)
    assert run.command == (
        "hpo-rig-train",
        "--gpuFraction=0.35",
        "--myParameter1=50",
        "--myParameter2=0.06",
        "--myParameter3=softmax",
    )


def test_the_rig_template_renders_an_equivalent_experiment():
    rendered = load_experiment(render_experiment(RECIPE_VALUES))
    recipe = load_experiment(RECIPE)
    for field in (
        "api_version",
        "namespace",
        "objective",
        "algorithm",
        "parallel_trial_count",
        "max_trial_count",
        "max_failed_trial_count",
        "parameters",
    ):
        assert getattr(rendered, field) == getattr(recipe, field), field
    ours, theirs = rendered.resolve_trial(ASSIGNMENT), recipe.resolve_trial(ASSIGNMENT)
    assert ours.image == theirs.image
    # Same trainer configuration: the rig spells --gpuFraction by its long name.
    pytest.importorskip("hpo_rig_train")
    from hpo_rig_train.cli import build_parser, config_from_args

    parser = build_parser()

    def config(command: tuple[str, ...]) -> Any:
        return config_from_args(parser, parser.parse_args(list(command[1:])))

    assert config(ours.command) == config(theirs.command)
    assert config(theirs.command).model.hidden_units == 50
    assert config(theirs.command).learning_rate == 0.06
    assert config(theirs.command).model.activation == "softmax"
    assert config(theirs.command).gpu.memory_fraction == 0.35


@pytest.mark.skipif(not trainer_installed(), reason="hpo-rig-train is not installed")
def test_the_recipe_runs_with_the_real_trainer_on_digits(tmp_path):
    workdir = tmp_path / "w"
    result = subprocess.run(
        [sys.executable, "-m", "hpo_rig.cli", "run", str(RECIPE), "--runner", "process",
         "--workdir", str(workdir), "--plain", "--max-trials", "2"],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    trials = load_trials(workdir / "trials.json")
    assert trials
    # The goal (mean_absolute_error <= 0.01) may be met early: trials still running are Killed.
    finished = [t for t in trials if t.state != "Killed"]
    assert finished
    assert all(t.state == "Succeeded" for t in finished)
    for trial in finished:
        names = {m["name"] for m in trial.raw["status"]["observation"]["metrics"]}
        assert names == {"mean_absolute_error", "loss"}, trial.name
        value = trial.objective_value(load_experiment(RECIPE).objective)
        assert value is not None
        assert 0.0 <= value < 0.2
