"""Rendering Katib Experiments from a values mapping through the packaged Jinja templates.

One template per API version; the algorithm, its settings and the search space are data.
The environment mirrors Ansible's template defaults (``trim_blocks``) so the same templates
render identically there.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import yaml

from hpo_rig.experiment import API_VERSIONS, V1BETA1

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATES: dict[str, str] = {
    version: f"experiment-{version.split('/')[1]}.yaml.j2" for version in API_VERSIONS
}
# Values without which no Experiment can be rendered (dotted paths into the values).
REQUIRED: tuple[str, ...] = (
    "name",
    "algorithm",
    "objective.type",
    "objective.metric",
    "parameters",
    "image",
)


class RenderError(ValueError):
    """The values cannot be rendered into an Experiment."""


def api_version_of(value: str) -> str:
    """Accept ``v1beta1`` as well as ``kubeflow.org/v1beta1``."""
    version = value if "/" in value else f"kubeflow.org/{value}"
    if version not in API_VERSIONS:
        raise RenderError(f"api_version: expected one of {', '.join(API_VERSIONS)} (got {value!r})")
    return version


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": _json_default}
    return env


def _json_default(value: object) -> str:
    # `tojson` would report an undefined variable as "not JSON serializable"; str() of a
    # StrictUndefined raises the UndefinedError that names the variable.
    if isinstance(value, jinja2.Undefined):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def render_experiment_text(values: Mapping[str, Any], api_version: str | None = None) -> str:
    """The Experiment as YAML text. ``api_version`` overrides ``values['api_version']``
    (default v1beta1)."""
    version = api_version_of(api_version or str(values.get("api_version") or V1BETA1))
    _check_values(values, version)
    template_name = TEMPLATES[version]
    try:
        return environment().get_template(template_name).render(**values)
    except jinja2.UndefinedError as error:
        raise RenderError(f"{template_name}: missing variable: {error.message}") from error
    except jinja2.TemplateError as error:
        raise RenderError(f"{template_name}: {error}") from error
    except (TypeError, ValueError) as error:
        raise RenderError(f"{template_name}: bad value: {error}") from error


def render_experiment(values: Mapping[str, Any], api_version: str | None = None) -> dict[str, Any]:
    """The Experiment as a mapping, ready for the validator or the Kubernetes API."""
    text = render_experiment_text(values, api_version)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RenderError(f"rendered Experiment is not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise RenderError("rendered Experiment is not a mapping")
    return document


def load_values(path: str | Path) -> list[dict[str, Any]]:
    """The experiments' values in a values file.

    A file holds either one experiment's values, or shared values plus an ``experiments``
    list whose entries are laid over the shared ones (shallow merge).
    """
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RenderError(f"{path}: not YAML: {error}") from error
    if not isinstance(document, dict):
        raise RenderError(f"{path}: expected a mapping of values")
    if "experiments" not in document:
        return [document]
    entries = document["experiments"]
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise RenderError(f"{path}: experiments: expected a list of mappings")
    shared = {key: value for key, value in document.items() if key != "experiments"}
    return [{**shared, **entry} for entry in entries]


def _check_values(values: Mapping[str, Any], version: str) -> None:
    for dotted in REQUIRED:
        node: Any = values
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or node.get(part) in (None, "", [], {}):
                raise RenderError(f"values: missing required variable {dotted!r}")
            node = node[part]
    parameters = values["parameters"]
    if not isinstance(parameters, list):
        raise RenderError("values: parameters: expected a list")
    for index, parameter in enumerate(parameters):
        if not isinstance(parameter, Mapping) or not parameter.get("name"):
            raise RenderError(f"values: parameters[{index}]: missing required variable 'name'")
        if not parameter.get("type"):
            raise RenderError(f"values: parameters[{index}]: missing required variable 'type'")
    if values.get("early_stopping") and version != V1BETA1:
        raise RenderError(f"values: early_stopping: needs kubeflow.org/v1beta1 (not {version})")
