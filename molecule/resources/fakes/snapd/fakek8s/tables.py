"""Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for.

kubectl get sends `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and
prints the columns the server chose (k8s.io/kubectl/pkg/cmd/get/get.go,
transformRequests). The columns below are upstream's, for the kinds the
roles and scenarios list:

- built-in kinds: pkg/printers/internalversion/printers.go (AddHandlers),
  a subset of kinds and of the cells' corner cases;
- custom resources: the CRD's additionalPrinterColumns, as
  apiextensions-apiserver/pkg/registry/customresource/tableconvertor;
- everything else: Name and Created At, as
  k8s.io/apiserver/pkg/registry/rest/table.go (defaultTableConvertor).

Ages are k8s.io/apimachinery/pkg/util/duration.HumanDuration.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import Any

from .resources import Kind

Column = tuple[str, str, int]  # name, type, priority
Row = Callable[[dict[str, Any]], list[Any]]

NAME_DESCRIPTION = (
    "Name must be unique within a namespace. Is required when creating resources, "
    "although some resources may allow a client to request the generation of an "
    "appropriate name automatically. Name is primarily intended for creation "
    "idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    s = int(seconds)
    if s < 60 * 2:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def age(stamp: str | None) -> str:
    """printers.go translateTimestampSince: "<unknown>" without a timestamp."""
    if not stamp:
        return "<unknown>"
    try:
        then = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    except ValueError:
        return "<invalid>"
    return human_duration((datetime.datetime.now(datetime.UTC) - then).total_seconds())


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = obj.get("metadata", {})
    return meta


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj.get("spec") or {}
    return spec


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = obj.get("status") or {}
    return status


def _containers(template_spec: dict[str, Any]) -> tuple[str, str]:
    containers = template_spec.get("containers", [])
    return (
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
    )


def _selector(selector: dict[str, Any] | None) -> str:
    """metav1.FormatLabelSelector, for matchLabels (and matchExpressions In)."""
    if not selector:
        return "<none>"
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        values = ",".join(expr.get("values", []))
        terms.append(f"{expr['key']} {expr['operator'].lower()} ({values})")
    return ",".join(terms) or "<none>"


def _pod(obj: dict[str, Any]) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = sum(int(s.get("restartCount", 0)) for s in statuses)
    reason = status.get("reason") or status.get("phase") or "Pending"
    for container in statuses:
        state = container.get("state", {})
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason"):
            reason = state["terminated"]["reason"]
    if _meta(obj).get("deletionTimestamp"):
        reason = "Terminating"
    gates = spec.get("readinessGates") or []
    return [
        _meta(obj)["name"],
        f"{ready}/{len(spec.get('containers', []))}",
        reason,
        restarts,
        age(_meta(obj).get("creationTimestamp")),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        f"{len(gates)}/{len(gates)}" if gates else "<none>",
    ]


def _node(obj: dict[str, Any]) -> list[Any]:
    status = _status(obj)
    conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
    state = {"True": "Ready", "False": "NotReady"}.get(conditions.get("Ready", ""), "Unknown")
    if conditions.get("Ready") not in ("True", "False"):
        state = "NotReady"
    if _spec(obj).get("unschedulable"):
        state += ",SchedulingDisabled"
    labels = _meta(obj).get("labels") or {}
    roles = sorted(
        key.split("/", 1)[1]
        for key in labels
        if key.startswith("node-role.kubernetes.io/") and key.split("/", 1)[1]
    )
    addresses = {a["type"]: a["address"] for a in status.get("addresses", [])}
    info = status.get("nodeInfo", {})
    return [
        _meta(obj)["name"],
        state,
        ",".join(roles) or "<none>",
        age(_meta(obj).get("creationTimestamp")),
        info.get("kubeletVersion", ""),
        addresses.get("InternalIP", "<none>"),
        addresses.get("ExternalIP", "<none>"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _deployment(obj: dict[str, Any]) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    names, images = _containers(spec.get("template", {}).get("spec", {}))
    return [
        _meta(obj)["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        age(_meta(obj).get("creationTimestamp")),
        names,
        images,
        _selector(spec.get("selector")),
    ]


def _statefulset(obj: dict[str, Any]) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    names, images = _containers(spec.get("template", {}).get("spec", {}))
    return [
        _meta(obj)["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        age(_meta(obj).get("creationTimestamp")),
        names,
        images,
    ]


def _replicaset(obj: dict[str, Any]) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    names, images = _containers(spec.get("template", {}).get("spec", {}))
    return [
        _meta(obj)["name"],
        spec.get("replicas", 1),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        age(_meta(obj).get("creationTimestamp")),
        names,
        images,
        _selector(spec.get("selector")),
    ]


def _daemonset(obj: dict[str, Any]) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    template = spec.get("template", {}).get("spec", {})
    names, images = _containers(template)
    node_selector = ",".join(f"{k}={v}" for k, v in (template.get("nodeSelector") or {}).items())
    return [
        _meta(obj)["name"],
        status.get("desiredNumberScheduled", 0),
        status.get("currentNumberScheduled", 0),
        status.get("numberReady", 0),
        status.get("updatedNumberScheduled", 0),
        status.get("numberAvailable", 0),
        node_selector or "<none>",
        age(_meta(obj).get("creationTimestamp")),
        names,
        images,
        _selector(spec.get("selector")),
    ]


def _service(obj: dict[str, Any]) -> list[Any]:
    spec = _spec(obj)
    kind = spec.get("type", "ClusterIP")
    ports = []
    for port in spec.get("ports", []):
        text = f"{port.get('port')}"
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        ports.append(f"{text}/{port.get('protocol', 'TCP')}")
    external = spec.get("externalIPs") or []
    if kind == "LoadBalancer":
        ingress = _status(obj).get("loadBalancer", {}).get("ingress", [])
        external = [i.get("ip") or i.get("hostname") for i in ingress] + external
    external_ip = ",".join(external) or ("<pending>" if kind == "LoadBalancer" else "<none>")
    if kind == "ExternalName":
        external_ip = spec.get("externalName", "<none>")
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    return [
        _meta(obj)["name"],
        kind,
        spec.get("clusterIP") or "<none>",
        external_ip,
        ",".join(ports) or "<none>",
        age(_meta(obj).get("creationTimestamp")),
        selector or "<none>",
    ]


def _job(obj: dict[str, Any]) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    names, images = _containers(spec.get("template", {}).get("spec", {}))
    conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
    state = "Running"
    if conditions.get("Complete") == "True":
        state = "Complete"
    elif conditions.get("Failed") == "True":
        state = "Failed"
    elif _meta(obj).get("deletionTimestamp"):
        state = "Terminating"
    completions = spec.get("completions")
    return [
        _meta(obj)["name"],
        state,
        f"{status.get('succeeded', 0)}/{completions if completions is not None else 1}",
        "",
        age(_meta(obj).get("creationTimestamp")),
        names,
        images,
        _selector(spec.get("selector")),
    ]


def _event(obj: dict[str, Any]) -> list[Any]:
    involved = obj.get("involvedObject", {})
    return [
        age(obj.get("lastTimestamp") or _meta(obj).get("creationTimestamp")),
        obj.get("type", ""),
        obj.get("reason", ""),
        f"{involved.get('kind', '').lower()}/{involved.get('name', '')}",
        obj.get("message", ""),
    ]


def _simple(*cells: Callable[[dict[str, Any]], Any]) -> Row:
    def row(obj: dict[str, Any]) -> list[Any]:
        return [
            _meta(obj)["name"],
            *(cell(obj) for cell in cells),
            age(_meta(obj).get("creationTimestamp")),
        ]

    return row


# kind -> (columns after Name, in order; the row function)
BUILTIN: dict[tuple[str, str], tuple[list[Column], Row]] = {
    ("", "Pod"): (
        [
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
            ("Nominated Node", "string", 1),
            ("Readiness Gates", "string", 1),
        ],
        _pod,
    ),
    ("", "Node"): (
        [
            ("Status", "string", 0),
            ("Roles", "string", 0),
            ("Age", "string", 0),
            ("Version", "string", 0),
            ("Internal-IP", "string", 1),
            ("External-IP", "string", 1),
            ("OS-Image", "string", 1),
            ("Kernel-Version", "string", 1),
            ("Container-Runtime", "string", 1),
        ],
        _node,
    ),
    ("apps", "Deployment"): (
        [
            ("Ready", "string", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        _deployment,
    ),
    ("apps", "StatefulSet"): (
        [
            ("Ready", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
        ],
        _statefulset,
    ),
    ("apps", "ReplicaSet"): (
        [
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        _replicaset,
    ),
    ("apps", "DaemonSet"): (
        [
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Node Selector", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        _daemonset,
    ),
    ("", "Service"): (
        [
            ("Type", "string", 0),
            ("Cluster-IP", "string", 0),
            ("External-IP", "string", 0),
            ("Port(s)", "string", 0),
            ("Age", "string", 0),
            ("Selector", "string", 1),
        ],
        _service,
    ),
    ("batch", "Job"): (
        [
            ("Status", "string", 0),
            ("Completions", "string", 0),
            ("Duration", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        _job,
    ),
    ("", "Namespace"): (
        [("Status", "string", 0), ("Age", "string", 0)],
        _simple(lambda o: _status(o).get("phase", "")),
    ),
    ("", "ConfigMap"): (
        [("Data", "integer", 0), ("Age", "string", 0)],
        _simple(lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
    ),
    ("", "Secret"): (
        [("Type", "string", 0), ("Data", "integer", 0), ("Age", "string", 0)],
        lambda o: [
            _meta(o)["name"],
            o.get("type", "Opaque"),
            len(o.get("data") or {}),
            age(_meta(o).get("creationTimestamp")),
        ],
    ),
    ("", "ServiceAccount"): (
        [("Secrets", "string", 0), ("Age", "string", 0)],
        _simple(lambda o: len(o.get("secrets") or [])),
    ),
    ("", "PersistentVolumeClaim"): (
        [
            ("Status", "string", 0),
            ("Volume", "string", 0),
            ("Capacity", "string", 0),
            ("Access Modes", "string", 0),
            ("StorageClass", "string", 0),
            ("Age", "string", 0),
        ],
        _simple(
            lambda o: _status(o).get("phase", "Pending"),
            lambda o: _spec(o).get("volumeName", ""),
            lambda o: _status(o).get("capacity", {}).get("storage", ""),
            lambda o: ",".join(
                {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX"}.get(m, m)
                for m in _status(o).get("accessModes", [])
            ),
            lambda o: _spec(o).get("storageClassName") or "<unset>",
        ),
    ),
    ("", "Event"): (
        [
            ("Last Seen", "string", 0),
            ("Type", "string", 0),
            ("Reason", "string", 0),
            ("Object", "string", 0),
            ("Message", "string", 0),
        ],
        _event,
    ),
}


_JSONPATH = re.compile(r"^\.?([A-Za-z0-9_\-]+)(?:\[(\d+|\?\(@\.(\w+)==\"([^\"]*)\"\))\])?")


def jsonpath(obj: Any, path: str) -> Any:
    """The simple JSONPath of CRD printer columns: `.a.b`, `.a[0].b`, `.a[?(@.k=="v")].b`."""
    rest = path.strip()
    current = obj
    while rest:
        match = _JSONPATH.match(rest)
        if not match:
            return None
        rest = rest[match.end() :]
        current = current.get(match[1]) if isinstance(current, dict) else None
        if match[2] is not None:
            if not isinstance(current, list):
                return None
            if match[3]:
                current = next(
                    (i for i in current if isinstance(i, dict) and i.get(match[3]) == match[4]),
                    None,
                )
            else:
                index = int(match[2])
                current = current[index] if index < len(current) else None
    return current


def _crd_cell(kind: str, value: Any) -> Any:
    """tableconvertor.go: strings print as JSONPath prints them; others typed."""
    if value is None:
        return None
    if kind == "string":
        return value if isinstance(value, str) else json.dumps(value)
    if kind == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        return age(value)
    return None


def _definition(name: str, kind: str, priority: int, description: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "format": "name" if name == "Name" else "",
        "description": description or NAME_DESCRIPTION if name == "Name" else description,
        "priority": priority,
    }


def table(
    kind: Kind,
    crd: dict[str, Any] | None,
    items: list[dict[str, Any]],
    resource_version: str,
    include_object: str,
) -> dict[str, Any]:
    columns: list[dict[str, Any]] = [_definition("Name", "string", 0)]
    row: Callable[[dict[str, Any]], list[Any]]
    if crd is not None:
        version: dict[str, Any] = next(
            (v for v in crd["spec"].get("versions", []) if v.get("name") == kind.version), {}
        )
        printer = version.get("additionalPrinterColumns") or [
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
        ]
        for col in printer:
            columns.append(
                _definition(
                    col["name"],
                    col.get("type", "string"),
                    int(col.get("priority", 0)),
                    col.get("description")
                    or f"Custom resource definition column (in JSONPath format): {col['jsonPath']}",
                )
            )

        def row(obj: dict[str, Any]) -> list[Any]:
            return [
                _meta(obj)["name"],
                *(
                    _crd_cell(col.get("type", "string"), jsonpath(obj, col["jsonPath"]))
                    for col in printer
                ),
            ]

    elif (kind.group, kind.kind) in BUILTIN:
        extra, row = BUILTIN[(kind.group, kind.kind)]
        columns += [_definition(n, t, p) for n, t, p in extra]
    else:
        columns.append(_definition("Created At", "date", 0))

        def row(obj: dict[str, Any]) -> list[Any]:
            return [_meta(obj)["name"], _meta(obj).get("creationTimestamp", "")]

    rows = []
    for obj in items:
        entry: dict[str, Any] = {"cells": row(obj)}
        if include_object == "Object":
            entry["object"] = obj
        elif include_object != "None":
            entry["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": _meta(obj),
            }
        rows.append(entry)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": columns,
        "rows": rows,
    }
