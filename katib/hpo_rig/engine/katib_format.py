"""Trial records rendered as the Trial objects ``kubectl get trials -o json`` returns.

Whatever reads a cluster's trials (``hpo-rig export/best/report``) reads a local run's
``trials.json`` unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hpo_rig.engine.state import TrialRecord
from hpo_rig.experiment import Experiment
from hpo_rig.trials import Metric, metric_strategy

EXPERIMENT_LABEL = "katib.kubeflow.org/experiment"
TRIAL_API_VERSION = "kubeflow.org/v1beta1"


def metric_strategies(experiment: Experiment) -> list[dict[str, str]]:
    """The strategy of the objective and of every additional metric, as Katib's defaults
    write them into ``spec.objective.metricStrategies`` (``trials.metric_strategy``)."""
    spec_objective = experiment.raw.get("spec", {}).get("objective")
    return [
        {"name": name, "value": metric_strategy(experiment.objective, spec_objective, name)}
        for name in experiment.objective.metrics
    ]


def objective_spec(experiment: Experiment) -> dict[str, Any]:
    objective = experiment.objective
    spec: dict[str, Any] = {
        "type": objective.type,
        "objectiveMetricName": objective.metric,
        "additionalMetricNames": list(objective.additional_metrics),
        "metricStrategies": metric_strategies(experiment),
    }
    if objective.goal is not None:
        spec["goal"] = objective.goal
    return spec


def primary_container_name(experiment: Experiment) -> str:
    template = experiment.raw.get("spec", {}).get("trialTemplate", {}) or {}
    return str(template.get("primaryContainerName") or "training-container")


def trial_object(record: TrialRecord, experiment: Experiment) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "objective": objective_spec(experiment),
        "parameterAssignments": [
            {"name": name, "value": value} for name, value in record.assignments.items()
        ],
        "primaryContainerName": primary_container_name(experiment),
        "metricsCollector": {"collector": {"kind": experiment.collector_kind}},
    }
    if record.early_stopping_rule is not None:
        spec["earlyStoppingRules"] = [record.early_stopping_rule]
    status: dict[str, Any] = {"conditions": record.conditions}
    if record.started:
        status["startTime"] = record.started
    if record.completed:
        status["completionTime"] = record.completed
    if record.observation:
        status["observation"] = {"metrics": record.observation}
    annotations = {"hpo-rig/log": record.log, "hpo-rig/attempts": str(record.attempts)}
    if record.gpu is not None:
        annotations["hpo-rig/gpu"] = record.gpu
    return {
        "apiVersion": TRIAL_API_VERSION,
        "kind": "Trial",
        "metadata": {
            "name": record.name,
            "namespace": experiment.namespace,
            "labels": {EXPERIMENT_LABEL: experiment.name},
            "annotations": annotations,
            "creationTimestamp": record.created,
        },
        "spec": spec,
        "status": status,
    }


def trial_list(records: Iterable[TrialRecord], experiment: Experiment) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "List",
        "items": [trial_object(record, experiment) for record in records],
        "metadata": {"resourceVersion": ""},
    }


def objective_value(record: TrialRecord, experiment: Experiment) -> float | None:
    """The trial's objective value as Katib reads it: under the objective's metric strategy,
    by the same rule ``best``, ``report`` and the tables use (``trials.Metric.value``)."""
    name = experiment.objective.metric
    spec_objective = experiment.raw.get("spec", {}).get("objective")
    for metric in record.observation:
        if metric["name"] == name:
            observed = Metric(name, metric["min"], metric["max"], metric["latest"])
            return observed.value(metric_strategy(experiment.objective, spec_objective))
    return None
