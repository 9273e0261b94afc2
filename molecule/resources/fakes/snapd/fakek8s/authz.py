"""Authentication of bearer tokens and the authorization modes of kube-apiserver.

microk8s runs kube-apiserver with `--authorization-mode=AlwaysAllow`
(canonical/microk8s microk8s-resources/default-args/kube-apiserver) until the
rbac addon sets `RBAC,Node` (canonical/microk8s-core-addons addons/rbac/enable).

- AlwaysAllow: every request is allowed, whoever sends it (a ServiceAccount
  token is as good as the admin's).
- RBAC: a ServiceAccount's token (the `token` of a
  kubernetes.io/service-account-token Secret) is the user
  `system:serviceaccount:NS:NAME` in the groups `system:serviceaccounts`,
  `system:serviceaccounts:NS` and `system:authenticated`; a request is allowed
  when a Role (through a RoleBinding of the request's namespace) or a
  ClusterRole (through a RoleBinding or a ClusterRoleBinding) has a rule
  matching its verb, API group, resource[/subresource] and name
  (kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go,
  pkg/apis/rbac/v1/evaluation_helpers.go). Discovery and version paths are
  open to authenticated users (the bootstrap system:discovery and
  system:public-info-viewer bindings). The admin token and requests without a
  token (the stand-in's own components, the kubelet and the addons, which on
  a real host use certificates in system:masters and system:nodes) are
  allowed everything. An unknown token is 401 Unauthorized.

The request's verb comes from its method as RequestInfo derives it
(staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go): GET is
get, or list without a name, or watch with `watch=true`; POST create, PUT
update, PATCH patch, DELETE delete (deletecollection without a name).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import paths
from .store import Store

ALWAYS_ALLOW = "AlwaysAllow"
MASTERS = "system:masters"


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Attributes:
    verb: str
    group: str
    resource: str
    subresource: str
    namespace: str
    name: str
    path: str

    @property
    def resource_request(self) -> bool:
        return bool(self.resource)


class Unauthorized(Exception):
    pass


def mode_from_args() -> str:
    """The --authorization-mode of args/kube-apiserver (AlwaysAllow when unset)."""
    try:
        text = (paths.ARGS / "kube-apiserver").read_text()
    except FileNotFoundError:
        return ALWAYS_ALLOW
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("--authorization-mode"):
            return line.partition("=")[2].strip().strip("'\"") or ALWAYS_ALLOW
    return ALWAYS_ALLOW


def authenticate(store: Store, authorization: str) -> User:
    if not authorization:
        return User("system:apiserver", (MASTERS,))
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized
    admin = paths.read_json(paths.STATE / "credentials.json", {}).get("admin_token")
    if admin and token == admin:
        return User("admin", (MASTERS, "system:authenticated"))
    for secret in list(store.objects.values()):
        if secret.get("kind") != "Secret" or secret.get("type") != (
            "kubernetes.io/service-account-token"
        ):
            continue
        encoded = secret.get("data", {}).get("token", "")
        try:
            value = base64.b64decode(encoded).decode()
        except (ValueError, UnicodeDecodeError):
            continue
        if value and value == token:
            namespace = secret["metadata"]["namespace"]
            account = (
                secret["metadata"]
                .get("annotations", {})
                .get("kubernetes.io/service-account.name", "")
            )
            return User(
                f"system:serviceaccount:{namespace}:{account}",
                (
                    "system:serviceaccounts",
                    f"system:serviceaccounts:{namespace}",
                    "system:authenticated",
                ),
            )
    raise Unauthorized


def attributes(method: str, url: str) -> Attributes:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    seg = [s for s in parts.path.split("/") if s]
    if seg[:1] == ["api"] and len(seg) >= 3:
        group, rest = "", seg[2:]
    elif seg[:1] == ["apis"] and len(seg) >= 4:
        group, rest = seg[1], seg[3:]
    else:
        return Attributes(method.lower(), "", "", "", "", "", parts.path)
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    elif rest[0] == "namespaces" and len(rest) == 2:
        namespace = rest[1]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    verb = {
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete" if name else "deletecollection",
    }.get(method, "get" if name else "list")
    if method == "GET" and query.get("watch", [""])[-1] in ("true", "1"):
        verb = "watch"
    return Attributes(verb, group, resource, subresource, namespace, name, parts.path)


def _rule_allows(rule: dict[str, Any], attrs: Attributes) -> bool:
    def has(values: list[str] | None, wanted: str) -> bool:
        return "*" in (values or []) or wanted in (values or [])

    resource = attrs.resource + (f"/{attrs.subresource}" if attrs.subresource else "")
    resources = rule.get("resources") or []
    resource_ok = has(resources, resource) or (
        bool(attrs.subresource) and f"*/{attrs.subresource}" in resources
    )
    names = rule.get("resourceNames") or []
    return (
        has(rule.get("verbs"), attrs.verb)
        and has(rule.get("apiGroups"), attrs.group)
        and resource_ok
        and (not names or attrs.name in names)
    )


def _bound(subjects: list[dict[str, Any]], user: User) -> bool:
    for subject in subjects or []:
        kind = subject.get("kind")
        if kind == "User" and subject.get("name") == user.name:
            return True
        if kind == "Group" and subject.get("name") in user.groups:
            return True
        if kind == "ServiceAccount":
            name = f"system:serviceaccount:{subject.get('namespace', '')}:{subject.get('name')}"
            if name == user.name:
                return True
    return False


def _role_rules(store: Store, ref: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
    kind = ref.get("kind")
    key = (
        ("rbac.authorization.k8s.io", "Role", namespace, ref.get("name", ""))
        if kind == "Role"
        else ("rbac.authorization.k8s.io", "ClusterRole", "", ref.get("name", ""))
    )
    role = store.objects.get(key)
    rules: list[dict[str, Any]] = (role or {}).get("rules", [])
    return rules


def rbac_allows(store: Store, user: User, attrs: Attributes) -> bool:
    if MASTERS in user.groups:
        return True
    if not attrs.resource_request:
        # system:discovery and system:public-info-viewer, bound to system:authenticated.
        return attrs.verb == "get"
    rules: list[dict[str, Any]] = []
    for (group, kind, namespace, _), obj in list(store.objects.items()):
        if group != "rbac.authorization.k8s.io" or not _bound(obj.get("subjects", []), user):
            continue
        if kind == "ClusterRoleBinding":
            rules += _role_rules(store, obj.get("roleRef", {}), "")
        elif kind == "RoleBinding" and attrs.namespace and namespace == attrs.namespace:
            rules += _role_rules(store, obj.get("roleRef", {}), namespace)
    return any(_rule_allows(rule, attrs) for rule in rules)


def forbidden_message(user: User, attrs: Attributes) -> str:
    """responsewriters.forbiddenMessage (staging/src/k8s.io/apiserver/pkg/endpoints/
    handlers/responsewriters/errors.go)."""
    if not attrs.resource_request:
        return f'User "{user.name}" cannot {attrs.verb} path "{attrs.path}"'
    resource = attrs.resource + (f"/{attrs.subresource}" if attrs.subresource else "")
    scope = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
    return (
        f'User "{user.name}" cannot {attrs.verb} resource "{resource}" '
        f'in API group "{attrs.group}" {scope}'
    )


def check(store: Store, mode: str, method: str, url: str, authorization: str) -> tuple[int, Any]:
    """(0, None) when allowed, else the status code and the Status to answer."""
    if "RBAC" not in mode.split(","):
        # AlwaysAllow. The stand-in does not authenticate then (a token the real
        # server would refuse is accepted, as it always was here).
        return 0, None
    try:
        user = authenticate(store, authorization)
    except Unauthorized:
        return 401, _status(401, "Unauthorized", "Unauthorized", {})
    attrs = attributes(method, url)
    if attrs.path in ("/healthz", "/readyz", "/livez") or rbac_allows(store, user, attrs):
        return 0, None
    message = forbidden_message(user, attrs)
    details: dict[str, Any] = {"kind": attrs.resource} if attrs.resource else {}
    if attrs.name:
        details["name"] = attrs.name
    prefix = (
        f'{attrs.resource} "{attrs.name}" is forbidden: '
        if attrs.name
        else (f"{attrs.resource} is forbidden: " if attrs.resource else "forbidden: ")
    )
    return 403, _status(403, "Forbidden", prefix + message, details)


def _status(code: int, reason: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        status["details"] = details
    return status
