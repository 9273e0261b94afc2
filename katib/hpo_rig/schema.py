"""The fields of Katib's v1beta1 Experiment objects, as a table, and the check for unknown ones.

Derived from the Go types at kubeflow/katib v0.19.0:
``pkg/apis/controller/experiments/v1beta1/experiment_types.go`` (ExperimentSpec, ParameterSpec,
FeasibleSpace, TrialTemplate with its inlined TrialSource, ConfigMapSource, TrialParameterSpec,
NasConfig, GraphConfig, Operation) and ``pkg/apis/controller/common/v1beta1/common_types.go``
(ObjectiveSpec, MetricStrategy, AlgorithmSpec, AlgorithmSetting, EarlyStoppingSpec,
MetricsCollectorSpec, SourceSpec, FilterSpec, FileSystemPath, CollectorSpec); ``httpGet`` is
core/v1 HTTPGetAction. The API server decodes an Experiment with strict field validation (kubectl's
default), so a misspelt field is refused rather than silently dropped. The trial's own resource
(``trialSpec``) and the Custom collector's container are other APIs' objects and are not checked.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

# Type name -> {json field: type name of its value, or None for a scalar/opaque value}. A list
# field names the type of its items.
OPAQUE = None
TYPES: dict[str, dict[str, str | None]] = {
    "Experiment": {
        "apiVersion": OPAQUE,
        "kind": OPAQUE,
        "metadata": OPAQUE,
        "spec": "ExperimentSpec",
        # ExperimentStatus: written by the controller (an exported Experiment carries it).
        "status": OPAQUE,
    },
    "ExperimentSpec": {
        "parameters": "ParameterSpec",
        "objective": "ObjectiveSpec",
        "algorithm": "AlgorithmSpec",
        "earlyStopping": "EarlyStoppingSpec",
        "trialTemplate": "TrialTemplate",
        "parallelTrialCount": OPAQUE,
        "maxTrialCount": OPAQUE,
        "maxFailedTrialCount": OPAQUE,
        "metricsCollectorSpec": "MetricsCollectorSpec",
        "nasConfig": "NasConfig",
        "resumePolicy": OPAQUE,
    },
    "ParameterSpec": {"name": OPAQUE, "parameterType": OPAQUE, "feasibleSpace": "FeasibleSpace"},
    "FeasibleSpace": {
        "max": OPAQUE,
        "min": OPAQUE,
        "list": OPAQUE,
        "step": OPAQUE,
        "distribution": OPAQUE,
    },
    "TrialTemplate": {
        "retain": OPAQUE,
        "trialSpec": OPAQUE,
        "configMap": "ConfigMapSource",
        "trialParameters": "TrialParameterSpec",
        "primaryPodLabels": OPAQUE,
        "primaryContainerName": OPAQUE,
        "successCondition": OPAQUE,
        "failureCondition": OPAQUE,
    },
    "ConfigMapSource": {
        "configMapName": OPAQUE,
        "configMapNamespace": OPAQUE,
        "templatePath": OPAQUE,
    },
    "TrialParameterSpec": {"name": OPAQUE, "description": OPAQUE, "reference": OPAQUE},
    "NasConfig": {"graphConfig": "GraphConfig", "operations": "Operation"},
    "GraphConfig": {"numLayers": OPAQUE, "inputSizes": OPAQUE, "outputSizes": OPAQUE},
    "Operation": {"operationType": OPAQUE, "parameters": "ParameterSpec"},
    "ObjectiveSpec": {
        "type": OPAQUE,
        "goal": OPAQUE,
        "objectiveMetricName": OPAQUE,
        "additionalMetricNames": OPAQUE,
        "metricStrategies": "MetricStrategy",
    },
    "MetricStrategy": {"name": OPAQUE, "value": OPAQUE},
    "AlgorithmSpec": {"algorithmName": OPAQUE, "algorithmSettings": "AlgorithmSetting"},
    "AlgorithmSetting": {"name": OPAQUE, "value": OPAQUE},
    "EarlyStoppingSpec": {"algorithmName": OPAQUE, "algorithmSettings": "AlgorithmSetting"},
    "MetricsCollectorSpec": {"source": "SourceSpec", "collector": "CollectorSpec"},
    "SourceSpec": {
        "httpGet": "HTTPGetAction",
        "fileSystemPath": "FileSystemPath",
        "filter": "FilterSpec",
    },
    "HTTPGetAction": {
        "path": OPAQUE,
        "port": OPAQUE,
        "host": OPAQUE,
        "scheme": OPAQUE,
        "httpHeaders": OPAQUE,
    },
    "FilterSpec": {"metricsFormat": OPAQUE},
    "FileSystemPath": {"path": OPAQUE, "kind": OPAQUE, "format": OPAQUE},
    "CollectorSpec": {"kind": OPAQUE, "customCollector": OPAQUE},
}


def unknown_fields(
    node: Any, type_name: str = "Experiment", path: str = ""
) -> Iterator[tuple[str, str]]:
    """(path, message) for every field of a Katib object that its Go type does not have."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from unknown_fields(item, type_name, f"{path}[{index}]")
        return
    if not isinstance(node, Mapping):
        return
    fields = TYPES[type_name]
    for key, value in node.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            yield where, f"unknown field {key!r} in {type_name}{hint}"
            continue
        child = fields[key]
        if child is not None:
            yield from unknown_fields(value, child, where)
