"""The demo Experiment validates for the cluster and runs here unchanged."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hpo_rig.engine.runners import ProcessRunner, RunnerError
from hpo_rig.experiment import load_experiment
from hpo_rig.trials import best_trial, load_trials
from hpo_rig.validate import validate_file

EXAMPLE = Path(__file__).parents[2] / "examples" / "digits-random.yaml"


def test_example_validates_for_the_cluster():
    assert validate_file(EXAMPLE) == []


def test_example_resolves_to_the_trainer_command():
    experiment = load_experiment(EXAMPLE)
    run = experiment.resolve_trial(
        {"learning-rate": "0.01", "hidden-units": "64", "dropout": "0.1", "optimizer": "adam"}
    )
    assert run.image == "hpo-rig/trainer:cpu"
    assert run.command[0] == "hpo-rig-train"
    assert "--learning-rate=0.01" in run.command


def trainer_installed() -> bool:
    """As the process runner looks for it: on PATH or beside this Python."""
    try:
        ProcessRunner().resolve("hpo-rig-train")
    except RunnerError:
        return False
    return True


@pytest.mark.skipif(not trainer_installed(), reason="hpo-rig-train is not installed")
def test_example_runs_with_the_real_trainer(tmp_path):
    workdir = tmp_path / "w"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hpo_rig.cli",
            "run",
            str(EXAMPLE),
            "--runner",
            "process",
            "--workdir",
            str(workdir),
            "--plain",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    trials = load_trials(workdir / "trials.json")
    experiment = load_experiment(EXAMPLE)
    assert 1 <= len(trials) <= experiment.max_trial_count
    assert all(t.state == "Succeeded" for t in trials)
    best = best_trial(trials, experiment.objective)
    assert best is not None
    # digits is easy: the best of a few trials classifies most of the validation split.
    assert best.objective_value(experiment.objective) > 0.8
