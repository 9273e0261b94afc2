"""A stand-in for kubernetes.client.CustomObjectsApi, the only cluster boundary hpo-rig has."""

import copy
import json
from typing import Any

from kubernetes.client.exceptions import ApiException


def not_found(plural: str, name: str) -> ApiException:
    """The API server's 404 for a missing object: a Status naming it in details
    (k8s.io/apimachinery/pkg/api/errors NewNotFound, Kubernetes 1.32)."""
    error = ApiException(status=404, reason="Not Found")
    error.body = json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": f'{plural}.kubeflow.org "{name}" not found',
            "reason": "NotFound",
            "details": {"name": name, "group": "kubeflow.org", "kind": plural},
            "code": 404,
        }
    )
    return error


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
            raise not_found(plural, name)
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
            raise not_found(plural, name)
        self.deleting.add(key)
        return {}


class StandInApiServer:
    """A local HTTP server answering as kube-apiserver does when things go wrong, for the
    real kubernetes client to talk to (the boundary: a live Kubernetes API).

    Modes, each with the API server's own answer (Kubernetes 1.32,
    k8s.io/apimachinery/pkg/api/errors and k8s.io/apiserver/pkg/util/notfoundhandler):
    ``forbidden`` (RBAC's 403), ``no-crd`` (404 for a path no API group serves: Katib not
    installed), ``missing`` (404 for the Experiment, 201 for a create), ``error`` (500) and
    ``hang`` (never answers while the test runs).
    """

    def __init__(self, mode: str) -> None:
        import http.server
        import threading

        self.mode = mode
        self.release = threading.Event()
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                stand_in.answer(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if stand_in.mode == "missing":
                    self._send(201, body)
                else:
                    stand_in.answer(self)

            def do_DELETE(self) -> None:
                stand_in.answer(self)

            def _send(self, code: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.handler = Handler
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, request: Any) -> None:
        name = request.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        if self.mode == "hang":
            self.release.wait(30)
            return
        if self.mode == "forbidden":
            code, status = (
                403,
                _status(
                    403,
                    "Forbidden",
                    f'experiments.kubeflow.org "{name}" is forbidden: User "system:anonymous" '
                    'cannot get resource "experiments" in API group "kubeflow.org" in the '
                    'namespace "kubeflow"',
                    {"name": name, "group": "kubeflow.org", "kind": "experiments"},
                ),
            )
        elif self.mode == "no-crd":
            code, status = (
                404,
                _status(404, "NotFound", "the server could not find the requested resource", {}),
            )
        elif self.mode == "missing":
            code, status = (
                404,
                _status(
                    404,
                    "NotFound",
                    f'experiments.kubeflow.org "{name}" not found',
                    {"name": name, "group": "kubeflow.org", "kind": "experiments"},
                ),
            )
        else:
            code, status = (
                500,
                _status(
                    500,
                    "InternalError",
                    "Internal error occurred: etcdserver: request timed out, possibly due to "
                    "connection lost",
                    {},
                ),
            )
        request._send(code, json.dumps(status).encode())

    def kubeconfig(self, path: Any) -> Any:
        path.write_text(kubeconfig_text(self.url))
        return path

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def kubeconfig_text(server: str) -> str:
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: stand-in\n  cluster:\n    server: {server}\n"
        "users:\n- name: tester\n  user:\n    token: stand-in-token\n"
        "contexts:\n- name: stand-in\n  context:\n    cluster: stand-in\n    user: tester\n"
        "current-context: stand-in\n"
    )


def refused_port() -> int:
    """A local port nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(code: int, reason: str, message: str, details: dict[str, str]) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details,
        "code": code,
    }
