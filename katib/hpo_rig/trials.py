"""Katib Trial objects: reading, querying and writing them in the `kubectl get trials -o json` form.

The same form comes from a live cluster (``fetch_trials``), from a saved file (``load_trials``)
and from the local engine, which writes it with ``trial_document``/``trial_list_document``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from hpo_rig.experiment import V1BETA1, Objective

EXPERIMENT_LABEL = "katib.kubeflow.org/experiment"
KATIB_GROUP = "kubeflow.org"

CREATED = "Created"
RUNNING = "Running"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
KILLED = "Killed"
EARLY_STOPPED = "EarlyStopped"
METRICS_UNAVAILABLE = "MetricsUnavailable"
PENDING = "Pending"
# Conditions after which Katib counts a trial as completed.
FINISHED_STATES: tuple[str, ...] = (SUCCEEDED, FAILED, KILLED, EARLY_STOPPED, METRICS_UNAVAILABLE)
STRATEGIES: tuple[str, ...] = ("min", "max", "latest")
# The reasons and messages Katib's trial controller writes (v0.19.0
# pkg/controller.v1beta1/trial/trial_controller_util.go: TrialMetricsUnavailableReason is
# "MetricsUnavailable", without the Trial prefix the others have).
FINISHED_REASONS: dict[str, tuple[str, str]] = {
    SUCCEEDED: ("TrialSucceeded", "Trial has succeeded"),
    FAILED: ("TrialFailed", "Trial has failed"),
    KILLED: ("TrialKilled", "Trial is killed"),
    EARLY_STOPPED: ("TrialEarlyStopped", "Trial is early stopped"),
    METRICS_UNAVAILABLE: ("MetricsUnavailable", "Metrics are not available"),
}
# Katib's placeholder for a metric never reported (pkg/controller.v1beta1/consts, v0.19.0).
UNAVAILABLE = "unavailable"


class TrialsError(ValueError):
    """The input is not a Trial or a list of Trials."""


class CustomObjectsLister(Protocol):
    """The part of kubernetes.client.CustomObjectsApi used to list trials."""

    def list_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, **kwargs: Any
    ) -> Any: ...


@dataclass(frozen=True)
class Metric:
    """One observed metric; Katib keeps its values as strings."""

    name: str
    min: str
    max: str
    latest: str

    @classmethod
    def from_values(cls, name: str, values: Sequence[float]) -> Metric:
        """Summarise the reported values the way Katib's observation does."""
        if not values:
            raise ValueError(f"metric {name}: no values")
        return cls(name, _number(min(values)), _number(max(values)), _number(values[-1]))

    def value(self, strategy: str = "latest") -> float | None:
        """The metric under a Katib metric strategy (min, max, latest); None if not a number.

        As Katib's getObjectiveMetricValue (v0.19.0 pkg/controller.v1beta1/experiment/util/
        status_util.go): an ``unavailable`` min or max falls back to ``latest``."""
        text = {"min": self.min, "max": self.max, "latest": self.latest}[strategy]
        if text == UNAVAILABLE:
            text = self.latest
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Trial:
    name: str
    namespace: str
    experiment: str
    state: str
    assignments: dict[str, str]
    metrics: dict[str, Metric]
    created: datetime | None = None
    started: datetime | None = None
    completed: datetime | None = None
    message: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def duration_s(self) -> float | None:
        if self.started is None or self.completed is None:
            return None
        return (self.completed - self.started).total_seconds()

    def objective_value(self, objective: Objective, strategy: str | None = None) -> float | None:
        """The objective metric under ``strategy``; by default the trial's own
        ``metricStrategies`` entry, else Katib's default (``max`` when maximising, ``min``
        when minimising)."""
        metric = self.metrics.get(objective.metric)
        if metric is None:
            return None
        return metric.value(strategy or self.metric_strategy(objective))

    def metric_strategy(self, objective: Objective, metric: str | None = None) -> str:
        """The trial's ``metricStrategies`` entry for ``metric`` (default: the objective
        metric), else Katib's default, which is the same for additional metrics (v0.19.0
        experiment_defaults.go setDefaultObjective: max when maximising, min when minimising)."""
        spec_objective = (self.raw.get("spec") or {}).get("objective")
        return metric_strategy(objective, spec_objective, metric)

    def metric_value(self, name: str, objective: Objective) -> float | None:
        """Any metric of the trial under its Katib strategy."""
        metric = self.metrics.get(name)
        return None if metric is None else metric.value(self.metric_strategy(objective, name))


def default_strategy(objective: Objective) -> str:
    return "max" if objective.type == "maximize" else "min"


def metric_strategy(
    objective: Objective, spec_objective: Mapping[str, Any] | None, metric: str | None = None
) -> str:
    """The ``metricStrategies`` entry for ``metric`` (default: the objective metric) in an
    Experiment's or a Trial's ``spec.objective``, else Katib's default for the objective type."""
    name = metric or objective.metric
    for item in (spec_objective or {}).get("metricStrategies") or []:
        if item.get("name") == name and item.get("value") in STRATEGIES:
            return str(item["value"])
    return default_strategy(objective)


def parse_trial(document: Mapping[str, Any]) -> Trial:
    if document.get("kind") != "Trial":
        raise TrialsError(f"expected kind Trial (got {document.get('kind')!r})")
    metadata = document.get("metadata") or {}
    spec = document.get("spec") or {}
    status = document.get("status") or {}
    observation = status.get("observation") or {}
    metrics = {
        str(item["name"]): Metric(
            str(item["name"]),
            str(item.get("min", "")),
            str(item.get("max", "")),
            str(item.get("latest", "")),
        )
        for item in observation.get("metrics") or []
    }
    state, message = _state(status.get("conditions") or [])
    return Trial(
        name=str(metadata.get("name", "")),
        namespace=str(metadata.get("namespace", "")),
        experiment=str((metadata.get("labels") or {}).get(EXPERIMENT_LABEL, "")),
        state=state,
        assignments={
            str(item["name"]): str(item["value"]) for item in spec.get("parameterAssignments") or []
        },
        metrics=metrics,
        created=parse_time(metadata.get("creationTimestamp")),
        started=parse_time(status.get("startTime")),
        completed=parse_time(status.get("completionTime")),
        message=message,
        raw=dict(document),
    )


def parse_trials(document: Any) -> list[Trial]:
    """Trials from a ``kind: List``/``TrialList`` object, a bare list or one Trial."""
    if isinstance(document, Mapping) and "items" in document:
        items = document["items"]
    elif isinstance(document, Mapping):
        items = [document]
    elif isinstance(document, list):
        items = document
    else:
        raise TrialsError("expected a Trial, a list of Trials or a kind: List object")
    trials = [parse_trial(item) for item in items]
    return sorted(trials, key=_creation_order)


def load_trials(path: str | Path) -> list[Trial]:
    """Trials from a JSON (or YAML) file as written by ``kubectl get trials -o json``."""
    from hpo_rig.yamlio import parse_all, read_input

    text = read_input(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        # kubectl -o yaml output is accepted too (and JSON is YAML: its errors are located).
        documents = parse_all(text, str(path))
        document = documents[0] if len(documents) == 1 else documents
    return parse_trials(document)


def fetch_trials(
    api: CustomObjectsLister, namespace: str, experiment: str, version: str = "v1beta1"
) -> list[Trial]:
    """The experiment's trials from the cluster (``version``: v1beta1, v1alpha3, v1alpha2)."""
    response = api.list_namespaced_custom_object(
        KATIB_GROUP,
        version,
        namespace,
        "trials",
        label_selector=f"{EXPERIMENT_LABEL}={experiment}",
    )
    return parse_trials(response)


def best_trial(trials: Iterable[Trial], objective: Objective) -> Trial | None:
    """The optimal trial by Katib's own rule, as it fills ``status.currentOptimalTrial``.

    Katib v0.19.0 pkg/controller.v1beta1/experiment/util/status_util.go, updateTrialsSummary:
    every trial whose objective observation is a number counts, whatever its state (Running
    ones included), valued under the trial's metricStrategies entry for the objective metric;
    the first strictly better value wins, so ties go to the earlier trial.
    """
    best: tuple[float, Trial] | None = None
    for trial in trials:
        value = trial.objective_value(objective)
        if value is None:
            continue
        if (
            best is None
            or (objective.type == "maximize" and value > best[0])
            or (objective.type != "maximize" and value < best[0])
        ):
            best = (value, trial)
    return best[1] if best else None


def run_spec_command(trial: Trial) -> tuple[str, list[str]] | None:
    """The image and command line of the trial's primary container in ``spec.runSpec``.

    Katib v0.19.0 stores the rendered trial template as the Trial's ``spec.runSpec`` and the
    name of the training container as ``spec.primaryContainerName``
    (pkg/apis/controller/trials/v1beta1/trial_types.go). Any kind (Job, PyTorchJob, ...) is
    searched for pod ``containers``; None when there is no runSpec or no such container.
    """
    spec = trial.raw.get("spec") or {}
    run_spec = spec.get("runSpec")
    if not isinstance(run_spec, Mapping):
        return None
    containers = list(_containers(run_spec))
    primary = spec.get("primaryContainerName")
    if primary:
        containers = [c for c in containers if c.get("name") == primary]
    if not containers:
        return None
    container = containers[0]
    parts = [str(part) for part in (container.get("command") or [])]
    parts += [str(part) for part in (container.get("args") or [])]
    if not parts:
        return None
    return str(container.get("image", "")), parts


def _containers(value: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "containers" and isinstance(item, list):
                yield from (c for c in item if isinstance(c, Mapping))
            else:
                yield from _containers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _containers(item)


def trial_document(
    *,
    name: str,
    namespace: str,
    experiment: str,
    assignments: Mapping[str, str],
    state: str,
    metrics: Iterable[Metric] = (),
    created: datetime,
    started: datetime | None = None,
    completed: datetime | None = None,
    reason: str = "",
    message: str = "",
    api_version: str = V1BETA1,
) -> dict[str, Any]:
    """A Trial object as Katib stores it, for writers such as the local engine."""
    if state not in (CREATED, RUNNING, *FINISHED_STATES):
        raise ValueError(f"unknown trial state {state!r}")
    stamp = completed or started or created
    conditions = [_condition(CREATED, "True", "TrialCreated", "Trial is created", created)]
    if state != CREATED:
        running = "True" if state == RUNNING else "False"
        conditions.append(
            _condition(RUNNING, running, "TrialRunning", "Trial is running", started or stamp)
        )
    if state not in (CREATED, RUNNING):
        default_reason, default_message = FINISHED_REASONS[state]
        conditions.append(
            _condition(state, "True", reason or default_reason, message or default_message, stamp)
        )
    status: dict[str, Any] = {"conditions": conditions}
    if started is not None:
        status["startTime"] = format_time(started)
    if completed is not None:
        status["completionTime"] = format_time(completed)
    observed = [{"name": m.name, "min": m.min, "max": m.max, "latest": m.latest} for m in metrics]
    if observed:
        status["observation"] = {"metrics": observed}
    return {
        "apiVersion": api_version,
        "kind": "Trial",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {EXPERIMENT_LABEL: experiment},
            "creationTimestamp": format_time(created),
        },
        "spec": {
            "parameterAssignments": [
                {"name": key, "value": str(value)} for key, value in assignments.items()
            ]
        },
        "status": status,
    }


def trial_list_document(items: Iterable[Mapping[str, Any] | Trial]) -> dict[str, Any]:
    """The ``kind: List`` wrapper kubectl prints around the trials."""
    return {
        "apiVersion": "v1",
        "kind": "List",
        "items": [item.raw if isinstance(item, Trial) else dict(item) for item in items],
        "metadata": {"resourceVersion": ""},
    }


def parse_time(value: object) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with a Z, to the second, as Kubernetes writes timestamps."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: float) -> str:
    # Fixed-point text, as the trainer prints it: both Katib metric filters read it.
    return repr(float(value)) if "e" not in repr(float(value)) else f"{value:.12f}"


def _state(conditions: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    true = [c for c in conditions if str(c.get("status")) == "True"]
    for condition in reversed(true):
        if condition.get("type") in FINISHED_STATES:
            return str(condition["type"]), str(condition.get("message", ""))
    for kind in (RUNNING, CREATED):
        for condition in true:
            if condition.get("type") == kind:
                return kind, str(condition.get("message", ""))
    return PENDING, ""


def _creation_order(trial: Trial) -> tuple[datetime, str]:
    return (trial.created or datetime.min.replace(tzinfo=UTC), trial.name)


def _condition(kind: str, status: str, reason: str, message: str, when: datetime) -> dict[str, str]:
    stamp = format_time(when)
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
    }
