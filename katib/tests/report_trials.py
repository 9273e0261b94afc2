"""Small, deterministic experiments and trials for the report tests (and its timing)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from hpo_rig.trials import (
    FAILED,
    METRICS_UNAVAILABLE,
    RUNNING,
    SUCCEEDED,
    Metric,
    trial_document,
    trial_list_document,
)

START = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC)
OPTIMIZERS = ("adam", "sgd", "rmsprop")


def experiment_document(
    objective_type: str = "minimize", lr_distribution: str | None = "logUniform"
) -> dict[str, Any]:
    """A v1beta1 Experiment with a log-uniform double, an int and a categorical parameter."""
    lr_space: dict[str, Any] = {"min": "0.00001", "max": "0.1"}
    if lr_distribution is not None:
        lr_space["distribution"] = lr_distribution
    container = {
        "name": "training-container",
        "image": "trainer:latest",
        "command": [
            "train",
            "--lr=${trialParameters.lr}",
            "--layers=${trialParameters.layers}",
            "--optimizer=${trialParameters.optimizer}",
        ],
    }
    return {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Experiment",
        "metadata": {"name": "sweep", "namespace": "kubeflow"},
        "spec": {
            "objective": {"type": objective_type, "objectiveMetricName": "loss"},
            "algorithm": {"algorithmName": "random"},
            "parallelTrialCount": 3,
            "maxTrialCount": 60,
            "maxFailedTrialCount": 10,
            "parameters": [
                {"name": "lr", "parameterType": "double", "feasibleSpace": lr_space},
                {
                    "name": "layers",
                    "parameterType": "int",
                    "feasibleSpace": {"min": "1", "max": "8"},
                },
                {
                    "name": "optimizer",
                    "parameterType": "categorical",
                    "feasibleSpace": {"list": list(OPTIMIZERS)},
                },
            ],
            "trialTemplate": {
                "primaryContainerName": "training-container",
                "trialParameters": [
                    {"name": name, "reference": name} for name in ("lr", "layers", "optimizer")
                ],
                "trialSpec": {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "spec": {
                        "template": {"spec": {"containers": [container], "restartPolicy": "Never"}}
                    },
                },
            },
        },
    }


def trials_document(
    count: int = 12,
    *,
    objective_type: str = "minimize",
    spacing: timedelta = timedelta(minutes=5),
    duration: timedelta = timedelta(minutes=4),
    failed: tuple[int, ...] = (3,),
    unavailable: tuple[int, ...] = (5,),
    running: tuple[int, ...] = (),
    seed: int = 7,
) -> dict[str, Any]:
    """``count`` trials of experiment ``sweep``; trial i is created at START + i * spacing,
    runs for ``duration`` and reports ``loss`` (lower with a larger lr, on log scale)."""
    rng = random.Random(seed)
    items = []
    for index in range(count):
        created = START + spacing * index
        lr = 10 ** rng.uniform(-5, -1)
        assignments = {
            "lr": repr(lr),
            "layers": str(rng.randint(1, 8)),
            "optimizer": rng.choice(OPTIMIZERS),
        }
        loss = 2.0 + 0.3 * (-1 - float(f"{lr:e}".split("e")[1])) + rng.uniform(0, 0.2)
        state = SUCCEEDED
        metrics = [Metric.from_values("loss", [loss + 0.5, loss])]
        if index in failed:
            state, metrics = FAILED, []
        elif index in unavailable:
            state, metrics = METRICS_UNAVAILABLE, []
        elif index in running:
            state = RUNNING
        items.append(
            _with_objective(
                trial_document(
                    name=f"sweep-{index:03d}",
                    namespace="kubeflow",
                    experiment="sweep",
                    assignments=assignments,
                    state=state,
                    metrics=metrics,
                    created=created,
                    started=created,
                    completed=None if state == RUNNING else created + duration,
                ),
                objective_type,
            )
        )
    return trial_list_document(items)


def _with_objective(document: dict[str, Any], objective_type: str) -> dict[str, Any]:
    # Katib copies the Experiment's objective into each Trial's spec.
    strategy = "max" if objective_type == "maximize" else "min"
    document["spec"]["objective"] = {
        "type": objective_type,
        "objectiveMetricName": "loss",
        "metricStrategies": [{"name": "loss", "value": strategy}],
    }
    return document
