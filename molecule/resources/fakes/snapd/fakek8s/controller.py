"""What the controllers, scheduler and kubelet of a one-node cluster would do.

Runs inside the API process after every write and once a second:
workloads get pods, pods get scheduled (GPU requests must fit the node's
allocatable `nvidia.com/gpu`, claims must be bound), images named in
/etc/hpo-rig-fakes/unpullable-images fail to pull, and workload status,
conditions and Events follow, as `kubectl describe` would show them.
No container runs: a scheduled pod with pullable images is Running.
"""

from __future__ import annotations

import base64
import copy
import datetime
import fnmatch
import hashlib
import json
import uuid
from typing import Any

from . import paths
from .store import Store, now

STALE_HEARTBEAT = datetime.timedelta(seconds=40)


def defaults(obj: dict[str, Any]) -> None:
    """Server-side defaults the callers rely on (set once, at creation)."""
    kind = obj.get("kind")
    spec = obj.setdefault("spec", {}) if kind in ("Deployment", "StatefulSet") else None
    if spec is not None:
        spec.setdefault("replicas", 1)
    if kind == "StatefulSet" and spec is not None:
        spec.setdefault("updateStrategy", {"type": "RollingUpdate"})


def reconcile(store: Store) -> None:
    with store.lock:
        _crds(store)
        _service_account_tokens(store)
        _pvcs(store)
        for kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            for workload in _all(store, kind):
                _ensure_pods(store, workload)
        _stale_nodes(store)
        for pod in _all(store, "Pod"):
            _run_pod(store, pod)
        for kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            for workload in _all(store, kind):
                _workload_status(store, workload)


def _all(store: Store, kind: str) -> list[dict[str, Any]]:
    return [copy.deepcopy(o) for k, o in sorted(store.objects.items()) if k[1] == kind]


def _crds(store: Store) -> None:
    for crd in _all(store, "CustomResourceDefinition"):
        crd["status"] = {
            "acceptedNames": crd["spec"]["names"],
            "conditions": [
                _condition("NamesAccepted", "True", "NoConflicts", "no conflicts found"),
                _condition(
                    "Established",
                    "True",
                    "InitialNamesAccepted",
                    "the initial names have been accepted",
                ),
            ],
            "storedVersions": [
                v["name"] for v in crd["spec"].get("versions", []) if v.get("storage")
            ],
        }
        _put_status(store, crd)


def _service_account_tokens(store: Store) -> None:
    """The token controller fills service-account-token Secrets."""
    for secret in _all(store, "Secret"):
        if secret.get("type") != "kubernetes.io/service-account-token" or "token" in (
            secret.get("data") or {}
        ):
            continue
        token = hashlib.sha256(secret["metadata"]["uid"].encode()).hexdigest()
        secret.setdefault("data", {}).update(
            {
                "token": base64.b64encode(token.encode()).decode(),
                "namespace": base64.b64encode(secret["metadata"]["namespace"].encode()).decode(),
            }
        )
        store.put_raw(secret)


def _default_storage_class(store: Store) -> str | None:
    for sc in _all(store, "StorageClass"):
        annotations = sc["metadata"].get("annotations") or {}
        if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
            return str(sc["metadata"]["name"])
    return None


def _pvcs(store: Store) -> None:
    default = _default_storage_class(store)
    for pvc in _all(store, "PersistentVolumeClaim"):
        wanted = pvc["spec"].get("storageClassName") or default
        sc_exists = wanted and store.find("storage.k8s.io", "StorageClass", "", wanted) is not None
        if sc_exists:
            pvc["status"] = {
                "phase": "Bound",
                "accessModes": pvc["spec"].get("accessModes", []),
                "capacity": pvc["spec"].get("resources", {}).get("requests", {}),
            }
        else:
            pvc["status"] = {"phase": "Pending"}
            _event(
                store,
                pvc,
                "Normal",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            )
        _put_status(store, pvc)


def _template_hash(template: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    return digest[:10]


def _ensure_pods(store: Store, workload: dict[str, Any]) -> None:
    meta = workload["metadata"]
    namespace, name, kind = meta["namespace"], meta["name"], workload["kind"]
    template = workload["spec"].get("template", {})
    pod_hash = _template_hash(template)
    if kind == "Deployment":
        wanted = [f"{name}-{pod_hash}-{i}" for i in range(int(workload["spec"].get("replicas", 1)))]
    elif kind == "StatefulSet":
        wanted = [f"{name}-{i}" for i in range(int(workload["spec"].get("replicas", 1)))]
    elif kind == "DaemonSet":
        nodes = [n["metadata"]["name"] for n in _all(store, "Node") if _node_ready(n)]
        wanted = [f"{name}-{hashlib.sha256(n.encode()).hexdigest()[:5]}" for n in nodes]
    else:
        wanted = [f"{name}-{pod_hash[:5]}"]
    owned = {
        p["metadata"]["name"]: p
        for p in _all(store, "Pod")
        if any(o.get("uid") == meta["uid"] for o in p["metadata"].get("ownerReferences", []))
    }
    for pod_name, pod in owned.items():
        stale = pod["metadata"].get("annotations", {}).get("fake.hpo-rig/template-hash") != pod_hash
        if pod_name not in wanted or stale:
            store.remove_raw(("", "Pod", namespace, pod_name))
    for pod_name in wanted:
        if store.find("", "Pod", namespace, pod_name) is not None:
            continue
        pod_meta = copy.deepcopy(template.get("metadata", {}))
        pod_meta.update(
            name=pod_name,
            namespace=namespace,
            uid=str(uuid.uuid4()),
            creationTimestamp=now(),
        )
        pod_meta.setdefault("annotations", {})["fake.hpo-rig/template-hash"] = pod_hash
        pod_meta["ownerReferences"] = [
            {
                "apiVersion": workload["apiVersion"],
                "kind": kind,
                "name": name,
                "uid": meta["uid"],
                "controller": True,
            }
        ]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": pod_meta,
            "spec": copy.deepcopy(template.get("spec", {})),
            "status": {"phase": "Pending"},
        }
        if kind == "DaemonSet":
            pod["spec"]["nodeName"] = next(
                n
                for n in (x["metadata"]["name"] for x in _all(store, "Node"))
                if pod_name.endswith(hashlib.sha256(n.encode()).hexdigest()[:5])
            )
        store.put_raw(pod)


def _node_ready(node: dict[str, Any]) -> bool:
    conditions = node.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def _stale_nodes(store: Store) -> None:
    limit = datetime.datetime.now(datetime.UTC) - STALE_HEARTBEAT
    for node in _all(store, "Node"):
        for condition in node.get("status", {}).get("conditions", []):
            beat = condition.get("lastHeartbeatTime")
            if condition["type"] != "Ready" or condition["status"] != "True" or not beat:
                continue
            seen = datetime.datetime.strptime(beat, "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=datetime.UTC
            )
            if seen < limit:
                condition.update(
                    status="Unknown",
                    reason="NodeStatusUnknown",
                    message="Kubelet stopped posting node status.",
                )
                store.put_raw(node)


def _gpu_request(pod: dict[str, Any]) -> int:
    total = 0
    for container in pod["spec"].get("containers", []):
        resources = container.get("resources", {})
        value = resources.get("limits", {}).get("nvidia.com/gpu") or resources.get(
            "requests", {}
        ).get("nvidia.com/gpu")
        total += int(value or 0)
    return total


def _schedule(store: Store, pod: dict[str, Any]) -> str | None:
    """The node the pod goes to, or None with the reason recorded on the pod."""
    namespace = pod["metadata"]["namespace"]
    for volume in pod["spec"].get("volumes", []):
        claim = volume.get("persistentVolumeClaim", {}).get("claimName")
        if not claim:
            continue
        pvc = store.find("", "PersistentVolumeClaim", namespace, claim)
        if pvc is None or pvc.get("status", {}).get("phase") != "Bound":
            _unschedulable(
                store,
                pod,
                "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.",
            )
            return None
    wanted = _gpu_request(pod)
    nodes = [n for n in _all(store, "Node") if _node_ready(n)]
    if not nodes:
        _unschedulable(store, pod, "0/0 nodes are available: no nodes available to schedule pods.")
        return None
    selector = pod["spec"].get("nodeSelector") or {}
    for node in nodes:
        labels = node["metadata"].get("labels", {})
        if any(labels.get(k) != v for k, v in selector.items()):
            continue
        allocatable = int(node["status"].get("allocatable", {}).get("nvidia.com/gpu", 0))
        used = sum(
            _gpu_request(p)
            for p in _all(store, "Pod")
            if p["spec"].get("nodeName") == node["metadata"]["name"]
            and p["status"].get("phase") in ("Pending", "Running")
        )
        if used + wanted <= allocatable or wanted == 0:
            return str(node["metadata"]["name"])
    reason = (
        "Insufficient nvidia.com/gpu"
        if wanted
        else "node(s) didn't match Pod's node affinity/selector"
    )
    _unschedulable(store, pod, f"0/{len(nodes)} nodes are available: {len(nodes)} {reason}.")
    return None


def _unschedulable(store: Store, pod: dict[str, Any], message: str) -> None:
    pod["status"] = {
        "phase": "Pending",
        "conditions": [_condition("PodScheduled", "False", "Unschedulable", message)],
    }
    _event(store, pod, "Warning", "FailedScheduling", message)
    _put_status(store, pod)


def _unpullable(image: str) -> bool:
    try:
        patterns = paths.UNPULLABLE.read_text().split()
    except FileNotFoundError:
        return False
    return any(fnmatch.fnmatch(image, p) for p in patterns)


def _run_pod(store: Store, pod: dict[str, Any]) -> None:
    if pod["status"].get("phase") in ("Succeeded", "Failed"):
        return
    node = pod["spec"].get("nodeName")
    if not node:
        node = _schedule(store, pod)
        if node is None:
            return
        pod["spec"]["nodeName"] = node
        store.put_raw(pod)
        _event(
            store,
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {pod['metadata']['namespace']}/"
            f"{pod['metadata']['name']} to {node}",
        )
    statuses = []
    for container in pod["spec"].get("containers", []):
        image = container.get("image", "")
        if _unpullable(image):
            statuses.append(
                {
                    "name": container["name"],
                    "image": image,
                    "ready": False,
                    "restartCount": 0,
                    "state": {
                        "waiting": {
                            "reason": "ImagePullBackOff",
                            "message": f'Back-off pulling image "{image}"',
                        }
                    },
                }
            )
            _event(
                store,
                pod,
                "Warning",
                "Failed",
                f'Failed to pull image "{image}": failed to resolve reference "{image}"',
            )
        else:
            statuses.append(
                {
                    "name": container["name"],
                    "image": image,
                    "ready": True,
                    "restartCount": 0,
                    "started": True,
                    "state": {"running": {"startedAt": pod["metadata"]["creationTimestamp"]}},
                }
            )
    ready = all(s["ready"] for s in statuses)
    pod["status"] = {
        "phase": "Running" if ready else "Pending",
        "hostIP": "127.0.0.1",
        "podIP": "10.1.0."
        + str(int(hashlib.sha256(pod["metadata"]["name"].encode()).hexdigest(), 16) % 250 + 2),
        "startTime": pod["metadata"]["creationTimestamp"],
        "conditions": [
            _condition("PodScheduled", "True"),
            _condition("ContainersReady", "True" if ready else "False"),
            _condition("Ready", "True" if ready else "False"),
        ],
        "containerStatuses": statuses,
    }
    _put_status(store, pod)


def _workload_status(store: Store, workload: dict[str, Any]) -> None:
    uid = workload["metadata"]["uid"]
    pods = [
        p
        for p in _all(store, "Pod")
        if any(o.get("uid") == uid for o in p["metadata"].get("ownerReferences", []))
    ]
    ready = sum(1 for p in pods if p["status"].get("phase") == "Running")
    total = len(pods)
    generation = workload["metadata"].get("generation", 1)
    kind = workload["kind"]
    if kind == "Deployment":
        status: dict[str, Any] = {
            "observedGeneration": generation,
            "replicas": total,
            "updatedReplicas": total,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": [
                _condition(
                    "Available",
                    "True" if ready == total else "False",
                    "MinimumReplicasAvailable" if ready == total else "MinimumReplicasUnavailable",
                ),
                _condition("Progressing", "True", "NewReplicaSetAvailable"),
            ],
        }
        if total - ready:
            status["unavailableReplicas"] = total - ready
    elif kind == "StatefulSet":
        status = {
            "observedGeneration": generation,
            "replicas": total,
            "readyReplicas": ready,
            "currentReplicas": total,
            "updatedReplicas": total,
            "availableReplicas": ready,
            "currentRevision": f"{workload['metadata']['name']}-1",
            "updateRevision": f"{workload['metadata']['name']}-1",
        }
    elif kind == "DaemonSet":
        status = {
            "observedGeneration": generation,
            "desiredNumberScheduled": total,
            "currentNumberScheduled": total,
            "updatedNumberScheduled": total,
            "numberReady": ready,
            "numberAvailable": ready,
        }
        if total - ready:
            status["numberUnavailable"] = total - ready
    else:
        status = {
            "active": total - sum(1 for p in pods if p["status"].get("phase") == "Succeeded"),
            "ready": ready,
        }
    workload["status"] = status
    _put_status(store, workload)


def _put_status(store: Store, obj: dict[str, Any]) -> None:
    group = str(obj["apiVersion"]).rpartition("/")[0]
    meta = obj["metadata"]
    current = store.find(group, obj["kind"], meta.get("namespace", ""), meta["name"])
    if current is None:
        return
    if _without_times(current.get("status")) == _without_times(obj.get("status")) and current.get(
        "spec"
    ) == obj.get("spec"):
        return
    updated = copy.deepcopy(current)
    updated["status"] = obj.get("status")
    updated["spec"] = obj.get("spec", current.get("spec"))
    if updated.get("spec") is None:
        updated.pop("spec")
    store.put_raw(updated)


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if not k.endswith("Time")}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def _condition(kind: str, status: str, reason: str = "", message: str = "") -> dict[str, Any]:
    condition = {"type": kind, "status": status, "lastTransitionTime": now()}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def _event(store: Store, obj: dict[str, Any], kind: str, reason: str, message: str) -> None:
    meta = obj["metadata"]
    name = f"{meta['name']}.{reason.lower()}"
    namespace = meta.get("namespace") or "default"
    existing = store.find("", "Event", namespace, name)
    if existing is not None and existing.get("message") == message:
        return
    store.put_raw(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": existing["metadata"]["uid"] if existing else str(uuid.uuid4()),
                "creationTimestamp": now(),
            },
            "involvedObject": {
                "apiVersion": obj["apiVersion"],
                "kind": obj["kind"],
                "name": meta["name"],
                "namespace": namespace,
                "uid": meta.get("uid"),
            },
            "type": kind,
            "reason": reason,
            "message": message,
            "count": 1,
            "firstTimestamp": now(),
            "lastTimestamp": now(),
            "source": {"component": "hpo-rig-fake"},
        }
    )
