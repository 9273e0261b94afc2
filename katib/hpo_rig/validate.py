"""Checks an Experiment the way Katib's admission webhook and suggestion services would.

The rules follow kubeflow/katib ``pkg/webhook/v1beta1/experiment/validator`` and each
suggestion service's ``ValidateAlgorithmSettings``, so a problem shows up before ``kubectl
apply`` rather than as a rejected request or an Experiment stuck without suggestions. The rig
adds one rule of its own: the primary container should give an explicit ``command`` (Katib's pod
webhook otherwise looks the image's entrypoint up in a registry): an error for an image only on
the node (``imagePullPolicy: Never``), a warning otherwise.

Every problem names the field it is about, e.g.
``spec.parameters[1].feasibleSpace.min: must be less than max (got 0.5 >= 0.1)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import re2
import yaml

from hpo_rig.algorithms import (
    ALGORITHMS,
    EARLY_STOPPING_SETTINGS,
    GOPTUNA_ALGORITHMS,
    NAS_ALGORITHMS,
    REQUIRED_SETTINGS,
    SETTINGS,
    setting_problems,
)
from hpo_rig.defaults import apply_defaults
from hpo_rig.experiment import (
    API_VERSIONS,
    PARAMETER_TYPES,
    TRIAL_METADATA_PATTERN,
    TRIAL_PARAMETER_PATTERN,
    V1ALPHA2,
    V1ALPHA3,
    V1BETA1,
)
from hpo_rig.gotemplate import GoTemplateError, render_go_template
from hpo_rig.jobspec import job_problems
from hpo_rig.nas import nas_problems
from hpo_rig.schema import unknown_fields
from hpo_rig.settings_v1alpha2 import setting_problems as v1alpha2_setting_problems
from hpo_rig.yamlio import InputFileError, parse_all

COLLECTOR_KINDS: dict[str, tuple[str, ...]] = {
    # common/v1beta1/common_types.go at v0.19.0: no "None" kind any more.
    V1BETA1: ("StdOut", "File", "TensorFlowEvent", "PrometheusMetric", "Custom", "Push"),
    V1ALPHA3: ("StdOut", "File", "TensorFlowEvent", "PrometheusMetric", "Custom", "None"),
    V1ALPHA2: ("StdOut",),
}
DISTRIBUTIONS = ("uniform", "logUniform", "normal", "logNormal")
RESUME_POLICIES = ("", "Never", "LongRunning", "FromVolume")
METRIC_STRATEGIES = ("min", "max", "latest")
NAME_PATTERN = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
# validator.go ValidateExperiment: "may not be longer than 40 characters" (v1beta1).
MAX_NAME_LENGTH = 40
# Go's strconv.Atoi: an optional sign and decimal digits, nothing else ("1.0" is refused).
GO_ATOI = re.compile(r"^[+-]?[0-9]+$")
# Trial kinds whose primary container sits in a pod template's ``containers`` list; other kinds
# (Argo Workflow, Tekton PipelineRun, TrainJob) keep it elsewhere and are not checked.
POD_TEMPLATE_KINDS = ("Job", "TFJob", "PyTorchJob", "MPIJob", "XGBoostJob")
# The rig's own rules are stricter than Katib's webhook only where Katib would admit the
# Experiment and its suggestion or trials fail later; their messages say so.
FAILS_LATER = " (Katib admits this; the Experiment fails later)"
# A trial parameter spelled as Tekton spells its own parameters; Katib leaves it as it is.
OTHER_PLACEHOLDER = re.compile(r"\$\(trialParameters\.[^)\s]*\)")
# Katib's test that a metrics filter has (at least) two groups: name and value.
TWO_GROUPS = re.compile(r".*\(.*\).*\(.*\).*")
# RE2 logs every refused pattern to stderr unless told not to; the caller reports it instead.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


@dataclass(frozen=True)
class Problem:
    """One finding. A warning is something Katib admits and runs but that is likely a mistake,
    or a part the tool could not check; it does not make the Experiment invalid."""

    path: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{'warning: ' if self.warning else ''}{self.path}: {self.message}"


def errors(problems: list[Problem]) -> list[Problem]:
    """The findings that make an Experiment invalid (warnings left out)."""
    return [p for p in problems if not p.warning]


class _Report:
    """Collects problems; helpers return parsed values or None after reporting."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, warning=True))

    def mapping(self, value: Any, path: str, required: bool = True) -> Mapping[str, Any] | None:
        if value is None:
            if required:
                self.add(path, "must be specified")
            return None
        if not isinstance(value, Mapping):
            self.add(path, f"must be a mapping (got {type(value).__name__})")
            return None
        return value

    def sequence(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(path, f"must be a list (got {type(value).__name__})")
            return []
        return value

    def integer(self, value: Any, path: str) -> int | None:
        if value is None:
            return None
        # The API server decodes these into int32 fields: a quoted "3" is refused too.
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"must be an integer (got {value!r})")
            return None
        return value


def validate_experiment(document: Mapping[str, Any]) -> list[Problem]:
    """Every problem found in one Experiment document; an empty list means it is accepted."""
    report = _Report()
    version = document.get("apiVersion")
    if version not in API_VERSIONS:
        report.add("apiVersion", f"must be one of {', '.join(API_VERSIONS)} (got {version!r})")
        return report.problems
    if document.get("kind") != "Experiment":
        report.add("kind", f"must be Experiment (got {document.get('kind')!r})")
        return report.problems
    if version == V1BETA1:
        return _validate_v1beta1(apply_defaults(document), report)
    metadata = report.mapping(document.get("metadata"), "metadata") or {}
    name = str(metadata.get("name", ""))
    if not NAME_PATTERN.match(name):
        report.add(
            "metadata.name",
            "must consist of lower case alphanumeric characters or '-', start with a letter "
            f"and end with an alphanumeric character (got {name!r})",
        )
    spec = report.mapping(document.get("spec"), "spec")
    if spec is None:
        return report.problems
    _counts(spec, report)
    objective_ok = _objective(spec, version, report)
    parameters = _parameters(spec, version, report)
    if not parameters and not spec.get("parameters"):
        report.add("spec.parameters", "must be specified (a non-empty list)")
    if objective_ok:
        _algorithm(spec, version, parameters, report)
    _early_stopping(spec, version, report)
    _go_template(spec, report)
    _metrics_collector(spec, version, report)
    return report.problems


def _validate_v1beta1(document: Mapping[str, Any], report: _Report) -> list[Problem]:
    """Katib v0.19.0's order: strict decoding, then validator.go ValidateExperiment, then the
    suggestion service's ValidateAlgorithmSettings, then the rig's own rule."""
    for where, message in unknown_fields(document):
        report.add(where, message)
    metadata = report.mapping(document.get("metadata"), "metadata") or {}
    name = str(metadata.get("name", ""))
    if not NAME_PATTERN.match(name) or len(name) > MAX_NAME_LENGTH:
        report.add(
            "metadata.name",
            "must consist of lower case alphanumeric characters or '-', start with a letter "
            f"and end with an alphanumeric character, and may not be longer than "
            f"{MAX_NAME_LENGTH} characters (got {name!r})",
        )
    spec = report.mapping(document.get("spec"), "spec")
    if spec is None:
        return report.problems
    _counts(spec, report)
    before = len(report.problems)
    _objective(spec, V1BETA1, report)
    if len(report.problems) > before:  # validator.go stops after a bad objective
        return report.problems
    algorithm_known = _algorithm_name(spec, report)
    _early_stopping(spec, V1BETA1, report)
    if spec.get("resumePolicy", "") not in RESUME_POLICIES:
        report.add("spec.resumePolicy", "must be one of Never, LongRunning, FromVolume")
    has_parameters = bool(spec.get("parameters"))
    has_nas = spec.get("nasConfig") is not None
    _trial_template_v1beta1(spec, has_parameters, report)
    if not has_parameters and not has_nas:
        report.add("spec", "spec.parameters or spec.nasConfig must be specified")
    if has_parameters and has_nas:
        report.add("spec", "only one of spec.parameters and spec.nasConfig can be specified")
    parameters = _parameters(spec, V1BETA1, report) if has_parameters else []
    _metrics_collector(spec, V1BETA1, report)
    if algorithm_known:
        _algorithm(spec, V1BETA1, parameters, report)
    _primary_container_rule(spec, report)
    return report.problems


def _algorithm_name(spec: Mapping[str, Any], report: _Report) -> bool:
    """validator.go validateAlgorithm: a name the katib-config serves."""
    algorithm = report.mapping(spec.get("algorithm"), "spec.algorithm")
    if algorithm is None:
        return False
    name = str(algorithm.get("algorithmName") or "")
    if not name:
        report.add("spec.algorithm.algorithmName", "must be specified")
        return False
    known = ALGORITHMS[V1BETA1] + NAS_ALGORITHMS[V1BETA1]
    if name not in known:
        report.add(
            "spec.algorithm.algorithmName",
            f"unknown algorithm {name!r} for {V1BETA1} (known: {', '.join(known)})",
        )
        return False
    return True


def validate_text(text: str) -> list[Problem]:
    """Problems in every Experiment of a YAML stream; other kinds of documents are skipped."""
    try:
        documents = parse_all(text, "<yaml>")
    except InputFileError as error:
        # One line, "LINE:COLUMN: not valid YAML: ..." (yamlio, as every command reports it).
        return [Problem("<yaml>", str(error).removeprefix("<yaml>:"))]
    experiments = [d for d in documents if isinstance(d, Mapping) and d.get("kind") == "Experiment"]
    if not experiments:
        return [Problem("<document>", "no Experiment found")]
    problems: list[Problem] = []
    for index, document in enumerate(experiments):
        prefix = f"[{index}] " if len(experiments) > 1 else ""
        problems += [
            Problem(prefix + p.path, p.message, p.warning) for p in validate_experiment(document)
        ]
    return problems


def validate_file(path: str | Path) -> list[Problem]:
    return validate_text(Path(path).read_text(encoding="utf-8"))


# --- spec-level rules -------------------------------------------------------------------


def _counts(spec: Mapping[str, Any], report: _Report) -> None:
    maximum = report.integer(spec.get("maxTrialCount"), "spec.maxTrialCount")
    parallel = report.integer(spec.get("parallelTrialCount"), "spec.parallelTrialCount")
    failed = report.integer(spec.get("maxFailedTrialCount"), "spec.maxFailedTrialCount")
    if failed is not None and failed < 0:
        report.add("spec.maxFailedTrialCount", f"must not be less than 0 (got {failed})")
    if maximum is not None and maximum <= 0:
        report.add("spec.maxTrialCount", f"must be greater than 0 (got {maximum})")
    if parallel is not None and parallel <= 0:
        report.add("spec.parallelTrialCount", f"must be greater than 0 (got {parallel})")
    if failed is not None and maximum is not None and failed > maximum:
        report.add(
            "spec.maxFailedTrialCount",
            f"must be less than or equal to spec.maxTrialCount (got {failed} > {maximum})",
        )
    if parallel is not None and maximum is not None and parallel > maximum:
        report.add(
            "spec.parallelTrialCount",
            f"must be less than or equal to spec.maxTrialCount (got {parallel} > {maximum})",
        )


def _objective(spec: Mapping[str, Any], version: str, report: _Report) -> bool:
    objective = report.mapping(spec.get("objective"), "spec.objective")
    if objective is None:
        return False
    if objective.get("type") not in ("minimize", "maximize"):
        report.add(
            "spec.objective.type", f"must be minimize or maximize (got {objective.get('type')!r})"
        )
    metric = objective.get("objectiveMetricName")
    if not metric:
        report.add("spec.objective.objectiveMetricName", "must be specified")
    additional = report.sequence(
        objective.get("additionalMetricNames"), "spec.objective.additionalMetricNames"
    )
    if metric and metric in additional:
        report.add(
            "spec.objective.additionalMetricNames",
            f"must not contain the objective metric {metric!r}",
        )
    goal = objective.get("goal")
    if goal is not None and (isinstance(goal, bool) or not isinstance(goal, int | float)):
        report.add("spec.objective.goal", f"must be an unquoted number (got {goal!r})")
    if version == V1BETA1:
        names = {metric, *additional}
        strategies = report.sequence(
            objective.get("metricStrategies"), "spec.objective.metricStrategies"
        )
        for index, item in enumerate(strategies):
            path = f"spec.objective.metricStrategies[{index}]"
            entry = report.mapping(item, path) or {}
            if entry.get("name") not in names:
                report.add(f"{path}.name", f"{entry.get('name')!r} is not an objective metric")
            if entry.get("value") not in METRIC_STRATEGIES:
                report.add(
                    f"{path}.value", f"must be min, max or latest (got {entry.get('value')!r})"
                )
    return bool(metric)


@dataclass(frozen=True)
class _Parameter:
    name: str
    type: str
    min: Decimal | None
    max: Decimal | None
    step: Decimal | None
    values: tuple[str, ...]


def _parameters(spec: Mapping[str, Any], version: str, report: _Report) -> list[_Parameter]:
    items = report.sequence(spec.get("parameters"), "spec.parameters")
    if not items:
        return []
    hyperband_resource = _hyperband_resource(spec, version)
    parsed: list[_Parameter] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        path = f"spec.parameters[{index}]"
        entry = report.mapping(item, path)
        if entry is None:
            continue
        name = str(entry.get("name") or "")
        if not name:
            report.add(f"{path}.name", "must be specified")
        elif name in seen:
            report.add(f"{path}.name", f"duplicate parameter name {name!r}")
        seen.add(name)
        kind = str(entry.get("parameterType") or "")
        if kind not in PARAMETER_TYPES:
            report.add(
                f"{path}.parameterType",
                f"must be one of {', '.join(PARAMETER_TYPES)} (got {kind!r})",
            )
            continue
        space = report.mapping(entry.get("feasibleSpace"), f"{path}.feasibleSpace")
        if space is None:
            continue
        parsed.append(
            _feasible_space(
                name,
                kind,
                space,
                f"{path}.feasibleSpace",
                version,
                name == hyperband_resource,
                report,
            )
        )
    return parsed


def _feasible_space(
    name: str,
    kind: str,
    space: Mapping[str, Any],
    path: str,
    version: str,
    may_be_fixed: bool,
    report: _Report,
) -> _Parameter:
    items = report.sequence(space.get("list"), f"{path}.list")
    for position, item in enumerate(items):
        _quoted(item, f"{path}.list[{position}]", report)
    values = tuple(str(v) for v in items)
    distribution = space.get("distribution")
    if distribution is not None and version != V1BETA1:
        report.add(f"{path}.distribution", f"is not supported by {version}")
    elif distribution not in (None, "", *DISTRIBUTIONS):
        report.add(
            f"{path}.distribution",
            f"must be one of {', '.join(DISTRIBUTIONS)} (got {distribution!r})",
        )
    if kind in ("categorical", "discrete"):
        present = [key for key in ("min", "max", "step") if space.get(key) not in (None, "")]
        if present:
            report.add(path, f"{', '.join(present)} not supported for parameterType {kind}")
        if not values:
            report.add(f"{path}.list", f"must be a non-empty list for parameterType {kind}")
        if kind == "discrete":
            for position, value in enumerate(values):
                if _number(value) is None:
                    report.add(f"{path}.list[{position}]", f"must be a number (got {value!r})")
        return _Parameter(name, kind, None, None, None, values)
    if values:
        report.add(f"{path}.list", f"not supported for parameterType {kind}")
    bounds: dict[str, Decimal | None] = {}
    for key in ("min", "max", "step"):
        raw = space.get(key)
        if raw in (None, ""):
            bounds[key] = None
            if key != "step":
                report.add(
                    f"{path}.{key}", f"must be specified for parameterType {kind}{FAILS_LATER}"
                )
            continue
        _quoted(raw, f"{path}.{key}", report)
        number = _number(raw)
        if number is None or (kind == "int" and number != number.to_integral_value()):
            expected = "an integer" if kind == "int" else "a number"
            report.add(f"{path}.{key}", f"must be {expected} (got {raw!r})")
        bounds[key] = number
    low, high, step = bounds["min"], bounds["max"], bounds["step"]
    if low is not None and high is not None:
        if low > high or (low == high and not may_be_fixed):
            report.add(f"{path}.min", f"must be less than max (got {low} >= {high}){FAILS_LATER}")
        if distribution in ("logUniform", "logNormal") and low <= 0:
            report.add(
                f"{path}.min",
                f"must be greater than 0 for distribution {distribution}{FAILS_LATER}",
            )
    if step is not None and step <= 0:
        report.add(f"{path}.step", f"must be positive (got {step})")
    return _Parameter(name, kind, low, high, step, ())


def _hyperband_resource(spec: Mapping[str, Any], version: str) -> str | None:
    algorithm = spec.get("algorithm")
    if not isinstance(algorithm, Mapping) or algorithm.get("algorithmName") != "hyperband":
        return None
    # Katib 0.6 (v1alpha2) names it resourceName (hyperband_service.py).
    key = "resourceName" if version == V1ALPHA2 else "resource_name"
    for setting in algorithm.get("algorithmSettings") or []:
        if isinstance(setting, Mapping) and setting.get("name") == key:
            return str(setting.get("value"))
    return None


# --- algorithms ---------------------------------------------------------------------------


def _settings(value: Any, path: str, report: _Report) -> dict[str, str]:
    settings: dict[str, str] = {}
    for index, item in enumerate(report.sequence(value, path)):
        entry = report.mapping(item, f"{path}[{index}]") or {}
        name = str(entry.get("name") or "")
        if not name:
            report.add(f"{path}[{index}].name", "must be specified")
            continue
        value = entry.get("value", "")
        _quoted(value, f"{path}[{index}].value", report)
        settings[name] = str(value)
    return settings


def _algorithm(
    spec: Mapping[str, Any], version: str, parameters: list[_Parameter], report: _Report
) -> None:
    algorithm = report.mapping(spec.get("algorithm"), "spec.algorithm")
    if algorithm is None:
        return
    name = str(algorithm.get("algorithmName") or "")
    path = "spec.algorithm"
    if not name:
        report.add(f"{path}.algorithmName", "must be specified")
        return
    if name in NAS_ALGORITHMS[version]:
        if version != V1BETA1 or "nasConfig" not in spec:
            report.add(
                f"{path}.algorithmName",
                f"{name} is a neural-architecture-search algorithm: it needs spec.nasConfig",
            )
            return
        nas_settings = _settings(
            algorithm.get("algorithmSettings"), f"{path}.algorithmSettings", report
        )
        for where, problem in nas_problems(spec, name, nas_settings):
            report.add(where, problem)
        return
    if name not in ALGORITHMS[version]:
        report.add(
            f"{path}.algorithmName",
            f"unknown algorithm {name!r} for {version} (known: {', '.join(ALGORITHMS[version])})",
        )
        return
    settings = _settings(algorithm.get("algorithmSettings"), f"{path}.algorithmSettings", report)
    if version == V1ALPHA2:
        for where, problem, warning in v1alpha2_setting_problems(name, settings, spec):
            (report.warn if warning else report.add)(where, problem)
        return
    schema = SETTINGS[name]
    for key, problem in setting_problems(schema, name, settings):
        report.add(f"{path}.algorithmSettings[{key}]", problem)
    for key in REQUIRED_SETTINGS.get(name, ()):
        if key not in settings:
            report.add(f"{path}.algorithmSettings[{key}]", f"must be set for {name}")
    if name in GOPTUNA_ALGORITHMS:
        _goptuna_bounds(spec, report)
    if name == "grid":
        _grid(spec, parameters, report)
    elif name == "cmaes" and sum(p.type in ("int", "double") for p in parameters) < 2:
        report.add("spec.parameters", "cmaes needs at least two int or double parameters")
    elif name == "hyperband":
        _hyperband(spec, settings, parameters, report)


def _grid(spec: Mapping[str, Any], parameters: list[_Parameter], report: _Report) -> None:
    combinations = 1
    for index, parameter in enumerate(parameters):
        if parameter.type in ("categorical", "discrete"):
            combinations *= max(len(parameter.values), 1)
            continue
        if parameter.min is None or parameter.max is None:
            return
        step = parameter.step
        if step is None and parameter.type == "double":
            report.add(
                f"spec.parameters[{index}].feasibleSpace.step",
                "must be specified for a double parameter with the grid algorithm",
            )
            return
        step = step or Decimal(1)
        if step <= 0:
            return
        combinations *= int((parameter.max - parameter.min) / step) + 1
    maximum = spec.get("maxTrialCount")
    if isinstance(maximum, int) and maximum > combinations:
        report.add(
            "spec.maxTrialCount",
            f"exceeds the {combinations} combinations of the grid (got {maximum})",
        )


def _hyperband(
    spec: Mapping[str, Any],
    settings: Mapping[str, str],
    parameters: list[_Parameter],
    report: _Report,
) -> None:
    path = "spec.algorithm.algorithmSettings"
    for required in ("r_l", "resource_name"):
        if required not in settings:
            report.add(f"{path}[{required}]", "must be set for hyperband")
    resource = settings.get("resource_name")
    if resource and resource not in {p.name for p in parameters}:
        report.add(f"{path}[resource_name]", f"{resource!r} is not a parameter")
    try:
        r_l = float(settings["r_l"])
        eta = int(float(settings.get("eta", "3")))
    except (KeyError, ValueError, OverflowError):
        return
    # hyperband/service.py ValidateAlgorithmSettings: an eta of 0 or less means 3.
    eta = 3 if eta <= 0 else eta
    if r_l <= 0 or eta <= 1:
        return
    needed = math.ceil(eta ** int(math.log(r_l) / math.log(eta)))
    parallel = spec.get("parallelTrialCount", 3)
    if isinstance(parallel, int) and parallel < needed:
        report.add(
            "spec.parallelTrialCount",
            f"must be at least {needed} for hyperband with eta={eta} and r_l={r_l:g} "
            f"(got {parallel})",
        )


def _goptuna_bounds(spec: Mapping[str, Any], report: _Report) -> None:
    """goptuna/converter.go toGoptunaSearchSpace: int bounds go through strconv.Atoi."""
    for index, item in enumerate(spec.get("parameters") or []):
        if not isinstance(item, Mapping) or item.get("parameterType") != "int":
            continue
        space = item.get("feasibleSpace")
        if not isinstance(space, Mapping):
            continue
        for key in ("min", "max", "step"):
            raw = space.get(key)
            if raw not in (None, "") and not GO_ATOI.match(str(raw)):
                report.add(
                    f"spec.parameters[{index}].feasibleSpace.{key}",
                    f"must be a plain integer for goptuna's strconv.Atoi (got {raw!r})",
                )


def _early_stopping(spec: Mapping[str, Any], version: str, report: _Report) -> None:
    if spec.get("earlyStopping") is None:
        return
    path = "spec.earlyStopping"
    if version != V1BETA1:
        report.add(path, f"is not supported by {version}")
        return
    early = report.mapping(spec["earlyStopping"], path) or {}
    name = str(early.get("algorithmName") or "")
    schema = EARLY_STOPPING_SETTINGS.get(name)
    if schema is None:
        report.add(
            f"{path}.algorithmName",
            f"unknown early stopping algorithm {name!r} (known: medianstop)",
        )
        return
    settings = _settings(early.get("algorithmSettings"), f"{path}.algorithmSettings", report)
    for key, problem in setting_problems(schema, name, settings):
        report.add(f"{path}.algorithmSettings[{key}]", problem)


# --- trial templates ---------------------------------------------------------------------


def _trial_template_v1beta1(spec: Mapping[str, Any], has_parameters: bool, report: _Report) -> None:
    """validator.go validateTrialTemplate, after the defaults of experiment_defaults.go."""
    path = "spec.trialTemplate"
    template = report.mapping(spec.get("trialTemplate"), path)
    if template is None:
        return
    if "goTemplate" in template:
        report.add(f"{path}.goTemplate", "is v1alpha3/v1alpha2 syntax; v1beta1 uses trialSpec")
    if not template.get("primaryContainerName"):
        report.add(f"{path}.primaryContainerName", "must be specified")
    if not template.get("successCondition") or not template.get("failureCondition"):
        # Defaults exist only for batch Jobs and Kubeflow training jobs.
        report.add(path, "successCondition and failureCondition must be specified")
    if template.get("trialParameters") is None:
        report.add(f"{path}.trialParameters", "must be specified")
        return
    has_spec = template.get("trialSpec") is not None
    has_map = template.get("configMap") is not None
    if not has_spec and not has_map:
        report.add(
            f"{path}.trialSpec",
            "spec.trialTemplate.trialSpec or spec.trialTemplate.configMap must be specified",
        )
        return
    if has_spec and has_map:
        report.add(
            path,
            "only one of spec.trialTemplate.trialSpec or spec.trialTemplate.configMap "
            "can be specified",
        )
        return
    if has_map:
        config_map = report.mapping(template["configMap"], f"{path}.configMap") or {}
        if not all(
            config_map.get(k) for k in ("configMapName", "configMapNamespace", "templatePath")
        ):
            report.add(
                f"{path}.configMap",
                "configMapName, configMapNamespace and templatePath must be specified",
            )
        # Katib reads the template out of the ConfigMap in the cluster; it is not here to check.
        return
    trial_spec = report.mapping(template.get("trialSpec"), f"{path}.trialSpec")
    if trial_spec is None:
        return
    if not _trial_parameters(template, spec, has_parameters, yaml.safe_dump(trial_spec), report):
        return
    metadata = trial_spec.get("metadata") or {}
    if isinstance(metadata, Mapping) and (metadata.get("name") or metadata.get("namespace")):
        report.add(f"{path}.trialSpec.metadata", "name and namespace must be omitted")
    for key in ("apiVersion", "kind"):
        if not trial_spec.get(key):
            report.add(f"{path}.trialSpec.{key}", "must be specified")
    # validateTrialJob: only a batch/v1 Job is converted (and must convert losslessly).
    if trial_spec.get("apiVersion") == "batch/v1" and trial_spec.get("kind") == "Job":
        for where, problem in job_problems(trial_spec):
            report.add(f"{path}.trialSpec{where}", problem)


def _trial_parameters(
    template: Mapping[str, Any],
    spec: Mapping[str, Any],
    has_parameters: bool,
    text: str,
    report: _Report,
) -> bool:
    """The trialParameters loop of validateTrialTemplate; False where Katib stops there."""
    path = "spec.trialTemplate.trialParameters"
    parameter_names = {
        str(p.get("name")) for p in spec.get("parameters") or [] if isinstance(p, Mapping)
    }
    names: set[str] = set()
    references: set[str] = set()
    for index, item in enumerate(report.sequence(template["trialParameters"], path)):
        entry = report.mapping(item, f"{path}[{index}]") or {}
        name, reference = str(entry.get("name") or ""), str(entry.get("reference") or "")
        if not name or not reference or "{" in name or "}" in name:
            report.add(
                f"{path}[{index}]",
                "name and reference must be specified and name must not contain '{' or '}'",
            )
            continue
        if name in names:
            report.add(f"{path}[{index}].name", f"duplicate trial parameter name {name!r}")
            continue
        if reference in references:
            report.add(f"{path}[{index}].reference", f"duplicate reference {reference!r}")
            continue
        names.add(name)
        references.add(reference)
        # Checked against spec.parameters only when there are any (not for nasConfig).
        if (
            has_parameters
            and reference not in parameter_names
            and not TRIAL_METADATA_PATTERN.match(reference)
        ):
            report.add(
                f"{path}[{index}].reference",
                f"{reference!r} is neither a parameter in spec.parameters nor trial metadata "
                "such as ${trialSpec.Name}",
            )
        placeholder = f"${{trialParameters.{name}}}"
        if placeholder not in text:
            report.add(f"{path}[{index}].name", _unused_trial_parameter(placeholder, text))
            return False
        text = text.replace(placeholder, "test-value")
    for undefined in sorted(set(TRIAL_PARAMETER_PATTERN.findall(text))):
        report.add(
            "spec.trialTemplate.trialSpec",
            f"${{trialParameters.{undefined}}} is not defined in trialParameters",
        )
    # Katib admits a search parameter no trial receives, and tunes it for nothing.
    for index, parameter in enumerate(spec.get("parameters") or []):
        unused = parameter.get("name") if isinstance(parameter, Mapping) else None
        if unused and unused not in references:
            report.warn(
                f"spec.parameters[{index}].name",
                f"{unused!r} is never passed to the trial (no trialParameters reference names "
                "it): Katib admits this and searches it for nothing",
            )
    return True


def _unused_trial_parameter(placeholder: str, text: str) -> str:
    """validateTrialTemplate's "parameter name: NAME in spec.trialParameters not found in
    spec.trialTemplate", and why, where the template spells placeholders another way."""
    message = f"{placeholder} not found in spec.trialTemplate (Katib refuses an unused one)"
    # consts.TrialTemplateParamReplaceFormat is "${trialParameters.%v}": nothing else is
    # substituted (examples/v1beta1/tekton/pipeline-run.yaml writes "$(trialParameters.lr)").
    others = sorted(set(OTHER_PLACEHOLDER.findall(text)))
    if others:
        message += f"; Katib substitutes only ${{trialParameters.NAME}}, not {', '.join(others)}"
    return message


def _containers(node: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every container under any ``containers`` list (Job, TFJob, PyTorchJob, ...)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "containers" and isinstance(value, list):
                for index, container in enumerate(value):
                    if isinstance(container, Mapping):
                        yield f"{path}.containers[{index}]", container
            else:
                yield from _containers(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _containers(item, f"{path}[{index}]")


def _primary_container_rule(spec: Mapping[str, Any], report: _Report) -> None:
    """The rig's own rule: the primary container exists and gives an explicit command."""
    template = spec.get("trialTemplate")
    if not isinstance(template, Mapping) or not template.get("primaryContainerName"):
        return
    path = "spec.trialTemplate"
    if template.get("configMap") is not None:
        report.warn(
            f"{path}.configMap",
            "the trial template is in the cluster's ConfigMap: its primary container and "
            "command are not checked here",
        )
        return
    trial_spec = template.get("trialSpec")
    if not isinstance(trial_spec, Mapping):
        return
    if trial_spec.get("kind") not in POD_TEMPLATE_KINDS:
        # Argo, Tekton, TrainJob, ...: the container is not in a pod template's list.
        report.warn(
            f"{path}.trialSpec.kind",
            f"hpo-rig does not know where a {trial_spec.get('kind')!r} keeps its containers: "
            f"the primary container {template['primaryContainerName']!r} is not checked",
        )
        return
    primary = str(template["primaryContainerName"])
    path = "spec.trialTemplate.trialSpec"
    matching = [(w, c) for w, c in _containers(trial_spec, path) if c.get("name") == primary]
    if not matching:
        report.add(path, f"has no container named {primary!r} (the primaryContainerName)")
        return
    where, container = matching[0]
    if container.get("command"):
        return
    # Katib v0.19.0 pkg/webhook/v1beta1/pod/utils.go getContainerCommand: without a command the
    # pod webhook reads the entrypoint from the image's registry as each trial pod is created.
    # That works for a published image (examples/v1beta1/kubeflow-training-operator/
    # xgboostjob-lightgbm.yaml); imagePullPolicy Never says the image is only on the node.
    if container.get("imagePullPolicy") == "Never":
        report.add(
            f"{where}.command",
            "must be given explicitly for an image only on the node (imagePullPolicy Never): "
            "Katib's pod webhook looks the entrypoint up in the image's registry" + FAILS_LATER,
        )
    else:
        report.warn(
            f"{where}.command",
            "not given: Katib's pod webhook looks the image's entrypoint up in its registry "
            "for each trial pod, which fails for an image imported only into the node",
        )


def _go_template(spec: Mapping[str, Any], report: _Report) -> None:
    path = "spec.trialTemplate"
    template = report.mapping(spec.get("trialTemplate"), path)
    if template is None:
        return
    go_template = report.mapping(template.get("goTemplate"), f"{path}.goTemplate")
    if go_template is None:
        return
    raw = go_template.get("rawTemplate")
    if raw is None:
        reference = report.mapping(
            go_template.get("templateSpec"), f"{path}.goTemplate.templateSpec"
        )
        for key in ("configMapName", "configMapNamespace", "templatePath"):
            if reference is not None and not reference.get(key):
                report.add(f"{path}.goTemplate.templateSpec.{key}", "must be specified")
        return
    raw_path = f"{path}.goTemplate.rawTemplate"
    if not isinstance(raw, str):
        report.add(raw_path, "must be a string")
        return
    if ".HyperParameters" not in raw:
        report.add(raw_path, "never uses .HyperParameters, so no trial gets its parameters")
    sample = {
        "Trial": "trial-name",
        "NameSpace": "namespace",
        "HyperParameters": [{"Name": "--name", "Value": "1"}],
    }
    try:
        job = yaml.safe_load(render_go_template(raw, sample))
    except GoTemplateError as error:
        report.add(raw_path, str(error))
        return
    except yaml.YAMLError as error:
        report.add(raw_path, f"does not render to YAML: {error}")
        return
    if not isinstance(job, Mapping) or not job.get("apiVersion") or not job.get("kind"):
        report.add(raw_path, "must render to a resource with apiVersion and kind")
        return
    containers = list(_containers(job, "rawTemplate"))
    if not containers:
        report.add(raw_path, "renders no containers")
    elif not containers[0][1].get("command"):
        report.add(raw_path, f"{containers[0][0]}.command must be given explicitly")


def _metrics_collector(spec: Mapping[str, Any], version: str, report: _Report) -> None:
    path = "spec.metricsCollectorSpec"
    collector_spec = report.mapping(spec.get("metricsCollectorSpec"), path, required=False)
    if collector_spec is None or version == V1ALPHA2:
        return
    if version == V1BETA1:
        _metrics_collector_v1beta1(collector_spec, report)
        _metrics_filters(collector_spec, report)
        return
    collector = report.mapping(collector_spec.get("collector"), f"{path}.collector", False) or {}
    kind = collector.get("kind", "StdOut")
    if kind not in COLLECTOR_KINDS[version]:
        report.add(
            f"{path}.collector.kind",
            f"must be one of {', '.join(COLLECTOR_KINDS[version])} (got {kind!r})",
        )
    source = report.mapping(collector_spec.get("source"), f"{path}.source", False) or {}
    file_path = report.mapping(source.get("fileSystemPath"), f"{path}.source.fileSystemPath", False)
    if kind in ("File", "TensorFlowEvent"):
        wanted = "File" if kind == "File" else "Directory"
        if (
            file_path is None
            or file_path.get("kind") != wanted
            or not str(file_path.get("path", "")).startswith("/")
        ):
            report.add(
                f"{path}.source.fileSystemPath",
                f"an absolute path of kind {wanted} is required by the {kind} collector",
            )
    if (
        kind == "File"
        and file_path is not None
        and version == V1BETA1
        and file_path.get("format") not in ("TEXT", "JSON")
    ):
        report.add(f"{path}.source.fileSystemPath.format", "must be TEXT or JSON")
    if kind == "Custom" and not collector.get("customCollector"):
        report.add(f"{path}.collector.customCollector", "is required by the Custom collector")
    _metrics_filters(collector_spec, report)


def _metrics_filters(collector_spec: Mapping[str, Any], report: _Report) -> None:
    path = "spec.metricsCollectorSpec"
    source = report.mapping(collector_spec.get("source"), f"{path}.source", False) or {}
    filters = report.mapping(source.get("filter"), f"{path}.source.filter", False) or {}
    formats = report.sequence(filters.get("metricsFormat"), f"{path}.source.filter.metricsFormat")
    for index, pattern in enumerate(formats):
        where = f"{path}.source.filter.metricsFormat[{index}]"
        if error := _regexp_error(str(pattern)):
            report.add(where, f"invalid filter: {error}")
            continue
        if not TWO_GROUPS.match(str(pattern)):
            report.add(where, "needs two groups: the metric name, then its value")


def _metrics_collector_v1beta1(collector_spec: Mapping[str, Any], report: _Report) -> None:
    """validator.go validateMetricsCollector, after experiment_defaults.go's defaults."""
    path = "spec.metricsCollectorSpec"
    collector = report.mapping(collector_spec.get("collector"), f"{path}.collector", False) or {}
    kind = collector.get("kind", "")
    source = report.mapping(collector_spec.get("source"), f"{path}.source", False) or {}
    file_path = report.mapping(source.get("fileSystemPath"), f"{path}.source.fileSystemPath", False)
    fs = file_path or {}
    absolute = str(fs.get("path", "")).startswith("/")
    if kind in ("StdOut", "Push"):
        return
    if kind == "File":
        if file_path is None or fs.get("kind") != "File" or not absolute:
            report.add(
                f"{path}.source.fileSystemPath.path",
                "file path where metrics file exists is required",
            )
        if fs.get("format") not in ("TEXT", "JSON"):
            report.add(f"{path}.source.fileSystemPath.format", "must be TEXT or JSON")
        if fs.get("format") == "JSON" and source.get("filter") is not None:
            report.add(
                f"{path}.source.filter", "filter must be nil when format of metrics file is json"
            )
    elif kind == "TensorFlowEvent":
        if file_path is None or fs.get("kind") != "Directory" or not absolute:
            report.add(
                f"{path}.source",
                "an absolute directory path (kind Directory) where the tensorflow event files "
                "exist is required in .fileSystemPath",
            )
        if fs.get("format"):
            report.add(
                f"{path}.source.fileSystemPath.format", f"must be empty (got {fs['format']!r})"
            )
    elif kind == "PrometheusMetric":
        http_get = report.mapping(source.get("httpGet"), f"{path}.source.httpGet", False) or {}
        port = str(http_get.get("port", ""))
        if not GO_ATOI.match(port) or int(port) <= 0:
            report.add(
                f"{path}.source.httpGet.port",
                "must be a positive integer value for metrics collector kind PrometheusMetric "
                f"(got {port!r})",
            )
        if not str(http_get.get("path", "")).startswith("/"):
            report.add(
                f"{path}.source.httpGet.path",
                "path is invalid for metrics collector kind PrometheusMetric "
                f"(got {http_get.get('path')!r})",
            )
    elif kind == "Custom":
        if not collector.get("customCollector"):
            report.add(f"{path}.collector.customCollector", "is required by the Custom collector")
        if file_path is not None and (not absolute or fs.get("kind") not in ("Directory", "File")):
            report.add(
                f"{path}.source.fileSystemPath",
                "an absolute path of kind Directory or File is required",
            )
    else:
        report.add(
            f"{path}.collector.kind",
            f"must be one of {', '.join(COLLECTOR_KINDS[V1BETA1])} (got {kind!r})",
        )


def _regexp_error(pattern: str) -> str | None:
    """Why Katib's ``regexp.Compile`` (Go's RE2 syntax) would refuse ``pattern``; None if not.

    validator.go validateMetricsCollector (v0.19.0) compiles each metricsFormat with Go's
    regexp; google-re2 parses the same RE2 syntax: no look-arounds or back-references, but
    ``\\z`` and ``\\p{L}``. The text of the reason is RE2's own wording.
    """
    try:
        re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as error:
        reason = error.args[0] if error.args else ""
        return reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    return None


def _quoted(value: Any, path: str, report: _Report) -> None:
    # Katib decodes these into Go string fields: an unquoted YAML number is refused.
    if not isinstance(value, str):
        report.add(path, f'must be a quoted string, e.g. "{value}" (got a {type(value).__name__})')


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
