"""Server-side field validation of custom resources (`fieldValidation=Strict`).

kubectl apply/create/replace send `fieldValidation=Strict` when the server
publishes the parameter (see openapi.py). For a custom resource the real
server then refuses fields its CRD's structural schema does not declare
(k8s.io/apiextensions-apiserver/pkg/apiserver/customresource_handler.go,
unknown fields found by the pruning of
k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning/algorithm.go):
`x-kubernetes-preserve-unknown-fields` keeps a subtree open,
`additionalProperties` declares a map, apiVersion/kind/metadata are always
known at the root and in `x-kubernetes-embedded-resource` objects.

Built-in kinds are not validated: the stand-in has no schemas for them.
"""

from __future__ import annotations

from typing import Any

ROOT_FIELDS = ("apiVersion", "kind", "metadata")


def unknown_fields(schema: dict[str, Any], value: Any, path: str = "") -> list[str]:
    """The paths (`spec.foo`, `spec.items[0].bar`) of fields the schema does not declare."""
    found: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        open_ended = schema.get("x-kubernetes-preserve-unknown-fields") is True
        embedded = schema.get("x-kubernetes-embedded-resource") is True or not path
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key in properties:
                found += unknown_fields(properties[key], item, where)
            elif isinstance(extra, dict):
                found += unknown_fields(extra, item, where)
            elif extra is True or open_ended or (embedded and key in ROOT_FIELDS):
                continue
            else:
                found.append(where)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found += unknown_fields(schema["items"], item, f"{path}[{index}]")
    return found


def strict_error(kind: str, version: str, unknown: list[str]) -> str:
    """The message of the 400 BadRequest, as the real server words it."""
    fields = ", ".join(f'unknown field "{f}"' for f in unknown)
    return (
        f'{kind} in version "{version}" cannot be handled as a {kind}: '
        f"strict decoding error: {fields}"
    )
