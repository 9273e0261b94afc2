"""The three patch formats of the Kubernetes API, small but faithful enough.

JSON merge patch is RFC 7386. Strategic merge patch merges the lists the
real API merges by key (containers by name, ports by port, ...) and replaces
the others. JSON patch is RFC 6902 (add, remove, replace, test).
"""

from __future__ import annotations

import copy
from typing import Any

# List fields merged by key in strategic merge patch (field name -> merge key).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "env": "name",
    "imagePullSecrets": "name",
    "conditions": "type",
    "tolerations": "key",
    "hostAliases": "ip",
}


class PatchError(ValueError):
    pass


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and key in MERGE_KEYS and isinstance(result.get(key), list):
            result[key] = _merge_list(result[key], value, MERGE_KEYS[key])
        elif key == "ports" and isinstance(value, list) and isinstance(result.get(key), list):
            port_key = "containerPort" if value and "containerPort" in value[0] else "port"
            result[key] = _merge_list(result[key], value, port_key)
        else:
            result[key] = strategic_merge_patch(result.get(key), value)
    return result


def _merge_list(current: list[Any], patch: list[Any], key: str) -> list[Any]:
    merged = [copy.deepcopy(item) for item in current]
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            return copy.deepcopy(patch)
        for index, existing in enumerate(merged):
            if isinstance(existing, dict) and existing.get(key) == item[key]:
                if item.get("$patch") == "delete":
                    del merged[index]
                else:
                    merged[index] = strategic_merge_patch(existing, item)
                break
        else:
            if item.get("$patch") != "delete":
                merged.append(copy.deepcopy(item))
    return merged


def json_patch(target: Any, operations: list[dict[str, Any]]) -> Any:
    result = copy.deepcopy(target)
    for op in operations:
        path = [_unescape(part) for part in op["path"].split("/")[1:]]
        parent = result
        for part in path[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = path[-1]
        kind = op["op"]
        if kind == "test":
            current = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if current != op["value"]:
                raise PatchError(f"test operation failed at {op['path']}")
        elif kind == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
        elif kind in ("add", "replace"):
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if kind == "add":
                    parent.insert(index, op["value"])
                else:
                    parent[index] = op["value"]
            else:
                parent[last] = op["value"]
        else:
            raise PatchError(f"unsupported json patch operation {kind!r}")
    return result


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")
