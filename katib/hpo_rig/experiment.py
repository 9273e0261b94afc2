"""The shared model of a Katib Experiment: parsing and turning a trial into a container run.

Every Katib API version the rig meets (v1beta1 for the current profile, v1alpha3 and v1alpha2
for the seed profile) is read into the same frozen dataclasses, so the validator, the CLI and
the local engine never look at raw YAML themselves.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from hpo_rig.gotemplate import GoTemplateError, render_go_template
from hpo_rig.yamlio import load_all, parse_all

V1BETA1 = "kubeflow.org/v1beta1"
V1ALPHA3 = "kubeflow.org/v1alpha3"
V1ALPHA2 = "kubeflow.org/v1alpha2"
API_VERSIONS: tuple[str, ...] = (V1BETA1, V1ALPHA3, V1ALPHA2)

# Katib's StdOut collector filter when an Experiment gives none. v1alpha2 had no regex: its
# collector split log lines on whitespace and kept `name=value` tokens; the pattern below
# reproduces that tokeniser.
DEFAULT_METRICS_FILTERS: dict[str, str] = {
    V1BETA1: r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)",
    V1ALPHA3: r"([\w|-]+)\s*=\s*((-?\d+)(\.\d+)?)",
    V1ALPHA2: r"([^\s=]+)=([^\s=]+)",
}

ParameterType = Literal["double", "int", "discrete", "categorical"]
PARAMETER_TYPES: tuple[str, ...] = ("double", "int", "discrete", "categorical")

# `${trialParameters.X}` placeholders in a v1beta1 trialSpec.
TRIAL_PARAMETER_PATTERN = re.compile(r"\$\{trialParameters\.([^}]+)\}")
# Trial metadata a v1beta1 trial parameter may reference instead of a search parameter.
TRIAL_METADATA_PATTERN = re.compile(
    r"^\$\{trialSpec\.(Name|Namespace|Kind|APIVersion|Labels\[[^\]]+\]|Annotations\[[^\]]+\])\}$"
)


class ExperimentError(ValueError):
    """The document is not an Experiment this model can read, or a trial cannot be resolved."""


@dataclass(frozen=True)
class Parameter:
    """One search-space dimension; bounds and values kept as the strings Katib stores."""

    name: str
    type: str
    min: str | None = None
    max: str | None = None
    step: str | None = None
    values: tuple[str, ...] = ()
    distribution: str | None = None


@dataclass(frozen=True)
class Objective:
    type: str
    metric: str
    goal: float | None = None
    additional_metrics: tuple[str, ...] = ()

    @property
    def metrics(self) -> tuple[str, ...]:
        """The objective metric followed by the additional ones, without duplicates."""
        return tuple(dict.fromkeys((self.metric, *self.additional_metrics)))


@dataclass(frozen=True)
class Algorithm:
    name: str
    settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EarlyStopping:
    name: str
    settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialRun:
    """The primary container of one trial, with every hyperparameter filled in."""

    image: str
    command: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    # The trial Job's spec.activeDeadlineSeconds (batch/v1 JobSpec), None without one.
    active_deadline_seconds: int | None = None
    # The container's workingDir (core/v1 Container): where its relative paths start.
    working_dir: str | None = None


@dataclass(frozen=True)
class Experiment:
    api_version: str
    name: str
    namespace: str
    objective: Objective
    algorithm: Algorithm
    parameters: tuple[Parameter, ...]
    parallel_trial_count: int = 3
    max_trial_count: int | None = None
    max_failed_trial_count: int | None = None
    early_stopping: EarlyStopping | None = None
    collector_kind: str = "StdOut"
    metrics_filters: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def effective_metrics_filters(self) -> tuple[str, ...]:
        """The filters Katib applies: the Experiment's own, else the version's default."""
        return self.metrics_filters or (DEFAULT_METRICS_FILTERS[self.api_version],)

    def parameter(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(name)

    def resolve_trial(
        self,
        assignments: Mapping[str, str],
        *,
        trial_name: str | None = None,
        primary_container_name: str | None = None,
    ) -> TrialRun:
        """Fill one set of parameter assignments into the trial template.

        ``trial_name`` stands in for Katib's generated trial name (``${trialSpec.Name}``,
        ``{{.Trial}}``); it defaults to ``<experiment>-local``. ``primary_container_name``
        only matters for v1alpha2/v1alpha3, whose templates name no primary container: the
        first container of the Job is taken otherwise.
        """
        missing = [p.name for p in self.parameters if p.name not in assignments]
        if missing:
            raise ExperimentError(f"no value assigned to parameter(s): {', '.join(missing)}")
        # Katib hands assignments over in the Experiment's parameter order.
        values = {p.name: str(assignments[p.name]) for p in self.parameters}
        name = trial_name or f"{self.name}-local"
        template = _mapping(self.raw.get("spec", {}).get("trialTemplate"), "spec.trialTemplate")
        if self.api_version == V1BETA1:
            job, container_name = _resolve_v1beta1(template, values, name, self.namespace)
        else:
            job = _resolve_go_template(template, values, name, self.namespace)
            container_name = primary_container_name
        return _trial_run(job, container_name)


def load_experiment(source: str | Path | Mapping[str, Any]) -> Experiment:
    """Read an Experiment from a mapping, a YAML file path or YAML text.

    A multi-document YAML stream is accepted when exactly one document is an Experiment.
    """
    document = _load_document(source)
    api_version = str(document.get("apiVersion", ""))
    if api_version not in API_VERSIONS:
        raise ExperimentError(
            f"apiVersion: expected one of {', '.join(API_VERSIONS)} (got {api_version!r})"
        )
    if document.get("kind") != "Experiment":
        raise ExperimentError(f"kind: expected Experiment (got {document.get('kind')!r})")
    metadata = _mapping(document.get("metadata"), "metadata")
    spec = _mapping(document.get("spec"), "spec")
    collector = _mapping(spec.get("metricsCollectorSpec"), "spec.metricsCollectorSpec")
    early = spec.get("earlyStopping")
    return Experiment(
        api_version=api_version,
        name=str(metadata.get("name", "")),
        namespace=str(metadata.get("namespace") or "default"),
        objective=_objective(_mapping(spec.get("objective"), "spec.objective")),
        algorithm=Algorithm(**_named_settings(spec.get("algorithm"), "spec.algorithm")),
        parameters=tuple(
            _parameter(item, f"spec.parameters[{index}]")
            for index, item in enumerate(_sequence(spec.get("parameters"), "spec.parameters"))
        ),
        parallel_trial_count=_int(spec.get("parallelTrialCount", 3), "spec.parallelTrialCount"),
        max_trial_count=_optional_int(spec.get("maxTrialCount"), "spec.maxTrialCount"),
        max_failed_trial_count=_optional_int(
            spec.get("maxFailedTrialCount"), "spec.maxFailedTrialCount"
        ),
        early_stopping=(
            EarlyStopping(**_named_settings(early, "spec.earlyStopping")) if early else None
        ),
        collector_kind=str(
            _mapping(collector.get("collector"), "spec.metricsCollectorSpec.collector").get("kind")
            or "StdOut"
        ),
        metrics_filters=_metrics_filters(collector),
        raw=copy.deepcopy(dict(document)),
    )


def _load_document(source: str | Path | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    if isinstance(source, Path) or ("\n" not in source and Path(source).is_file()):
        documents = load_all(source)
    else:
        documents = parse_all(source, "<experiment>")
    experiments = [
        doc for doc in documents if isinstance(doc, Mapping) and doc.get("kind") == "Experiment"
    ]
    if len(experiments) == 1:
        return experiments[0]
    if len(documents) == 1 and isinstance(documents[0], Mapping):
        return documents[0]
    raise ExperimentError(
        f"expected exactly one Experiment document (found {len(experiments)} "
        f"among {len(documents)} documents)"
    )


def _metrics_filters(collector: Mapping[str, Any]) -> tuple[str, ...]:
    where = "spec.metricsCollectorSpec.source"
    source = _mapping(collector.get("source"), where)
    formats = _mapping(source.get("filter"), f"{where}.filter").get("metricsFormat")
    return tuple(str(item) for item in _sequence(formats, f"{where}.filter.metricsFormat"))


def _objective(spec: Mapping[str, Any]) -> Objective:
    goal = spec.get("goal")
    try:
        goal_value = None if goal is None else float(goal)
    except (TypeError, ValueError) as error:
        raise ExperimentError(f"spec.objective.goal: not a number (got {goal!r})") from error
    return Objective(
        type=str(spec.get("type", "")),
        metric=str(spec.get("objectiveMetricName", "")),
        goal=goal_value,
        additional_metrics=tuple(
            str(name)
            for name in _sequence(
                spec.get("additionalMetricNames"), "spec.objective.additionalMetricNames"
            )
        ),
    )


def _named_settings(value: object, where: str) -> dict[str, Any]:
    spec = _mapping(value, where)
    settings = {}
    for index, item in enumerate(_sequence(spec.get("algorithmSettings"), where)):
        entry = _mapping(item, f"{where}.algorithmSettings[{index}]")
        settings[str(entry.get("name", ""))] = _text(entry.get("value", ""))
    return {"name": str(spec.get("algorithmName", "")), "settings": settings}


def _parameter(value: object, where: str) -> Parameter:
    spec = _mapping(value, where)
    space = _mapping(spec.get("feasibleSpace"), f"{where}.feasibleSpace")
    return Parameter(
        name=str(spec.get("name", "")),
        type=str(spec.get("parameterType", "")),
        min=_optional_text(space.get("min")),
        max=_optional_text(space.get("max")),
        step=_optional_text(space.get("step")),
        values=tuple(_text(item) for item in _sequence(space.get("list"), f"{where}.list")),
        distribution=_optional_text(space.get("distribution")),
    )


def _resolve_v1beta1(
    template: Mapping[str, Any], values: Mapping[str, str], trial_name: str, namespace: str
) -> tuple[Mapping[str, Any], str | None]:
    if "trialSpec" not in template:
        raise ExperimentError(
            "spec.trialTemplate.trialSpec: missing (a configMap template needs the cluster)"
        )
    metadata = {
        "${trialSpec.Name}": trial_name,
        "${trialSpec.Namespace}": namespace,
        "${trialSpec.Kind}": str(_mapping(template["trialSpec"], "trialSpec").get("kind", "")),
        "${trialSpec.APIVersion}": str(template["trialSpec"].get("apiVersion", "")),
    }
    substitutions: dict[str, str] = {}
    for index, item in enumerate(_sequence(template.get("trialParameters"), "trialParameters")):
        entry = _mapping(item, f"spec.trialTemplate.trialParameters[{index}]")
        reference = str(entry.get("reference", ""))
        if reference in values:
            substitutions[str(entry.get("name"))] = values[reference]
        elif reference in metadata:
            substitutions[str(entry.get("name"))] = metadata[reference]
        else:
            raise ExperimentError(
                f"spec.trialTemplate.trialParameters[{index}].reference: "
                f"{reference!r} is neither a parameter nor supported trial metadata"
            )

    def substitute(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            if match.group(1) not in substitutions:
                raise ExperimentError(f"trialSpec: undefined placeholder {match.group(0)}")
            return substitutions[match.group(1)]

        return TRIAL_PARAMETER_PATTERN.sub(one, text)

    job = _map_strings(template["trialSpec"], substitute)
    primary = template.get("primaryContainerName")
    return _mapping(job, "spec.trialTemplate.trialSpec"), None if primary is None else str(primary)


def _resolve_go_template(
    template: Mapping[str, Any], values: Mapping[str, str], trial_name: str, namespace: str
) -> Mapping[str, Any]:
    go_template = _mapping(template.get("goTemplate"), "spec.trialTemplate.goTemplate")
    raw = go_template.get("rawTemplate")
    if not isinstance(raw, str):
        raise ExperimentError(
            "spec.trialTemplate.goTemplate.rawTemplate: missing (a templateSpec ConfigMap "
            "needs the cluster)"
        )
    context = {
        "Trial": trial_name,
        "NameSpace": namespace,
        "HyperParameters": [{"Name": name, "Value": value} for name, value in values.items()],
    }
    try:
        rendered = render_go_template(raw, context)
    except GoTemplateError as error:
        raise ExperimentError(f"spec.trialTemplate.goTemplate.rawTemplate: {error}") from error
    try:
        job = yaml.safe_load(rendered)
    except yaml.YAMLError as error:
        raise ExperimentError(f"rendered rawTemplate is not YAML: {error}") from error
    return _mapping(job, "rendered rawTemplate")


def _trial_run(job: Mapping[str, Any], primary: str | None) -> TrialRun:
    where = "trial Job: spec.template.spec"
    template = _mapping(_mapping(job.get("spec"), "trial Job: spec").get("template"), where)
    pod = _mapping(template.get("spec"), where)
    containers = [
        _mapping(c, f"{where}.containers[]") for c in _sequence(pod.get("containers"), where)
    ]
    if not containers:
        raise ExperimentError("trial Job has no containers (spec.template.spec.containers)")
    if primary is None:
        container = containers[0]
    else:
        matching = [c for c in containers if c.get("name") == primary]
        if not matching:
            raise ExperimentError(f"primary container {primary!r} not found in the trial Job")
        container = matching[0]
    command = [_text(part) for part in _sequence(container.get("command"), "command")]
    if not command:
        raise ExperimentError(
            f"container {container.get('name')!r} has no explicit command; the rig needs one"
        )
    command += [_text(part) for part in _sequence(container.get("args"), "args")]
    env = {
        str(item["name"]): _text(item.get("value", ""))
        for item in _sequence(container.get("env"), "env")
        if isinstance(item, Mapping) and "name" in item and "valueFrom" not in item
    }
    return TrialRun(
        image=str(container.get("image", "")),
        command=tuple(command),
        env=env,
        resources=copy.deepcopy(dict(_mapping(container.get("resources"), "resources"))),
        active_deadline_seconds=_deadline(job),
        working_dir=_optional_text(container.get("workingDir")),
    )


def _deadline(job: Mapping[str, Any]) -> int | None:
    if job.get("kind") != "Job":
        return None
    value = _mapping(job.get("spec"), "trial Job: spec").get("activeDeadlineSeconds")
    if value is None:
        return None
    # kubernetes pkg/apis/batch/validation ValidateJobSpec: ValidateNonnegativeField.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ExperimentError(
            "trial Job: spec.activeDeadlineSeconds: must be greater than or equal to 0 "
            f"(got {value!r})"
        )
    return value


def _map_strings(value: Any, function: Any) -> Any:
    if isinstance(value, str):
        return function(value)
    if isinstance(value, Mapping):
        return {key: _map_strings(item, function) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, function) for item in value]
    return value


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ExperimentError(f"{where}: expected a mapping (got {type(value).__name__})")
    return value


def _sequence(value: object, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ExperimentError(f"{where}: expected a list (got {type(value).__name__})")
    return value


def _text(value: object) -> str:
    """A YAML scalar as Katib would hold it: strings kept, booleans lower-case like Go."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _int(value: object, where: str) -> int:
    if isinstance(value, bool):
        raise ExperimentError(f"{where}: expected an integer (got {value!r})")
    try:
        return int(str(value))
    except ValueError as error:
        raise ExperimentError(f"{where}: expected an integer (got {value!r})") from error


def _optional_int(value: object, where: str) -> int | None:
    return None if value is None else _int(value, where)
