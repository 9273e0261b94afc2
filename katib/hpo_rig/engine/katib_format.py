"""Trial records rendered as the Trial objects ``kubectl get trials -o json`` returns.

Whatever reads a cluster's trials (``hpo-rig export/best/report``) reads a local run's
``trials.json`` unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hpo_rig.engine.state import TrialRecord
from hpo_rig.experiment import Experiment

EXPERIMENT_LABEL = "katib.kubeflow.org/experiment"
TRIAL_API_VERSION = "kubeflow.org/v1beta1"


def metric_strategies(experiment: Experiment) -> list[dict[str, str]]:
    """Katib's defaults overridden by the Experiment's own ``metricStrategies``: for the
    objective and every additional metric alike, max when maximising, min when minimising
    (Katib v0.19.0 pkg/apis/controller/experiments/v1beta1/experiment_defaults.go,
    setDefaultObjective)."""
    objective = experiment.objective
    default = {"maximize": "max", "minimize": "min"}.get(objective.type, "latest")
    strategies = {name: default for name in objective.metrics}
    raw = experiment.raw.get("spec", {}).get("objective", {}).get("metricStrategies") or []
    for item in raw:
        if isinstance(item, dict) and "name" in item and "value" in item:
            strategies[str(item["name"])] = str(item["value"])
    return [{"name": name, "value": value} for name, value in strategies.items()]


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
    """The trial's objective value as Katib reads it (by the objective's metric strategy)."""
    name = experiment.objective.metric
    strategy = next(s["value"] for s in metric_strategies(experiment) if s["name"] == name)
    for metric in record.observation:
        if metric["name"] != name:
            continue
        text = (
            metric.get(strategy, metric["latest"])
            if strategy in ("min", "max")
            else metric["latest"]
        )
        try:
            return float(text)
        except ValueError:
            return None
    return None
