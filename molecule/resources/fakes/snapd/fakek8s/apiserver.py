"""The stand-in Kubernetes API: discovery and CRUD over HTTP, as the real one.

Serves /version, /healthz, /api, /apis, /apis/<group>, /apis/<group>/<version>,
/openapi/v2, /openapi/v3 and object URLs (cluster-scoped and namespaced, with
/status and /scale), answering GET (one or a list, labelSelector/fieldSelector,
as a meta.k8s.io Table when asked, `watch=true` as a chunked event stream),
POST, PUT, PATCH (merge, strategic merge, JSON patch, server-side apply with
managedFields) and DELETE, with `dryRun=All`. JSON only: a protobuf body is
answered 415 and a protobuf-only Accept 406, so clients fall back to JSON.
Plain HTTP without authentication: it listens where microk8s's API server
listens (port 16443) inside a test container only.
"""

from __future__ import annotations

import copy
import json
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from . import (
    authz,
    controller,
    openapi,
    patch,
    paths,
    portforward,
    resources,
    tables,
    validation,
)
from .store import ApiError, Expired, Store, conflict, now

JSON = "application/json"
PROTOBUF = "application/vnd.kubernetes.protobuf"
# The media types the real server names in its 406/415 answers, less the
# protobuf and YAML ones this one does not speak
# (k8s.io/apiserver/pkg/endpoints/handlers/negotiation/errors.go).
ACCEPTED = "application/json"
# kubectl get asks for server-side printing with this media type parameter
# (k8s.io/kubectl/pkg/cmd/get/get.go, transformRequests).
TABLE_GROUPS = {("v1", "meta.k8s.io"), ("v1beta1", "meta.k8s.io")}
# Longest watch when the client names no timeoutSeconds: the real server picks
# a random duration between --min-request-timeout (1800 s) and twice that.
WATCH_DEFAULT_SECONDS = 1800


@dataclass
class Negotiated:
    """What the client accepts: JSON, a Table of it, or nothing we speak."""

    table: bool = False
    acceptable: bool = True


def negotiate(accept: str) -> Negotiated:
    """Pick a media type from an Accept header, as the real server's negotiation."""
    if not accept.strip():
        return Negotiated()
    found = Negotiated(acceptable=False)
    for item in accept.split(","):
        media, *params = [p.strip() for p in item.split(";")]
        options = dict(p.partition("=")[::2] for p in params)
        if media not in (JSON, "application/*", "*/*"):
            continue
        if options.get("as") == "Table":
            if (options.get("v"), options.get("g")) in TABLE_GROUPS:
                return Negotiated(table=True)
            continue
        if "as" in options:
            continue  # e.g. APIGroupDiscoveryList (aggregated discovery): not served
        found.acceptable = True
        return found
    return found


def not_acceptable() -> ApiError:
    return ApiError(
        406, "NotAcceptable", f"only the following media types are accepted: {ACCEPTED}"
    )


class Stream:
    """A watch answer: the handler writes each event as one chunk of JSON."""

    def __init__(self, events: Iterator[dict[str, Any] | None]) -> None:
        self.events = events


class Api:
    def __init__(
        self,
        store: Store,
        version: str,
        authorization_mode: Callable[[], str] = authz.mode_from_args,
    ) -> None:
        self.store = store
        self.version = version
        # Read on each request: `microk8s enable rbac` rewrites args/kube-apiserver.
        self.authorization_mode = authorization_mode

    def handle(
        self, method: str, url: str, body: bytes, content_type: str, accept: str = ""
    ) -> tuple[int, Any]:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        segments = [s for s in parts.path.split("/") if s]
        media = content_type.split(";")[0].strip()
        try:
            if body and media == PROTOBUF:
                # Dynamic (unstructured) clients send JSON; kubectl 1.36's typed
                # clients send protobuf and get this answer, without a retry in JSON.
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    "the body of the request was in an unknown format - "
                    f"accepted media types include: {ACCEPTED}",
                )
            result = self._route(method, segments, query, body, content_type, negotiate(accept))
        except ApiError as error:
            return error.code, error.status()
        except (ValueError, KeyError, TypeError, patch.PatchError) as error:
            return 400, ApiError(400, "BadRequest", str(error)).status()
        if method != "GET":
            controller.reconcile(self.store)
        return result

    def _crds(self) -> dict[tuple[str, str], dict[str, Any]]:
        found = {}
        for (_, kind_name, _, _), obj in list(self.store.objects.items()):
            if kind_name == "CustomResourceDefinition":
                spec = obj.get("spec", {})
                found[(spec.get("group", ""), spec.get("names", {}).get("kind", ""))] = obj
        return found

    def _openapi(self, seg: list[str], accepts: Negotiated) -> tuple[int, Any]:
        if not accepts.acceptable:
            # kubectl asks for v2 in protobuf only, then falls back to the old
            # /swagger-2.0.0.pb-v1 and does without it
            # (k8s.io/client-go/discovery/discovery_client.go, OpenAPISchema).
            raise not_acceptable()
        kinds, crds = self.store.kinds(), self._crds()
        if seg == ["openapi", "v2"]:
            return 200, openapi.v2_document(kinds, crds)
        if seg == ["openapi", "v3"]:
            return 200, openapi.v3_index(kinds, crds)
        if seg[2:3] == ["api"] and len(seg) == 4:
            document = openapi.v3_document(kinds, crds, "", seg[3])
        elif seg[2:3] == ["apis"] and len(seg) == 5:
            document = openapi.v3_document(kinds, crds, seg[3], seg[4])
        else:
            document = None
        if document is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return 200, document

    def _route(
        self,
        method: str,
        seg: list[str],
        query: dict[str, str],
        body: bytes,
        ctype: str,
        accepts: Negotiated,
    ) -> tuple[int, Any]:
        if seg in (["healthz"], ["readyz"], ["livez"]):
            return 200, "ok"
        if seg[:1] == ["openapi"]:
            return self._openapi(seg, accepts)
        if not accepts.acceptable:
            raise not_acceptable()
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
        if sub == "scale" and kind.kind in resources.WITH_SCALE:
            return self._scale(method, kind, namespace, name, body, ctype, query)
        if sub and sub != "status":
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if method == "GET" and query.get("watch") in ("true", "1"):
            return 200, self._watch(kind, namespace, name, query, accepts)
        dry_run = query.get("dryRun") == "All"
        if method == "GET" and not name:
            items = self.store.list(
                kind,
                namespace or None,
                query.get("labelSelector", ""),
                query.get("fieldSelector", ""),
            )
            if accepts.table:
                return 200, self._table(kind, items, str(self.store.version), query)
            return 200, {
                "apiVersion": kind.api_version,
                "kind": f"{kind.kind}List",
                "metadata": {"resourceVersion": str(self.store.version)},
                "items": items,
            }
        if method == "GET":
            obj = self.store.get(kind, namespace, name)
            if accepts.table:
                return 200, self._table(kind, [obj], obj["metadata"]["resourceVersion"], query)
            return 200, obj
        if method == "POST" and not name:
            obj = json.loads(body)
            self._check_kind(obj, kind)
            self._validate(kind, obj, query)
            controller.defaults(obj)
            return 201, self.store.create(
                kind, namespace or obj.get("metadata", {}).get("namespace", ""), obj, dry_run
            )
        if method == "PUT" and name:
            obj = json.loads(body)
            self._check_kind(obj, kind)
            self._validate(kind, obj, query)
            return 200, self.store.replace(kind, namespace, name, obj, dry_run, sub)
        if method == "PATCH" and name:
            return self._patch(kind, namespace, name, sub, body, ctype, query, dry_run)
        if method == "DELETE" and name:
            return 200, self.store.delete(kind, namespace, name, dry_run)
        raise ApiError(405, "MethodNotAllowed", f"{method} is not supported here")

    def _table(
        self, kind: resources.Kind, items: list[dict[str, Any]], rv: str, query: dict[str, str]
    ) -> dict[str, Any]:
        crd = self._crds().get((kind.group, kind.kind)) if kind.custom else None
        return tables.table(
            kind, crd, items, rv, query.get("includeObject", "PartialObjectMetadata")
        )

    def _watch(
        self,
        kind: resources.Kind,
        namespace: str,
        name: str,
        query: dict[str, str],
        accepts: Negotiated,
    ) -> Stream:
        """A watch, as k8s.io/apiserver/pkg/endpoints/handlers/watch.go serves it.

        resourceVersion unset or "0": ADDED for every object there is, then the
        changes; N: the changes after N (an ERROR event with a 410 Expired
        Status when N is older than the events kept). sendInitialEvents=true
        (the watch-list of KEP-3157): the ADDED events, then a BOOKMARK
        annotated k8s.io/initial-events-end. timeoutSeconds ends the stream.
        """
        labels = query.get("labelSelector", "")
        fields = query.get("fieldSelector", "")
        if name:
            fields = ",".join(filter(None, [fields, f"metadata.name={name}"]))
        timeout = float(query.get("timeoutSeconds") or WATCH_DEFAULT_SECONDS)
        deadline = time.monotonic() + timeout
        wanted = query.get("resourceVersion", "")
        initial = query.get("sendInitialEvents") == "true"

        def wrap(kind_name: str, obj: dict[str, Any]) -> dict[str, Any]:
            if accepts.table and kind_name != "ERROR":
                obj = self._table(kind, [obj], obj["metadata"]["resourceVersion"], query)
            return {"type": kind_name, "object": obj}

        def events() -> Iterator[dict[str, Any] | None]:
            with self.store.lock:
                since = self.store.version
                current = (
                    self.store.list(kind, namespace or None, labels, fields)
                    if initial or wanted in ("", "0")
                    else []
                )
            if wanted not in ("", "0") and not initial:
                since = int(wanted)
            for obj in current:
                yield wrap("ADDED", obj)
            if initial:
                yield {
                    "type": "BOOKMARK",
                    "object": {
                        "kind": kind.kind,
                        "apiVersion": kind.api_version,
                        "metadata": {
                            "resourceVersion": str(since),
                            "annotations": {"k8s.io/initial-events-end": "true"},
                        },
                    },
                }
            try:
                for event in self.store.watch(
                    kind, namespace or None, since, deadline, labels, fields
                ):
                    yield None if event is None else wrap(*event)
            except Expired as error:
                yield {"type": "ERROR", "object": ApiError(410, "Expired", str(error)).status()}

        return Stream(events())

    def _scale(
        self,
        method: str,
        kind: resources.Kind,
        namespace: str,
        name: str,
        body: bytes,
        ctype: str,
        query: dict[str, str],
    ) -> tuple[int, Any]:
        """The autoscaling/v1 Scale of a workload (pkg/registry/apps/deployment/storage)."""
        obj = self.store.get(kind, namespace, name)
        if method in ("PUT", "PATCH"):
            current = scale_of(obj)
            document = json.loads(body)
            if method == "PUT":
                wanted = document
            elif ctype.split(";")[0].strip() == "application/json-patch+json":
                wanted = patch.json_patch(current, document)
            else:
                wanted = patch.merge_patch(current, document)
            rv = wanted.get("metadata", {}).get("resourceVersion")
            if rv and rv != obj["metadata"]["resourceVersion"]:
                raise conflict(kind, name)
            updated = copy.deepcopy(obj)
            updated.setdefault("spec", {})["replicas"] = int(
                wanted.get("spec", {}).get("replicas", 0)
            )
            obj = self.store.replace(kind, namespace, name, updated, query.get("dryRun") == "All")
        elif method != "GET":
            raise ApiError(405, "MethodNotAllowed", f"{method} is not supported here")
        return 200, scale_of(obj)

    def _validate(self, kind: resources.Kind, obj: dict[str, Any], query: dict[str, str]) -> None:
        """fieldValidation=Strict on a custom resource: refuse undeclared fields."""
        if query.get("fieldValidation") != "Strict" or not kind.custom:
            return
        crd = self._crds().get((kind.group, kind.kind), {})
        version: dict[str, Any] = next(
            (v for v in crd.get("spec", {}).get("versions", []) if v.get("name") == kind.version),
            {},
        )
        schema = version.get("schema", {}).get("openAPIV3Schema")
        unknown = validation.unknown_fields(schema, obj) if schema else []
        if unknown:
            raise ApiError(
                400, "BadRequest", validation.strict_error(kind.kind, kind.version, unknown)
            )

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
            manager = query.get("fieldManager", "")
            if not manager:
                # k8s.io/apiserver/pkg/endpoints/handlers/patch.go
                raise ApiError(
                    422,
                    "Invalid",
                    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                    "is required for apply patch",
                )
            self._validate(kind, document, query)
            try:
                current = self.store.get(kind, namespace, name)
            except ApiError as error:
                if error.code != 404:
                    raise
                controller.defaults(document)
                document.setdefault("metadata", {})["managedFields"] = managed_fields(
                    [], manager, kind.api_version, document, sub
                )
                return 201, self.store.create(kind, namespace, document, dry_run)
            merged = patch.merge_patch(current, document)
            merged["metadata"]["managedFields"] = managed_fields(
                current["metadata"].get("managedFields", []),
                manager,
                kind.api_version,
                document,
                sub,
            )
            return 200, self.store.replace(kind, namespace, name, merged, dry_run, sub)
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
        if not sub:
            self._validate(kind, merged, query)
        return 200, self.store.replace(kind, namespace, name, merged, dry_run, sub)


def scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    selector = obj.get("spec", {}).get("selector", {}).get("matchLabels", {})
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": int(obj.get("spec", {}).get("replicas", 1))},
        "status": {
            "replicas": int(obj.get("status", {}).get("replicas", 0)),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(selector.items())),
        },
    }


def _fields_of(document: dict[str, Any]) -> dict[str, Any]:
    def walk(value: Any, key: str = "") -> dict[str, Any]:
        if isinstance(value, dict):
            return {f"f:{k}": walk(v, k) for k, v in value.items()}
        if isinstance(value, list) and key in patch.MERGE_KEYS:
            merge_key = patch.MERGE_KEYS[key]
            items: dict[str, Any] = {}
            for item in value:
                if isinstance(item, dict) and merge_key in item:
                    ident = json.dumps({merge_key: item[merge_key]}, separators=(",", ":"))
                    items[f"k:{ident}"] = {".": {}, **walk(item)}
            return items
        if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
            return {f"v:{json.dumps(v)}": {} for v in value}
        return {}

    fields = walk({k: v for k, v in document.items() if k not in ("apiVersion", "kind")})
    meta = fields.get("f:metadata", {})
    for owned_by_server in ("f:name", "f:namespace", "f:resourceVersion", "f:managedFields"):
        meta.pop(owned_by_server, None)
    if not meta:
        fields.pop("f:metadata", None)
    return fields


def managed_fields(
    entries: list[dict[str, Any]],
    manager: str,
    api_version: str,
    document: dict[str, Any],
    sub: str,
) -> list[dict[str, Any]]:
    """metadata.managedFields after an apply by `manager`
    (k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager): one Apply entry per
    manager, replaced by the fields of its latest apply; the time kept when its
    fields did not change."""
    fields = _fields_of(document)
    kept = [
        e for e in entries if not (e.get("manager") == manager and e.get("operation") == "Apply")
    ]
    old = next(
        (e for e in entries if e.get("manager") == manager and e.get("operation") == "Apply"),
        None,
    )
    entry = {
        "manager": manager,
        "operation": "Apply",
        "apiVersion": api_version,
        "time": old["time"] if old and old.get("fieldsV1") == fields else now(),
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }
    if sub:
        entry["subresource"] = sub
    return [*kept, entry]


PORT_FORWARD = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/?]+)/portforward(?:\?|$)")


class Handler(BaseHTTPRequestHandler):
    api: Api
    protocol_version = "HTTP/1.1"

    def _status(self, code: int, status: dict[str, Any]) -> None:
        payload = json.dumps(status).encode()
        self.send_response(code)
        self.send_header("Content-Type", JSON)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _port_forward(self, namespace: str, name: str) -> None:
        """The pods/portforward subresource, upgraded to SPDY/3.1 (see portforward.py)."""
        upgrade = self.headers.get("Upgrade", "").lower()
        protocols = self.headers.get("X-Stream-Protocol-Version", "")
        if upgrade != "spdy/3.1" or portforward.PROTOCOL not in protocols:
            error = ApiError(
                400,
                "BadRequest",
                "Upgrade request required: the stand-in API serves port-forward over "
                "SPDY/3.1 (X-Stream-Protocol-Version: portforward.k8s.io) only",
            )
            self._status(error.code, error.status())
            return
        kind = self.api.store.kind_by_plural("", "v1", "pods")
        try:
            pod = self.api.store.get(kind, namespace, name)
        except ApiError as missing:
            self._status(missing.code, missing.status())
            return
        if pod.get("status", {}).get("phase") != "Running":
            phase = pod.get("status", {}).get("phase")
            stopped = ApiError(400, "BadRequest", f"pod {name} is not running (phase {phase})")
            self._status(stopped.code, stopped.status())
            return
        self.send_response(101, "Switching Protocols")
        self.send_header("Connection", "Upgrade")
        self.send_header("Upgrade", "SPDY/3.1")
        self.send_header("X-Stream-Protocol-Version", portforward.PROTOCOL)
        self.end_headers()
        self.wfile.flush()
        uid = pod["metadata"].get("uid")

        def alive() -> bool:
            try:
                now = self.api.store.get(kind, namespace, name)
            except ApiError:
                return False
            running = now.get("status", {}).get("phase") == "Running"
            return running and bool(now["metadata"].get("uid") == uid)

        portforward.Session(self.connection, self.rfile, f"{namespace}/{name}", alive).serve()
        self.close_connection = True

    def _serve(self) -> None:
        code, denied = authz.check(
            self.api.store,
            self.api.authorization_mode(),
            self.command,
            self.path,
            self.headers.get("Authorization", ""),
        )
        if code:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self._status(code, denied)
            return
        forward = PORT_FORWARD.match(self.path)
        if forward and self.command in ("GET", "POST"):
            self._port_forward(forward[1], forward[2])
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        code, result = self.api.handle(
            self.command,
            self.path,
            body,
            self.headers.get("Content-Type", JSON),
            self.headers.get("Accept", ""),
        )
        if isinstance(result, Stream):
            self._stream(result)
            return
        if isinstance(result, str):
            payload, ctype = result.encode(), "text/plain; charset=utf-8"
        else:
            payload, ctype = json.dumps(result).encode(), "application/json"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _client_gone(self) -> bool:
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            if isinstance(self.connection, ssl.SSLSocket):
                # No MSG_PEEK over TLS; a watching client sends nothing more, so
                # a byte read here is nothing lost.
                self.connection.setblocking(False)
                try:
                    return self.connection.recv(1) == b""
                except ssl.SSLWantReadError:
                    return False
                finally:
                    self.connection.setblocking(True)
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
            return peeked == b""
        except OSError:
            return True

    def _stream(self, stream: Stream) -> None:
        """Chunked JSON events, one per chunk, as the real server flushes them."""
        self.send_response(200)
        self.send_header("Content-Type", JSON)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for event in stream.events:
                if event is None:
                    # Nothing happened for a while: stop if the client went away.
                    if self._client_gone():
                        break
                    continue
                data = json.dumps(event).encode() + b"\n"
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        # One line per request on stderr: the unit's journal shows the traffic.
        super().log_message(format, *args)


def serve(
    version: str,
    stop: threading.Event,
    host: str = "0.0.0.0",
    port: int = paths.API_PORT,
    db: Path = paths.STATE / "apiserver-db.json",
    on_listen: Callable[[int], None] | None = None,
    authorization_mode: str | None = None,
    tls: tuple[Path, Path] | None = None,
) -> None:
    """Serve until `stop` is set; reconcile once a second meanwhile.

    Tests pass `port=0` (any free port: `on_listen` is called with it once the
    server listens) and a `db` in a temporary directory.
    """
    store = Store(db)
    namespace_kind = store.kind_by_plural("", "v1", "namespaces")
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        if store.find("", "Namespace", "", name) is None:
            store.create(namespace_kind, "", {"metadata": {"name": name}}, dry_run=False)
    api = (
        Api(store, version)
        if authorization_mode is None
        else Api(store, version, lambda: authorization_mode)
    )
    handler = type("BoundHandler", (Handler,), {"api": api})
    server = ThreadingHTTPServer((host, port), handler)
    if tls is not None:
        # HTTPS with this certificate and key (kubectl sends bearer tokens over TLS only).
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if on_listen is not None:
        on_listen(server.server_address[1])
    while not stop.wait(1.0):
        controller.reconcile(store)
    server.shutdown()
    server.server_close()
