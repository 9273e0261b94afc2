"""Helpers for the engine's tests: a real Experiment around a real (tiny) trial script."""

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

TRIAL_SCRIPT = Path(__file__).parent / "trial_script.py"

BASE: dict[str, Any] = {
    "apiVersion": "kubeflow.org/v1beta1",
    "kind": "Experiment",
    "metadata": {"name": "engine-test", "namespace": "kubeflow"},
    "spec": {
        "objective": {
            "type": "maximize",
            "objectiveMetricName": "accuracy",
            "additionalMetricNames": ["loss"],
        },
        "algorithm": {
            "algorithmName": "random",
            "algorithmSettings": [{"name": "random_state", "value": "11"}],
        },
        "parallelTrialCount": 2,
        "maxTrialCount": 4,
        "maxFailedTrialCount": 2,
        "parameters": [
            {
                "name": "lr",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.01", "max": "0.5"},
            },
            {"name": "layers", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "5"}},
        ],
        "trialTemplate": {
            "primaryContainerName": "training-container",
            "trialParameters": [
                {"name": "learningRate", "reference": "lr"},
                {"name": "layers", "reference": "layers"},
            ],
            "trialSpec": {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [
                                {
                                    "name": "training-container",
                                    "image": "hpo-rig/engine-test:latest",
                                    "command": [
                                        sys.executable,
                                        str(TRIAL_SCRIPT),
                                        "--lr=${trialParameters.learningRate}",
                                        "--layers=${trialParameters.layers}",
                                    ],
                                }
                            ],
                        }
                    }
                },
            },
        },
    },
}


def experiment_document(extra_args: tuple[str, ...] = (), **spec: Any) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    document["spec"].update(copy.deepcopy(spec))
    container = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    container["command"] += list(extra_args)
    return document


@pytest.fixture
def write_experiment(tmp_path):
    def write(extra_args: tuple[str, ...] = (), **spec: Any) -> Path:
        path = tmp_path / "experiment.yaml"
        path.write_text(yaml.safe_dump(experiment_document(extra_args, **spec)))
        return path

    return write


def read_state(workdir: Path) -> dict[str, Any]:
    """The engine's trial records as the run's Optuna journal holds them, in trial order,
    each with its Optuna trial's ``params`` and ``optuna_state``."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = workdir / "optuna.journal"
    if not path.exists():
        raise FileNotFoundError(path)
    storage = JournalStorage(JournalFileBackend(str(path)))
    trials = []
    for study in storage.get_all_studies():
        study_id = storage.get_study_id_from_name(study.study_name)
        for trial in storage.get_all_trials(study_id):
            record = trial.user_attrs.get("hpo_rig")
            if record is not None:
                trials.append({**record, "params": trial.params, "optuna_state": trial.state.name})
    return {"trials": trials}


def read_trials(workdir: Path) -> dict[str, Any]:
    return json.loads((workdir / "trials.json").read_text())


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "docker: runs trials as containers (needs a Docker daemon and hpo-rig/debian12)"
    )
