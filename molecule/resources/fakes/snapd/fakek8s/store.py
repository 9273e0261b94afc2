"""Objects of the stand-in API: kept in memory, persisted to one JSON file.

Mirrors the API server's bookkeeping: uid, creationTimestamp, a global
resourceVersion bumped only by real changes, generation bumped by spec
changes, and 404/409/422 answers as Status objects.
"""

from __future__ import annotations

import collections
import copy
import datetime
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import paths
from .resources import BUILTIN, Kind, crd_kinds


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message

    def status(self) -> dict[str, Any]:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }


def conflict(kind: Kind, name: str) -> ApiError:
    """A write against a stale resourceVersion, in the API server's words
    (k8s.io/apiserver storage errors: OptimisticLockErrorMsg)."""
    resource = f"{kind.plural}.{kind.group}" if kind.group else kind.plural
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {resource} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
    )


def not_found(kind: Kind, name: str) -> ApiError:
    resource = f"{kind.plural}.{kind.group}" if kind.group else kind.plural
    return ApiError(404, "NotFound", f'{resource} "{name}" not found')


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Key = tuple[str, str, str, str]  # apiVersion-independent: group, kind, namespace, name

# Watch events kept for `?watch=true&resourceVersion=N` (the real API keeps a
# window in its watch cache and answers "too old resource version" beyond it:
# k8s.io/apiserver/pkg/storage/cacheset/watch_cache.go).
EVENT_WINDOW = 10000


class Expired(Exception):
    """A watch asked for a resourceVersion older than the event window."""

    def __init__(self, wanted: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {wanted} ({oldest})")


class Store:
    def __init__(self, db: Path) -> None:
        self.db = db
        self.lock = threading.RLock()
        data = paths.read_json(db, {"resourceVersion": 1, "objects": []})
        self.version: int = data["resourceVersion"]
        self.objects: dict[Key, dict[str, Any]] = {}
        for obj in data["objects"]:
            self.objects[self._key_of(obj)] = obj
        # (resourceVersion, type, object) of every change since start, for watches.
        self.events: collections.deque[tuple[int, str, dict[str, Any]]] = collections.deque(
            maxlen=EVENT_WINDOW
        )
        self.oldest = self.version
        self.changed = threading.Condition(self.lock)

    # -- kinds -------------------------------------------------------------
    def kinds(self) -> list[Kind]:
        crds = [o for k, o in self.objects.items() if k[1] == "CustomResourceDefinition"]
        return list(BUILTIN) + crd_kinds(crds)

    def kind_by_plural(self, group: str, version: str, plural: str) -> Kind:
        for kind in self.kinds():
            if (kind.group, kind.version, kind.plural) == (group, version, plural):
                return kind
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    def kind_of(self, obj: dict[str, Any]) -> Kind:
        group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
        for kind in self.kinds():
            if (kind.group, kind.version, kind.kind) == (group, version, obj.get("kind")):
                return kind
        raise ApiError(
            404,
            "NotFound",
            f'no matches for kind "{obj.get("kind")}" in version "{obj.get("apiVersion")}"',
        )

    @staticmethod
    def _key_of(obj: dict[str, Any]) -> Key:
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        meta = obj.get("metadata", {})
        return (group, str(obj.get("kind")), meta.get("namespace", ""), meta["name"])

    # -- persistence -------------------------------------------------------
    def save(self) -> None:
        paths.write_json(
            self.db, {"resourceVersion": self.version, "objects": list(self.objects.values())}
        )

    # -- queries -----------------------------------------------------------
    def get(self, kind: Kind, namespace: str, name: str) -> dict[str, Any]:
        with self.lock:
            obj = self.objects.get(
                (kind.group, kind.kind, namespace if kind.namespaced else "", name)
            )
            if obj is None:
                raise not_found(kind, name)
            return self._as_version(obj, kind)

    def find(self, group: str, kind_name: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.objects.get((group, kind_name, namespace, name))

    def list(
        self,
        kind: Kind,
        namespace: str | None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> list[dict[str, Any]]:
        with self.lock:
            found = []
            for (group, kind_name, ns, _), obj in sorted(self.objects.items()):
                if (group, kind_name) != (kind.group, kind.kind):
                    continue
                if namespace and ns != namespace:
                    continue
                if not matches_labels(obj, label_selector):
                    continue
                if not matches_fields(obj, field_selector):
                    continue
                found.append(self._as_version(obj, kind))
            return found

    @staticmethod
    def _as_version(obj: dict[str, Any], kind: Kind) -> dict[str, Any]:
        result = copy.deepcopy(obj)
        result["apiVersion"] = kind.api_version
        return result

    # -- changes -----------------------------------------------------------
    def create(
        self, kind: Kind, namespace: str, obj: dict[str, Any], dry_run: bool
    ) -> dict[str, Any]:
        with self.lock:
            obj = copy.deepcopy(obj)
            meta = obj.setdefault("metadata", {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
            name = meta.get("name")
            if not name:
                raise ApiError(
                    422,
                    "Invalid",
                    f"{kind.kind} is invalid: metadata.name: Required value: "
                    "name or generateName is required",
                )
            obj["apiVersion"] = kind.api_version
            obj["kind"] = kind.kind
            if kind.namespaced:
                if not namespace:
                    raise ApiError(
                        422, "Invalid", "an empty namespace may not be set during creation"
                    )
                if kind.kind != "Namespace" and self.find("", "Namespace", "", namespace) is None:
                    raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found')
                meta["namespace"] = namespace
            else:
                meta.pop("namespace", None)
            key = self._key_of(obj)
            if key in self.objects:
                raise ApiError(409, "AlreadyExists", f'{kind.plural} "{name}" already exists')
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=now(), generation=1)
            if kind.kind == "Namespace":
                obj.setdefault("spec", {"finalizers": ["kubernetes"]})
                obj["status"] = {"phase": "Active"}
                meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            if dry_run:
                meta["resourceVersion"] = str(self.version)
                return obj
            self._bump(obj)
            self.objects[key] = obj
            self._record("ADDED", obj)
            self.save()
            return self._as_version(obj, kind)

    def replace(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        new: dict[str, Any],
        dry_run: bool,
        subresource: str = "",
    ) -> dict[str, Any]:
        with self.lock:
            current = self.objects.get(
                (kind.group, kind.kind, namespace if kind.namespaced else "", name)
            )
            if current is None:
                raise not_found(kind, name)
            new = copy.deepcopy(new)
            wanted_rv = new.get("metadata", {}).get("resourceVersion")
            if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
                raise conflict(kind, name)
            if subresource == "status":
                merged = copy.deepcopy(current)
                merged["status"] = new.get("status", {})
            else:
                merged = new
                merged["status"] = new.get("status", current.get("status"))
                if merged["status"] is None:
                    merged.pop("status")
                # The server owns these fields.
                meta = merged.setdefault("metadata", {})
                for field in (
                    "uid",
                    "creationTimestamp",
                    "generation",
                    "resourceVersion",
                    "namespace",
                    "name",
                ):
                    if field in current["metadata"]:
                        meta[field] = current["metadata"][field]
                    else:
                        meta.pop(field, None)
                # An update that leaves managedFields out keeps them.
                if "managedFields" not in meta and "managedFields" in current["metadata"]:
                    meta["managedFields"] = current["metadata"]["managedFields"]
            merged["apiVersion"] = kind.api_version
            merged["kind"] = kind.kind
            return self._commit(kind, current, merged, dry_run)

    def _commit(
        self, kind: Kind, current: dict[str, Any], merged: dict[str, Any], dry_run: bool
    ) -> dict[str, Any]:
        before = self._as_version(current, kind)
        if merged == before:
            return before
        if merged.get("spec") != before.get("spec"):
            merged["metadata"]["generation"] = int(before["metadata"].get("generation", 1)) + 1
        if dry_run:
            return merged
        self._bump(merged)
        self.objects[self._key_of(merged)] = merged
        self._record("MODIFIED", merged)
        self.save()
        return copy.deepcopy(merged)

    def put_raw(self, obj: dict[str, Any]) -> None:
        """Store an object as a controller would (status updates), bumping its version."""
        with self.lock:
            key = self._key_of(obj)
            if self.objects.get(key) == obj:
                return
            self._bump(obj)
            self._record("MODIFIED" if key in self.objects else "ADDED", obj)
            self.objects[key] = obj
            self.save()

    def remove_raw(self, key: Key) -> None:
        """Remove an object as a controller would (a replaced pod)."""
        with self.lock:
            obj = self.objects.pop(key, None)
            if obj is not None:
                self.version += 1
                self._record_deleted(obj)
                self.save()

    def delete(self, kind: Kind, namespace: str, name: str, dry_run: bool) -> dict[str, Any]:
        with self.lock:
            key = (kind.group, kind.kind, namespace if kind.namespaced else "", name)
            obj = self.objects.get(key)
            if obj is None:
                raise not_found(kind, name)
            if dry_run:
                return copy.deepcopy(obj)
            del self.objects[key]
            self.version += 1
            self._record_deleted(obj)
            if kind.kind == "Namespace":
                for other in [k for k in self.objects if k[2] == name]:
                    self._record_deleted(self.objects.pop(other))
            self._delete_owned(obj["metadata"].get("uid"))
            self.save()
            return copy.deepcopy(obj)

    def _delete_owned(self, uid: str | None) -> None:
        for key, obj in list(self.objects.items()):
            owners = obj.get("metadata", {}).get("ownerReferences", [])
            if uid and any(o.get("uid") == uid for o in owners) and key in self.objects:
                self._record_deleted(self.objects.pop(key))
                self._delete_owned(obj["metadata"].get("uid"))

    def _bump(self, obj: dict[str, Any]) -> None:
        self.version += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.version)

    # -- watch -------------------------------------------------------------
    def _record(self, kind: str, obj: dict[str, Any]) -> None:
        self.events.append((self.version, kind, copy.deepcopy(obj)))
        if len(self.events) == self.events.maxlen:
            self.oldest = self.events[0][0] - 1
        self.changed.notify_all()

    def _record_deleted(self, obj: dict[str, Any]) -> None:
        # The deleted object carries the resourceVersion of its deletion, as
        # the real API's DELETED event does.
        gone = copy.deepcopy(obj)
        gone.setdefault("metadata", {})["resourceVersion"] = str(self.version)
        self._record("DELETED", gone)

    def watch(
        self,
        kind: Kind,
        namespace: str | None,
        since: int,
        deadline: float,
        label_selector: str = "",
        field_selector: str = "",
    ) -> Iterator[tuple[str, dict[str, Any]] | None]:
        """Events after resourceVersion `since`; None when none came for a while.

        Raises Expired when `since` is older than the window kept.
        """
        if since < self.oldest:
            raise Expired(since, self.oldest + 1)
        seen = since
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            with self.lock:
                fresh = [e for e in self.events if e[0] > seen]
                if not fresh:
                    self.changed.wait(min(left, 5.0))
                    fresh = [e for e in self.events if e[0] > seen]
            if not fresh:
                yield None
                continue
            matched = False
            for version, kind_name, obj in fresh:
                seen = version
                group = str(obj.get("apiVersion", "")).rpartition("/")[0]
                if (group, obj.get("kind")) != (kind.group, kind.kind):
                    continue
                if namespace and obj.get("metadata", {}).get("namespace", "") != namespace:
                    continue
                if not matches_labels(obj, label_selector) or not matches_fields(
                    obj, field_selector
                ):
                    continue
                matched = True
                yield kind_name, self._as_version(obj, kind)
            if not matched:
                yield None


def matches_labels(obj: dict[str, Any], selector: str) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in _split_terms(selector):
        term = term.strip()
        if not term:
            continue
        if " notin " in term or " in " in term:
            negate = " notin " in term
            key, _, values = term.partition(" notin " if negate else " in ")
            allowed = {v.strip() for v in values.strip().strip("()").split(",")}
            inside = labels.get(key.strip()) in allowed
            if inside == negate:
                return False
        elif "!=" in term:
            key, _, value = term.partition("!=")
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, _, value = term.replace("==", "=").partition("=")
            if labels.get(key.strip()) != value.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def _split_terms(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return terms


def matches_fields(obj: dict[str, Any], selector: str) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        negate = "!=" in term
        path, _, value = term.replace("!=", "=").replace("==", "=").partition("=")
        current: Any = obj
        for part in path.split("."):
            current = current.get(part) if isinstance(current, dict) else None
        if (str(current if current is not None else "") == value) == negate:
            return False
    return True
