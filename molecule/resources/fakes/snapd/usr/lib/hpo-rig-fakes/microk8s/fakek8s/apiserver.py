"""The stand-in Kubernetes API: discovery and CRUD over HTTP, as the real one.

Serves /version, /healthz, /api, /apis, /apis/<group>, /apis/<group>/<version>
and object URLs (cluster-scoped and namespaced, with /status), answering
GET (one or a list, labelSelector/fieldSelector), POST, PUT, PATCH
(merge, strategic merge, JSON patch, server-side apply) and DELETE, with
`dryRun=All`. Plain HTTP without authentication: it listens where microk8s's
API server listens (port 16443) inside a test container only.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from . import controller, patch, paths, resources
from .store import ApiError, Store


class Api:
    def __init__(self, store: Store, version: str) -> None:
        self.store = store
        self.version = version

    def handle(self, method: str, url: str, body: bytes, content_type: str) -> tuple[int, Any]:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        segments = [s for s in parts.path.split("/") if s]
        try:
            result = self._route(method, segments, query, body, content_type)
        except ApiError as error:
            return error.code, error.status()
        except (ValueError, KeyError, TypeError, patch.PatchError) as error:
            return 400, ApiError(400, "BadRequest", str(error)).status()
        if method != "GET":
            controller.reconcile(self.store)
        return result

    def _route(
        self, method: str, seg: list[str], query: dict[str, str], body: bytes, ctype: str
    ) -> tuple[int, Any]:
        if seg in (["healthz"], ["readyz"], ["livez"]):
            return 200, "ok"
        if seg == ["version"]:
            major, minor = self.version.lstrip("v").split(".")[:2]
            return 200, {
                "major": major,
                "minor": minor,
                "gitVersion": self.version,
                "platform": "linux/amd64",
                "goVersion": "go1.23.0",
            }
        kinds = self.store.kinds()
        if seg == ["api"]:
            return 200, resources.api_versions()
        if seg == ["apis"]:
            return 200, resources.api_group_list(kinds)
        if seg[:1] == ["api"] and len(seg) >= 2:
            group, version, rest = "", seg[1], seg[2:]
        elif seg[:1] == ["apis"] and len(seg) >= 3:
            group, version, rest = seg[1], seg[2], seg[3:]
        elif seg[:1] == ["apis"] and len(seg) == 2:
            groups = resources.api_group_list(kinds)["groups"]
            for entry in groups:
                if entry["name"] == seg[1]:
                    return 200, {"kind": "APIGroup", "apiVersion": "v1", **entry}
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            listing = resources.api_resource_list(kinds, group, version)
            if listing is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return 200, listing
        namespace = ""
        if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        kind = self.store.kind_by_plural(group, version, rest[0])
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else ""
        if sub and sub != "status":
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if method == "GET" and query.get("watch") in ("true", "1"):
            raise ApiError(405, "MethodNotAllowed", "watch is not supported by the stand-in API")
        dry_run = query.get("dryRun") == "All"
        if method == "GET" and not name:
            items = self.store.list(
                kind,
                namespace or None,
                query.get("labelSelector", ""),
                query.get("fieldSelector", ""),
            )
            return 200, {
                "apiVersion": kind.api_version,
                "kind": f"{kind.kind}List",
                "metadata": {"resourceVersion": str(self.store.version)},
                "items": items,
            }
        if method == "GET":
            return 200, self.store.get(kind, namespace, name)
        if method == "POST" and not name:
            obj = json.loads(body)
            self._check_kind(obj, kind)
            controller.defaults(obj)
            return 201, self.store.create(
                kind, namespace or obj.get("metadata", {}).get("namespace", ""), obj, dry_run
            )
        if method == "PUT" and name:
            obj = json.loads(body)
            self._check_kind(obj, kind)
            return 200, self.store.replace(kind, namespace, name, obj, dry_run, sub)
        if method == "PATCH" and name:
            return self._patch(kind, namespace, name, sub, body, ctype, query, dry_run)
        if method == "DELETE" and name:
            return 200, self.store.delete(kind, namespace, name, dry_run)
        raise ApiError(405, "MethodNotAllowed", f"{method} is not supported here")

    @staticmethod
    def _check_kind(obj: dict[str, Any], kind: resources.Kind) -> None:
        if obj.get("kind") not in (None, kind.kind):
            raise ApiError(
                400, "BadRequest", f"the object kind {obj.get('kind')} does not match {kind.kind}"
            )

    def _patch(
        self,
        kind: resources.Kind,
        namespace: str,
        name: str,
        sub: str,
        body: bytes,
        ctype: str,
        query: dict[str, str],
        dry_run: bool,
    ) -> tuple[int, Any]:
        media = ctype.split(";")[0].strip()
        if media == "application/apply-patch+yaml":
            document = yaml.safe_load(body)
            try:
                current = self.store.get(kind, namespace, name)
            except ApiError as error:
                if error.code != 404:
                    raise
                controller.defaults(document)
                return 201, self.store.create(kind, namespace, document, dry_run)
            return 200, self.store.replace(
                kind, namespace, name, patch.merge_patch(current, document), dry_run, sub
            )
        current = self.store.get(kind, namespace, name)
        document = json.loads(body)
        if media == "application/merge-patch+json":
            merged = patch.merge_patch(current, document)
        elif media == "application/strategic-merge-patch+json":
            if kind.custom:
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    "the body of the request was in an unknown format - "
                    "accepted media types include: application/json-patch+json, "
                    "application/merge-patch+json, application/apply-patch+yaml",
                )
            merged = patch.strategic_merge_patch(current, document)
        elif media == "application/json-patch+json":
            merged = patch.json_patch(current, document)
        else:
            raise ApiError(415, "UnsupportedMediaType", f"unsupported patch type {media}")
        merged.setdefault("metadata", {})["resourceVersion"] = current["metadata"][
            "resourceVersion"
        ]
        return 200, self.store.replace(kind, namespace, name, merged, dry_run, sub)


class Handler(BaseHTTPRequestHandler):
    api: Api
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        code, result = self.api.handle(
            self.command, self.path, body, self.headers.get("Content-Type", "application/json")
        )
        if isinstance(result, str):
            payload, ctype = result.encode(), "text/plain; charset=utf-8"
        else:
            payload, ctype = json.dumps(result).encode(), "application/json"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        # One line per request on stderr: the unit's journal shows the traffic.
        super().log_message(format, *args)


def serve(version: str, stop: threading.Event, host: str = "0.0.0.0") -> None:
    """Serve until `stop` is set; reconcile once a second meanwhile."""
    store = Store(paths.STATE / "apiserver-db.json")
    namespace_kind = store.kind_by_plural("", "v1", "namespaces")
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        if store.find("", "Namespace", "", name) is None:
            store.create(namespace_kind, "", {"metadata": {"name": name}}, dry_run=False)
    api = Api(store, version)
    handler = type("BoundHandler", (Handler,), {"api": api})
    server = ThreadingHTTPServer((host, paths.API_PORT), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while not stop.wait(1.0):
        controller.reconcile(store)
    server.shutdown()
    server.server_close()
