"""What Katib's mutating webhook fills in before its validating webhook judges an Experiment.

Follows ``Experiment.SetDefault`` in kubeflow/katib v0.19.0
``pkg/apis/controller/experiments/v1beta1/experiment_defaults.go``, with the values of
``experiments/v1beta1/constants.go`` and ``common/v1beta1/common_types.go``. Only v1beta1 has it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

DEFAULT_PARALLEL_TRIAL_COUNT = 3
DEFAULT_RESUME_POLICY = "Never"
DEFAULT_FILE_PATH = "/var/log/katib/metrics.log"
DEFAULT_TFEVENT_DIR = "/var/log/katib/tfevent/"
DEFAULT_PROMETHEUS_PATH = "/metrics"
DEFAULT_PROMETHEUS_PORT = 8080
JOB_SUCCESS = 'status.conditions.#(type=="Complete")#|#(status=="True")#'
JOB_FAILURE = 'status.conditions.#(type=="Failed")#|#(status=="True")#'
KUBEFLOW_SUCCESS = 'status.conditions.#(type=="Succeeded")#|#(status=="True")#'
KUBEFLOW_FAILURE = 'status.conditions.#(type=="Failed")#|#(status=="True")#'
KUBEFLOW_PRIMARY_POD_LABELS = {"training.kubeflow.org/job-role": "master"}
TRAINJOB_PRIMARY_POD_LABELS = {
    "jobset.sigs.k8s.io/replicatedjob-name": "node",
    "batch.kubernetes.io/job-completion-index": "0",
}
KUBEFLOW_JOB_KINDS = ("TFJob", "PyTorchJob", "XGBoostJob", "MPIJob", "TrainJob")
STRATEGY_BY_TYPE = {"minimize": "min", "maximize": "max"}


def _child(parent: dict[str, Any], key: str) -> dict[str, Any] | None:
    """parent[key], created empty when absent or null; None when it is not a mapping."""
    if parent.get(key) is None:
        parent[key] = {}
    value = parent[key]
    return value if isinstance(value, dict) else None


def apply_defaults(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a v1beta1 Experiment with Katib's defaults filled in."""
    result: dict[str, Any] = copy.deepcopy(dict(document))
    spec = result.get("spec")
    if not isinstance(spec, dict):
        return result
    if spec.get("parallelTrialCount") is None:
        spec["parallelTrialCount"] = DEFAULT_PARALLEL_TRIAL_COUNT
    if not spec.get("resumePolicy"):
        spec["resumePolicy"] = DEFAULT_RESUME_POLICY
    _objective(spec.get("objective"))
    _trial_template(spec.get("trialTemplate"))
    _metrics_collector(spec)
    for parameter in spec.get("parameters") or []:
        if isinstance(parameter, dict) and isinstance(parameter.get("feasibleSpace"), dict):
            space = parameter["feasibleSpace"]
            if not space.get("distribution"):
                space["distribution"] = "uniform"
    return result


def _objective(objective: Any) -> None:
    if not isinstance(objective, dict):
        return
    strategies = objective.get("metricStrategies")
    if not isinstance(strategies, list):
        strategies = [] if strategies is None else None
    if strategies is None:
        return
    metric = objective.get("objectiveMetricName", "")
    value = STRATEGY_BY_TYPE.get(str(objective.get("type")), "latest")
    names = [s.get("name") for s in strategies if isinstance(s, Mapping)]
    if metric not in names:
        strategies.append({"name": metric, "value": value})
    for name in objective.get("additionalMetricNames") or []:
        if name not in names:
            strategies.append({"name": name, "value": value})
    objective["metricStrategies"] = strategies


def _trial_template(template: Any) -> None:
    if not isinstance(template, dict) or not isinstance(template.get("trialSpec"), Mapping):
        return
    kind = template["trialSpec"].get("kind")
    if kind == "Job":
        if not template.get("successCondition"):
            template["successCondition"] = JOB_SUCCESS
        if not template.get("failureCondition"):
            template["failureCondition"] = JOB_FAILURE
    elif kind in KUBEFLOW_JOB_KINDS:
        train_job = kind == "TrainJob"
        if not template.get("successCondition"):
            template["successCondition"] = JOB_SUCCESS if train_job else KUBEFLOW_SUCCESS
        if not template.get("failureCondition"):
            template["failureCondition"] = JOB_FAILURE if train_job else KUBEFLOW_FAILURE
        if not template.get("primaryPodLabels"):
            labels = TRAINJOB_PRIMARY_POD_LABELS if train_job else KUBEFLOW_PRIMARY_POD_LABELS
            template["primaryPodLabels"] = dict(labels)


def _metrics_collector(spec: dict[str, Any]) -> None:
    collector_spec = _child(spec, "metricsCollectorSpec")
    if collector_spec is None:
        return
    if collector_spec.get("collector") is None:
        collector_spec["collector"] = {"kind": "StdOut"}
    collector = collector_spec["collector"]
    if not isinstance(collector, dict):
        return
    kind = collector.get("kind", "")
    if kind == "PrometheusMetric":
        source = _child(collector_spec, "source")
        http_get = _child(source, "httpGet") if source is not None else None
        if http_get is not None:
            if not http_get.get("path"):
                http_get["path"] = DEFAULT_PROMETHEUS_PATH
            if str(http_get.get("port", 0)) == "0":
                http_get["port"] = DEFAULT_PROMETHEUS_PORT
    elif kind in ("File", "TensorFlowEvent"):
        source = _child(collector_spec, "source")
        path = _child(source, "fileSystemPath") if source is not None else None
        if path is None:
            return
        if not path.get("kind"):
            path["kind"] = "File" if kind == "File" else "Directory"
        if not path.get("path"):
            path["path"] = DEFAULT_FILE_PATH if kind == "File" else DEFAULT_TFEVENT_DIR
        if kind == "File" and not path.get("format"):
            path["format"] = "TEXT"
