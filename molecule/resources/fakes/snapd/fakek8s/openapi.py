"""OpenAPI documents of the stand-in API, generated from the kinds it serves.

Upstream serves /openapi/v2 (k8s.io/kube-openapi/pkg/handler) and
/openapi/v3 with one document per group-version
(k8s.io/kube-openapi/pkg/handler3: the index lists
`{"paths": {"apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=…"}}}`).
kubectl reads them for:

- `apply`/`create` field validation: it sends `fieldValidation=Strict` when the
  group-version's v3 document lists that parameter on the kind's PATCH
  operation (k8s.io/cli-runtime/pkg/resource/query_param_verifier_v3.go);
- `apply` patches: computed from the v3 schema when its PATCH operation
  accepts `application/strategic-merge-patch+json`, else from kubectl's
  built-in types (strategic merge, built-in kinds) or as a JSON merge patch
  (custom resources) (k8s.io/kubectl/pkg/cmd/apply/patcher.go, patchSimple);
- `explain`: the component schema tagged with the kind's
  `x-kubernetes-group-version-kind`.

Minimal: a custom resource's schema is its CRD's openAPIV3Schema (with
apiVersion, kind and metadata added, as the apiextensions server publishes it);
a built-in kind's schema has its top-level fields only (apiVersion, kind,
metadata with ObjectMeta's common fields, spec and status as objects without
their fields), so `kubectl explain deployment.spec.replicas` finds nothing
below `spec`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .resources import WITH_STATUS, Kind

META = "io.k8s.apimachinery.pkg.apis.meta.v1"

_STR = {"type": "string"}

# ObjectMeta, the fields the roles set or read (descriptions shortened from
# staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go).
OBJECT_META: dict[str, Any] = {
    "description": "ObjectMeta is metadata that all persisted resources must have, "
    "which includes all objects users must create.",
    "type": "object",
    "properties": {
        "name": {**_STR, "description": "Name must be unique within a namespace."},
        "generateName": {
            **_STR,
            "description": "GenerateName is an optional prefix, used by the server, to "
            "generate a unique name ONLY IF the Name field has not been provided.",
        },
        "namespace": {
            **_STR,
            "description": "Namespace defines the space within which each name must be unique.",
        },
        "uid": {
            **_STR,
            "description": "UID is the unique in time and space value for this object.",
        },
        "resourceVersion": {
            **_STR,
            "description": "An opaque value that represents the internal version of this object.",
        },
        "generation": {
            "type": "integer",
            "format": "int64",
            "description": "A sequence number representing a specific generation of the "
            "desired state.",
        },
        "creationTimestamp": {
            **_STR,
            "format": "date-time",
            "description": "CreationTimestamp is a timestamp representing the server time "
            "when this object was created.",
        },
        "deletionTimestamp": {**_STR, "format": "date-time"},
        "labels": {
            "type": "object",
            "additionalProperties": {**_STR, "default": ""},
            "description": "Map of string keys and values that can be used to organize and "
            "categorize (scope and select) objects.",
        },
        "annotations": {
            "type": "object",
            "additionalProperties": {**_STR, "default": ""},
            "description": "Annotations is an unstructured key value map stored with a "
            "resource that may be set by external tools to store and retrieve arbitrary "
            "metadata.",
        },
        "finalizers": {"type": "array", "items": {**_STR, "default": ""}},
        "ownerReferences": {
            "type": "array",
            "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "x-kubernetes-patch-merge-key": "uid",
            "x-kubernetes-patch-strategy": "merge",
        },
        "managedFields": {
            "type": "array",
            "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "description": "ManagedFields maps workflow-id and version to the set of fields "
            "that are managed by that workflow.",
        },
    },
}

# Query parameters of a PATCH operation (the ones kubectl looks for).
PATCH_PARAMETERS = [
    {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
    for name in ("dryRun", "fieldManager", "fieldValidation", "force")
]


def schema_name(kind: Kind) -> str:
    """Upstream's definition names: io.k8s.api.apps.v1.Deployment, org.kubeflow.v1beta1.X."""
    if kind.custom:
        return ".".join([*reversed(kind.group.split(".")), kind.version, kind.kind])
    group = kind.group.removesuffix(".k8s.io").replace(".authorization", "") or "core"
    if kind.group == "apiextensions.k8s.io":
        return f"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{kind.version}.{kind.kind}"
    return f"io.k8s.api.{group.replace('.', '')}.{kind.version}.{kind.kind}"


def _gvk(kind: Kind) -> dict[str, str]:
    return {"group": kind.group, "version": kind.version, "kind": kind.kind}


def kind_schema(kind: Kind, crd: dict[str, Any] | None, ref_prefix: str) -> dict[str, Any]:
    base: dict[str, Any] = {}
    if crd is not None:
        version: dict[str, Any] = next(
            (v for v in crd["spec"].get("versions", []) if v.get("name") == kind.version), {}
        )
        base = json.loads(json.dumps(version.get("schema", {}).get("openAPIV3Schema") or {}))
    properties = base.setdefault("properties", {})
    base.setdefault("type", "object")
    properties["apiVersion"] = {
        **_STR,
        "description": "APIVersion defines the versioned schema of this representation "
        "of an object.",
    }
    properties["kind"] = {
        **_STR,
        "description": "Kind is a string value representing the REST resource this object "
        "represents.",
    }
    properties["metadata"] = {
        "allOf": [{"$ref": f"{ref_prefix}{META}.ObjectMeta"}],
        "default": {},
        "description": "Standard object's metadata.",
    }
    if crd is None:
        base["description"] = f"{kind.kind} (schema of the hpo-rig stand-in: top-level fields)."
        if kind.kind not in ("Namespace", "ConfigMap", "Secret", "Event"):
            properties.setdefault(
                "spec",
                {"type": "object", "description": f"Spec of the {kind.kind}."},
            )
        if kind.kind in WITH_STATUS:
            properties.setdefault(
                "status", {"type": "object", "description": f"Status of the {kind.kind}."}
            )
        if kind.kind in ("ConfigMap", "Secret"):
            properties["data"] = {"type": "object", "additionalProperties": _STR}
        if kind.kind == "Secret":
            properties["stringData"] = {"type": "object", "additionalProperties": _STR}
            properties["type"] = _STR
    base["x-kubernetes-group-version-kind"] = [_gvk(kind)]
    return base


def _path(kind: Kind) -> str:
    prefix = f"/apis/{kind.group}/{kind.version}" if kind.group else f"/api/{kind.version}"
    scope = "/namespaces/{namespace}" if kind.namespaced else ""
    return f"{prefix}{scope}/{kind.plural}/{{name}}"


def _patch_operation(kind: Kind, ref: str, strategic: bool) -> dict[str, Any]:
    media = ["application/json-patch+json", "application/merge-patch+json"]
    if strategic:
        media.append("application/strategic-merge-patch+json")
    media.append("application/apply-patch+yaml")
    return {
        "operationId": f"patch{kind.kind}",
        "parameters": PATCH_PARAMETERS,
        "requestBody": {
            "content": {m: {"schema": {"type": "object"}} for m in media},
            "required": True,
        },
        "responses": {"200": {"content": {"application/json": {"schema": {"$ref": ref}}}}},
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": _gvk(kind),
    }


def v3_document(
    kinds: list[Kind], crds: dict[tuple[str, str], dict[str, Any]], group: str, version: str
) -> dict[str, Any] | None:
    mine = [k for k in kinds if (k.group, k.version) == (group, version)]
    if not mine:
        return None
    schemas: dict[str, Any] = {f"{META}.ObjectMeta": OBJECT_META}
    paths: dict[str, Any] = {}
    for kind in mine:
        name = schema_name(kind)
        ref = f"#/components/schemas/{name}"
        schemas[name] = kind_schema(
            kind, crds.get((kind.group, kind.kind)), "#/components/schemas/"
        )
        # The v3 PATCH operations leave out strategic merge: with it kubectl
        # would compute its apply patch from these shallow schemas (and warn
        # "unable to find api field"); without it kubectl uses its built-in
        # types' patch metadata, the real merge keys.
        paths[_path(kind)] = {"patch": _patch_operation(kind, ref, strategic=False)}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "unversioned"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def v3_index(kinds: list[Kind], crds: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    paths = {}
    for group, version in sorted({(k.group, k.version) for k in kinds}):
        document = v3_document(kinds, crds, group, version)
        digest = hashlib.sha512(json.dumps(document, sort_keys=True).encode()).hexdigest()
        gv = _gv_path(group, version)
        paths[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash={digest[:128].upper()}"}
    return {"paths": paths}


def v2_document(kinds: list[Kind], crds: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """One Swagger 2.0 document for every kind (JSON only)."""
    definitions: dict[str, Any] = {f"{META}.ObjectMeta": OBJECT_META}
    paths: dict[str, Any] = {}
    for kind in kinds:
        name = schema_name(kind)
        definitions[name] = kind_schema(kind, crds.get((kind.group, kind.kind)), "#/definitions/")
        operation = _patch_operation(kind, f"#/definitions/{name}", strategic=not kind.custom)
        paths[_path(kind)] = {
            "patch": {
                "operationId": operation["operationId"],
                "consumes": list(operation["requestBody"]["content"]),
                "produces": ["application/json"],
                "parameters": [{**p, "type": "string"} for p in PATCH_PARAMETERS],
                "responses": {"200": {"schema": {"$ref": f"#/definitions/{name}"}}},
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": _gvk(kind),
            }
        }
    for definition in definitions.values():
        _v2_refs(definition)
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": "unversioned"},
        "paths": paths,
        "definitions": definitions,
    }


def _v2_refs(node: Any) -> None:
    """Swagger 2.0 has no allOf-wrapped $ref for metadata: use the plain $ref."""
    if isinstance(node, dict):
        metadata = node.get("properties", {}).get("metadata")
        if isinstance(metadata, dict) and "allOf" in metadata:
            node["properties"]["metadata"] = {
                "$ref": metadata["allOf"][0]["$ref"],
                "description": metadata["description"],
            }
        for value in node.values():
            _v2_refs(value)
    elif isinstance(node, list):
        for item in node:
            _v2_refs(item)
