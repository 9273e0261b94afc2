"""The resource kinds the stand-in API serves, and discovery documents for them.

Built-in kinds are a fixed table; CustomResourceDefinitions stored in the API
add their kinds, as the real apiextensions server does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class Kind:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    custom: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()


def _k(gv: str, kind: str, plural: str, namespaced: bool = True, *short: str) -> Kind:
    group, _, version = gv.rpartition("/")
    return Kind(group, version, kind, plural, namespaced, tuple(short))


BUILTIN: tuple[Kind, ...] = (
    _k("v1", "Namespace", "namespaces", False, "ns"),
    _k("v1", "Node", "nodes", False, "no"),
    _k("v1", "Pod", "pods", True, "po"),
    _k("v1", "Service", "services", True, "svc"),
    _k("v1", "Endpoints", "endpoints", True, "ep"),
    _k("v1", "ConfigMap", "configmaps", True, "cm"),
    _k("v1", "Secret", "secrets", True),
    _k("v1", "ServiceAccount", "serviceaccounts", True, "sa"),
    _k("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, "pvc"),
    _k("v1", "PersistentVolume", "persistentvolumes", False, "pv"),
    _k("v1", "Event", "events", True, "ev"),
    _k("apps/v1", "Deployment", "deployments", True, "deploy"),
    _k("apps/v1", "StatefulSet", "statefulsets", True, "sts"),
    _k("apps/v1", "DaemonSet", "daemonsets", True, "ds"),
    _k("apps/v1", "ReplicaSet", "replicasets", True, "rs"),
    _k("batch/v1", "Job", "jobs", True),
    _k("batch/v1", "CronJob", "cronjobs", True, "cj"),
    _k("node.k8s.io/v1", "RuntimeClass", "runtimeclasses", False),
    _k("rbac.authorization.k8s.io/v1", "Role", "roles", True),
    _k("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True),
    _k("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    _k("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _k(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        "crd",
        "crds",
    ),
    _k(
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        False,
    ),
    _k(
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        False,
    ),
    _k("storage.k8s.io/v1", "StorageClass", "storageclasses", False, "sc"),
    _k("networking.k8s.io/v1", "Ingress", "ingresses", True, "ing"),
    _k("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True, "netpol"),
    _k("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", True, "pdb"),
)

# Kinds whose /status subresource is served.
WITH_STATUS = {"Pod", "Node", "Deployment", "StatefulSet", "DaemonSet", "Job", "Namespace"}
# Kinds whose /scale subresource (autoscaling/v1 Scale) is served.
WITH_SCALE = {"Deployment", "StatefulSet", "ReplicaSet"}


def crd_kinds(crds: Iterable[Mapping[str, Any]]) -> list[Kind]:
    """The kinds a set of stored CustomResourceDefinitions serve."""
    kinds = []
    for crd in crds:
        spec = crd.get("spec", {})
        names = spec.get("names", {})
        for version in spec.get("versions", []):
            if not version.get("served", True):
                continue
            kinds.append(
                Kind(
                    spec["group"],
                    version["name"],
                    names["kind"],
                    names["plural"],
                    spec.get("scope", "Namespaced") == "Namespaced",
                    tuple(names.get("shortNames", [])),
                    custom=True,
                )
            )
    return kinds


def api_versions() -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ":16443"}],
    }


def api_group_list(kinds: Iterable[Kind]) -> dict[str, Any]:
    versions: dict[str, list[str]] = {}
    for kind in kinds:
        if kind.group and kind.version not in versions.setdefault(kind.group, []):
            versions[kind.group].append(kind.version)
    groups = []
    for group, vers in versions.items():
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in vers]
        groups.append({"name": group, "versions": entries, "preferredVersion": entries[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_resource_list(kinds: Iterable[Kind], group: str, version: str) -> dict[str, Any] | None:
    resources: list[dict[str, Any]] = []
    for kind in kinds:
        if kind.group != group or kind.version != version:
            continue
        resources.append(
            {
                "name": kind.plural,
                "singularName": kind.singular,
                "namespaced": kind.namespaced,
                "kind": kind.kind,
                "verbs": VERBS,
                "shortNames": list(kind.short_names),
            }
        )
        if kind.custom or kind.kind in WITH_STATUS:
            resources.append(
                {
                    "name": f"{kind.plural}/status",
                    "singularName": "",
                    "namespaced": kind.namespaced,
                    "kind": kind.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
        if not kind.custom and kind.kind in WITH_SCALE:
            resources.append(
                {
                    "name": f"{kind.plural}/scale",
                    "singularName": "",
                    "namespaced": kind.namespaced,
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                }
            )
    if not resources:
        return None
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }
