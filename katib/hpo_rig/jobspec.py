"""Katib's check that a ``batch/v1`` Job trial spec converts to a Job without losing anything.

kubeflow/katib v0.19.0 ``pkg/webhook/v1beta1/experiment/validator/validator.go``
(validateTrialJob, validatePatchJob) converts the trial template of kind Job with
``runtime.DefaultUnstructuredConverter.FromUnstructured`` into a ``batchv1.Job``, marshals the
Job back to JSON and diffs it against the template (mattbaird/jsonpatch CreatePatch). Any
operation but "remove" outside ``/resources/limits/`` and ``/resources/requests/`` refuses the
Experiment: ``unable to convert: /spec/template/spec/restartPolicyy - Never to Job, ...``.
So a field the Job type lacks (the conversion drops it: an "add"), a value of the wrong kind
(FromUnstructured fails: ``cannot convert int64 to string``) and a ``null`` (the Job omits or
zeroes it) are all refused. Only Job is converted; other kinds are left alone, as in Katib.

The Job's field tree comes from the ``kubernetes`` Python client's models (``openapi_types``
and ``attribute_map`` of V1Job, V1JobSpec, V1PodTemplateSpec, V1PodSpec, V1Container, ...),
generated from Kubernetes' OpenAPI: client N.x carries Kubernetes 1.N's API. Katib v0.19.0
builds with k8s.io/api v0.34.0 (Kubernetes 1.34), so a client newer than 34 may admit a field
added since that Katib still refuses, and an older one refuses fields Katib knows.

Not checked: a field set to its Go zero value (``hostNetwork: false``, ``env: []``) where the
Go type omits it when empty is also an "add" for Katib, but the models do not say which fields
are ``omitempty`` values rather than pointers.
"""

from __future__ import annotations

import ast
import datetime
import difflib
import functools
import importlib.util
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

KATIB_REFUSES = "Katib refuses a Job trialSpec that does not convert losslessly to batch/v1 Job"
_LIST = re.compile(r"^[Ll]ist\[(.+)\]$")
# Newer clients write Dict[str, str], older ones dict(str, str).
_DICT = re.compile(r"^(?:Dict\[str, (.+)\]|dict\(str, (.+)\))$")
# Maps of resource.Quantity that Katib's patch check skips (validatePatchJob's
# "/resources/limits/" and "/resources/requests/"): a number or any spelling of a quantity.
_QUANTITY_MAPS = {
    ("V1ResourceRequirements", "limits"),
    ("V1ResourceRequirements", "requests"),
    ("V1VolumeResourceRequirements", "limits"),
    ("V1VolumeResourceRequirements", "requests"),
}
_QUANTITY = "quantity"
# The client's leaf types (plus quantities); every other type name is a model of the client.
_LEAVES = ("str", "int", "float", "bool", "datetime", "date", "object", _QUANTITY)
FieldPath = tuple[str | int, ...]


class _Key(str):
    """A key of a map (labels, limits, ...), written key[name] in a field path."""


# Where the installed client keeps its generated models, read as data: importing the
# `kubernetes` package runs its __init__, which loads the kube config code, google-auth, the
# API classes and, through the models, pydantic (about 0.6 s, measured with -X importtime):
# `hpo-rig run` validates before its first trial and would start that much later.
_MODEL_IMPORT = re.compile(r"^\s*from kubernetes\.client\.models\.(\w+) import (\w+)$", re.M)
_TABLES = ("openapi_types", "attribute_map")


def _package_dir() -> Path:
    spec = importlib.util.find_spec("kubernetes")  # finds, does not import
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the kubernetes Python client is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def _model_files() -> dict[str, Path]:
    """Model class name -> its source file (client/models/__init__.py imports each by name)."""
    models = _package_dir() / "client" / "models"
    text = (models / "__init__.py").read_text(encoding="utf-8")
    return {name: models / f"{module}.py" for module, name in _MODEL_IMPORT.findall(text)}


@functools.cache
def _fields(model: str) -> dict[str, str]:
    """JSON field name -> the client's type string, for one model of the kubernetes client:
    its class's ``openapi_types`` and ``attribute_map`` literals (a plain assignment in older
    clients, a ``ClassVar`` annotated one in newer)."""
    tree = ast.parse(_model_files()[model].read_text(encoding="utf-8"))
    tables: dict[str, dict[str, str]] = {}
    for cls in tree.body:
        if not (isinstance(cls, ast.ClassDef) and cls.name == model):
            continue
        for node in cls.body:
            target: ast.expr
            value: ast.expr | None
            if isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in _TABLES and value is not None:
                tables[target.id] = ast.literal_eval(value)
    types, names = tables["openapi_types"], tables["attribute_map"]
    return {names[attribute]: kind for attribute, kind in types.items()}


@functools.cache
def _parse_quantity() -> Any:
    """The client's own ``parse_quantity`` (kubernetes/utils/quantity.py needs only the
    standard library), loaded from its file for the reason above."""
    path = _package_dir() / "utils" / "quantity.py"
    spec = importlib.util.spec_from_file_location("hpo_rig._kubernetes_quantity", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parse_quantity


def _go_name(model: str) -> str:
    """V1PodSpec -> PodSpec, as Katib's and Kubernetes' messages name the Go type."""
    return re.sub(r"^(?:Core)?V\d+(?:(?:alpha|beta)\d+)?", "", model)


def job_problems(trial_spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field path under the trial spec, message) for everything Katib's conversion refuses."""
    return list(_model(trial_spec, "V1Job", ()))


def _check(value: Any, kind: str, path: FieldPath, owner: str) -> Iterator[tuple[str, str]]:
    if value is None:
        # metav1.Time marshals its zero value as null, so null survives there.
        if kind != "datetime":
            yield (
                _where(path),
                (
                    f"is null, which does not survive the conversion ({_unable(path, value)}); "
                    f"remove it: {KATIB_REFUSES}"
                ),
            )
        return
    if list_match := _LIST.match(kind):
        if not isinstance(value, list):
            yield _where(path), _wrong(value, "a list")
            return
        for index, item in enumerate(value):
            yield from _check(item, list_match.group(1), (*path, index), owner)
        return
    if dict_match := _DICT.match(kind):
        if not isinstance(value, Mapping):
            yield _where(path), _wrong(value, "a mapping")
            return
        item_kind = dict_match.group(1) or dict_match.group(2)
        if path and (owner, str(path[-1])) in _QUANTITY_MAPS:
            item_kind = _QUANTITY
        for key, item in value.items():
            yield from _check(item, item_kind, (*path, _Key(key)), owner)
        return
    if kind not in _LEAVES:
        yield from _model(value, kind, path)
    elif problem := _scalar(value, kind):
        yield _where(path), _wrong(value, problem)


def _model(value: Any, model: str, path: FieldPath) -> Iterator[tuple[str, str]]:
    if not isinstance(value, Mapping):
        yield _where(path), _wrong(value, f"a mapping (a {_go_name(model)})")
        return
    fields = _fields(model)
    for key, item in value.items():
        where = (*path, str(key))
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            yield (
                _where(where),
                (
                    f"unknown field {key!r} in {_go_name(model)}{hint} ({_unable(where, item)}): "
                    f"{KATIB_REFUSES}"
                ),
            )
            continue
        yield from _check(item, fields[key], where, model)


def _scalar(value: Any, kind: str) -> str | None:
    """What ``value`` should have been for a leaf of this kind; None when it converts.

    apimachinery v0.34.0 runtime/converter.go fromUnstructured: no conversion between strings,
    numbers and booleans, except a float with no fraction into an integer field.
    """
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "str":
        # A YAML timestamp that Go's decoder keeps as text.
        ok = isinstance(value, str | datetime.date)
        return None if ok else "a string"
    if kind == "int":
        ok = number and float(value).is_integer()
        return None if ok else "an integer"
    if kind == "float":
        return None if number else "a number"
    if kind == "bool":
        return None if isinstance(value, bool) else "true or false"
    if kind in ("datetime", "date"):
        ok = isinstance(value, str | datetime.date)
        return None if ok else "an RFC 3339 time"
    if kind == _QUANTITY:
        return _quantity(value)
    # "object": int-or-string, raw JSON and the like take any value.
    return None


def _quantity(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return "a quantity such as 1, 500m or 2Gi"
    try:
        _parse_quantity()(value)
    except ValueError:
        return "a quantity such as 1, 500m or 2Gi"
    return None


def _wrong(value: Any, wanted: str) -> str:
    return (
        f"must be {wanted} (got {_json_kind(value)} {value!r}; unable to convert "
        f"spec.TrialTemplate to Job): {KATIB_REFUSES}"
    )


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _unable(path: FieldPath, value: Any) -> str:
    """Katib's own words for the first patch operation: the JSON pointer and Go's %v."""
    pointer = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return f"unable to convert: {pointer} - {_go_value(value)} to Job"


def _go_value(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_go_value(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_value(v) for v in value) + "]"
    return str(value)


def _where(path: FieldPath) -> str:
    """A field path the way the rest of the validator writes them: .a.b[0].labels[app]."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int | _Key) else f".{part}"
    return text
