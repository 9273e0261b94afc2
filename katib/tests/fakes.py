"""A stand-in for kubernetes.client.CustomObjectsApi, the only cluster boundary hpo-rig has."""

import copy
from typing import Any

from kubernetes.client.exceptions import ApiException


class FakeCustomObjectsApi:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.calls: list[tuple[str, ...]] = []
        self.refuse_create: str | None = None
        # A deleted Experiment named here survives this many further reads (finalizers).
        self.linger: dict[str, int] = {}
        self.deleting: set[tuple[str, str, str]] = set()

    def add(self, plural: str, document: dict[str, Any]) -> None:
        metadata = document["metadata"]
        self.objects[(metadata.get("namespace", "default"), plural, metadata["name"])] = document

    def get_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str, **kwargs: Any
    ) -> Any:
        self.calls.append(("get", version, namespace, plural, name))
        key = (namespace, plural, name)
        if key in self.deleting:
            if self.linger.get(name, 0) > 0:
                self.linger[name] -= 1
            else:
                self.deleting.discard(key)
                del self.objects[key]
        if key not in self.objects:
            raise ApiException(status=404, reason="Not Found")
        return copy.deepcopy(self.objects[key])

    def list_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, **kwargs: Any
    ) -> Any:
        self.calls.append(("list", version, namespace, plural, kwargs.get("label_selector", "")))
        wanted = kwargs.get("label_selector", "").split("=", 1)[-1]
        items = [
            copy.deepcopy(doc)
            for (ns, kind, _), doc in self.objects.items()
            if ns == namespace
            and kind == plural
            and doc["metadata"].get("labels", {}).get("katib.kubeflow.org/experiment") == wanted
        ]
        return {"apiVersion": f"{group}/{version}", "kind": "TrialList", "items": items}

    def create_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, body: Any, **kwargs: Any
    ) -> Any:
        self.calls.append(("create", version, namespace, plural, body["metadata"]["name"]))
        if self.refuse_create:
            error = ApiException(status=400, reason="Bad Request")
            error.body = self.refuse_create
            raise error
        key = (namespace, plural, body["metadata"]["name"])
        if key in self.objects:
            raise ApiException(status=409, reason="Conflict")
        self.objects[key] = copy.deepcopy(body)
        return body

    def delete_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str, **kwargs: Any
    ) -> Any:
        self.calls.append(("delete", version, namespace, plural, name))
        key = (namespace, plural, name)
        if key not in self.objects:
            raise ApiException(status=404, reason="Not Found")
        self.deleting.add(key)
        return {}
