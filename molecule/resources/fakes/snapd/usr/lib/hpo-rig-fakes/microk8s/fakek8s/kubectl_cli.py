"""The stand-in `kubectl`: the subset the roles and their tests call.

    get TYPE[/NAME] [NAME] [-n NS|-A] [-l SEL] [-o json|yaml|name|wide]
    apply -f FILE|-  /  apply -k DIR     create, or merge into, each object
    delete TYPE NAME | -f FILE
    kustomize DIR                        resources, namespace, images, labels,
                                         configMapGenerator, secretGenerator
    port-forward [-n NS] [--address A] svc/NAME|pod/NAME LOCAL:REMOTE
    wait --for=condition=C TYPE/NAME [--timeout=Ns]
    version

The server comes from --kubeconfig, $KUBECONFIG or ~/.kube/config.
port-forward resolves the service to a Running pod as the real one does,
then listens in the foreground and answers every connection with a small
HTTP page naming the target (no container runs behind it).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from . import client


class Usage(Exception):
    pass


def _parse(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    flags: dict[str, str] = {}
    positional: list[str] = []
    short = {
        "-n": "namespace",
        "-o": "output",
        "-l": "selector",
        "-f": "filename",
        "-k": "kustomize",
        "-A": "all-namespaces",
    }
    boolean = {"all-namespaces", "client", "ignore-not-found", "quiet"}
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg in short or arg.startswith("--"):
            name = short.get(arg, arg[2:])
            if "=" in name:
                name, value = name.split("=", 1)
            elif name in boolean:
                value = "true"
            else:
                index += 1
                value = argv[index] if index < len(argv) else ""
            flags[name] = value
        elif arg.startswith("-o") and len(arg) > 2:
            flags["output"] = arg[2:]
        else:
            positional.append(arg)
        index += 1
    return positional, flags


def _server(flags: dict[str, str]) -> str:
    path = (
        flags.get("kubeconfig")
        or os.environ.get("KUBECONFIG")
        or str(Path.home() / ".kube" / "config")
    )
    try:
        config = yaml.safe_load(Path(path).read_text())
    except OSError as error:
        raise Usage(f"error: cannot read kubeconfig {path}: {error.strerror}") from error
    context = next(c for c in config["contexts"] if c["name"] == config["current-context"])[
        "context"
    ]
    cluster = next(c for c in config["clusters"] if c["name"] == context["cluster"])["cluster"]
    return str(cluster["server"])


class Cluster:
    def __init__(self, server: str) -> None:
        self.server = server
        self._resources: list[dict[str, Any]] | None = None

    def request(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> Any:
        return client.request(method, path, body, server=self.server, content_type=content_type)

    def resources(self) -> list[dict[str, Any]]:
        if self._resources is None:
            found = []
            for entry in self.request("GET", "/api/v1")["resources"]:
                found.append({**entry, "prefix": "/api/v1", "groupVersion": "v1"})
            for group in self.request("GET", "/apis")["groups"]:
                gv = group["preferredVersion"]["groupVersion"]
                for entry in self.request("GET", f"/apis/{gv}")["resources"]:
                    found.append({**entry, "prefix": f"/apis/{gv}", "groupVersion": gv})
            self._resources = [r for r in found if "/" not in r["name"]]
        return self._resources

    def resolve(self, name: str) -> dict[str, Any]:
        plain, _, group = name.lower().partition(".")
        for entry in self.resources():
            names = {
                entry["name"],
                entry.get("singularName", ""),
                entry["kind"].lower(),
                *entry.get("shortNames", []),
            }
            if plain in names and (not group or entry["groupVersion"].startswith(group)):
                return entry
        raise Usage(f'error: the server doesn\'t have a resource type "{name}"')

    def for_object(self, obj: dict[str, Any]) -> dict[str, Any]:
        for entry in self.resources():
            if entry["kind"] == obj.get("kind") and entry["groupVersion"] == obj.get("apiVersion"):
                return entry
        raise Usage(
            f'error: resource mapping not found for kind "{obj.get("kind")}" '
            f'in version "{obj.get("apiVersion")}"'
        )

    @staticmethod
    def path(entry: dict[str, Any], namespace: str, name: str = "") -> str:
        base = entry["prefix"]
        if entry["namespaced"] and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{entry['name']}"
        return f"{base}/{name}" if name else base


def _table(entry: dict[str, Any], items: list[dict[str, Any]], wide: bool) -> str:
    kind = entry["kind"]
    rows = []
    for item in items:
        name = item["metadata"]["name"]
        status = item.get("status", {})
        if kind == "Node":
            ready = any(
                c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])
            )
            rows.append(
                [
                    name,
                    "Ready" if ready else "NotReady",
                    status.get("nodeInfo", {}).get("kubeletVersion", ""),
                ]
            )
        elif kind == "Pod":
            statuses = status.get("containerStatuses", [])
            ready_count = sum(1 for s in statuses if s.get("ready"))
            reason = next(
                (
                    s["state"]["waiting"]["reason"]
                    for s in statuses
                    if "waiting" in s.get("state", {})
                ),
                status.get("phase", "Pending"),
            )
            rows.append([name, f"{ready_count}/{len(item['spec'].get('containers', []))}", reason])
        else:
            rows.append([name])
    header = {"Node": ["NAME", "STATUS", "VERSION"], "Pod": ["NAME", "READY", "STATUS"]}.get(
        kind, ["NAME"]
    )
    widths = [max(len(str(r[i])) for r in [header, *rows]) + 3 for i in range(len(header))]
    return "\n".join(
        "".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    )


def cmd_get(cluster: Cluster, args: list[str], flags: dict[str, str]) -> int:
    if not args:
        raise Usage("error: You must specify the type of resource to get.")
    kind_name, _, name = args[0].partition("/")
    names = [name] if name else args[1:]
    entry = cluster.resolve(kind_name)
    namespace = "" if flags.get("all-namespaces") else flags.get("namespace", "default")
    if names:
        items = []
        for one in names:
            try:
                items.append(cluster.request("GET", cluster.path(entry, namespace, one)))
            except client.ClientError as error:
                if flags.get("ignore-not-found"):
                    continue
                print(f"Error from server ({error.body.get('reason')}): {error}", file=sys.stderr)
                return 1
    else:
        query = f"?labelSelector={flags['selector']}" if flags.get("selector") else ""
        items = cluster.request("GET", cluster.path(entry, namespace) + query)["items"]
    output = flags.get("output", "")
    single = bool(names) and len(items) == 1
    document: Any = items[0] if single else {"apiVersion": "v1", "kind": "List", "items": items}
    if output == "json":
        print(json.dumps(document, indent=4))
    elif output == "yaml":
        print(yaml.safe_dump(document), end="")
    elif output == "name":
        group = entry["groupVersion"].rpartition("/")[0]
        for item in items:
            print(
                f"{entry['singularName'] or entry['kind'].lower()}{'.' + group if group else ''}/"
                f"{item['metadata']['name']}"
            )
    elif output.startswith("jsonpath="):
        raise Usage("error: the stand-in kubectl has no jsonpath output; use -o json")
    elif not items:
        print(f"No resources found in {namespace or 'any'} namespace.", file=sys.stderr)
    else:
        print(_table(entry, items, output == "wide"))
    return 0


def _documents(source: str) -> list[dict[str, Any]]:
    text = sys.stdin.read() if source == "-" else Path(source).read_text()
    docs = [d for d in yaml.safe_load_all(text) if d]
    flat: list[dict[str, Any]] = []
    for doc in docs:
        flat.extend(
            doc["items"] if doc.get("kind", "").endswith("List") and "items" in doc else [doc]
        )
    return flat


def cmd_apply(cluster: Cluster, args: list[str], flags: dict[str, str]) -> int:
    if flags.get("kustomize"):
        objects = kustomize(Path(flags["kustomize"]))
    elif flags.get("filename"):
        objects = _documents(flags["filename"])
    else:
        raise Usage("error: must specify one of -f and -k")
    for obj in objects:
        entry = cluster.for_object(obj)
        namespace = obj["metadata"].get("namespace") or flags.get("namespace", "default")
        name = obj["metadata"]["name"]
        label = f"{entry['singularName'] or entry['kind'].lower()}/{name}"
        try:
            before = cluster.request("GET", cluster.path(entry, namespace, name))
        except client.ClientError:
            cluster.request("POST", cluster.path(entry, namespace), obj)
            print(f"{label} created")
            continue
        after = cluster.request(
            "PATCH",
            cluster.path(entry, namespace, name),
            obj,
            content_type="application/merge-patch+json",
        )
        changed = after["metadata"]["resourceVersion"] != before["metadata"]["resourceVersion"]
        print(f"{label} {'configured' if changed else 'unchanged'}")
    return 0


def cmd_delete(cluster: Cluster, args: list[str], flags: dict[str, str]) -> int:
    targets: list[tuple[dict[str, Any], str, str]] = []
    if flags.get("filename"):
        for obj in _documents(flags["filename"]):
            targets.append(
                (
                    cluster.for_object(obj),
                    obj["metadata"].get("namespace", ""),
                    obj["metadata"]["name"],
                )
            )
    else:
        kind_name, _, name = args[0].partition("/")
        entry = cluster.resolve(kind_name)
        for one in [name] if name else args[1:]:
            targets.append((entry, flags.get("namespace", "default"), one))
    for entry, namespace, name in targets:
        try:
            cluster.request(
                "DELETE", cluster.path(entry, namespace or flags.get("namespace", "default"), name)
            )
            print(f'{entry["singularName"] or entry["kind"].lower()} "{name}" deleted')
        except client.ClientError as error:
            if not flags.get("ignore-not-found"):
                print(f"Error from server (NotFound): {error}", file=sys.stderr)
                return 1
    return 0


def cmd_wait(cluster: Cluster, args: list[str], flags: dict[str, str]) -> int:
    condition = flags.get("for", "").removeprefix("condition=")
    wanted, _, value = condition.partition("=")
    timeout = float(flags.get("timeout", "30s").rstrip("s"))
    kind_name, _, name = args[0].partition("/")
    entry = cluster.resolve(kind_name)
    deadline = time.monotonic() + timeout
    while True:
        try:
            obj = cluster.request(
                "GET", cluster.path(entry, flags.get("namespace", "default"), name)
            )
            conditions = obj.get("status", {}).get("conditions", [])
            if any(
                c["type"].lower() == wanted.lower() and c["status"] == (value or "True")
                for c in conditions
            ):
                print(f"{entry['singularName']}/{name} condition met")
                return 0
        except client.ClientError:
            pass
        if time.monotonic() > deadline:
            print(
                f"error: timed out waiting for the condition on {entry['name']}/{name}",
                file=sys.stderr,
            )
            return 1
        time.sleep(1)


# -- kustomize -------------------------------------------------------------------
def kustomize(directory: Path) -> list[dict[str, Any]]:
    for candidate in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if (directory / candidate).is_file():
            spec = yaml.safe_load((directory / candidate).read_text()) or {}
            break
    else:
        raise Usage(
            f"error: unable to find one of 'kustomization.yaml', 'kustomization.yml' or "
            f"'Kustomization' in directory '{directory}'"
        )
    objects: list[dict[str, Any]] = []
    for resource in spec.get("resources", []) + spec.get("bases", []):
        path = directory / resource
        if "://" in resource or resource.startswith("github.com/"):
            raise Usage(f"error: the stand-in kustomize reads local paths only, not {resource}")
        objects.extend(kustomize(path) if path.is_dir() else _documents(str(path)))
    for kind, generator in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
        for entry in spec.get(generator, []):
            objects.append(_generate(kind, entry, directory))
    namespace = spec.get("namespace")
    labels = dict(spec.get("commonLabels", {}))
    for entry in spec.get("labels", []):
        labels.update(entry.get("pairs", {}))
    for obj in objects:
        if namespace and obj["kind"] not in _CLUSTER_KINDS:
            obj["metadata"]["namespace"] = namespace
        if labels:
            obj["metadata"].setdefault("labels", {}).update(labels)
        _set_images(obj, spec.get("images", []))
    return objects


_CLUSTER_KINDS = {
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "StorageClass",
    "PersistentVolume",
    "Node",
}


def _generate(kind: str, entry: dict[str, Any], directory: Path) -> dict[str, Any]:
    data: dict[str, str] = {}
    for item in entry.get("files", []):
        key, _, file = item.rpartition("=")
        data[key or Path(file).name] = (directory / file).read_text()
    for item in entry.get("literals", []):
        key, _, value = item.partition("=")
        data[key] = value
    for item in entry.get("envs", []):
        for line in (directory / item).read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                data[key.strip()] = value.strip()
    name = entry["name"]
    if not entry.get("options", {}).get("disableNameSuffixHash"):
        name += "-" + hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}
    if kind == "Secret":
        obj["type"] = entry.get("type", "Opaque")
        obj["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    else:
        obj["data"] = data
    return obj


def _set_images(node: Any, images: list[dict[str, Any]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                node[key] = _rewrite(value, images)
            else:
                _set_images(value, images)
    elif isinstance(node, list):
        for item in node:
            _set_images(item, images)


def _rewrite(image: str, images: list[dict[str, Any]]) -> str:
    name, tag = image, ""
    if "@" in image:
        name, tag = image.split("@", 1)[0], "@" + image.split("@", 1)[1]
    elif ":" in image.rsplit("/", 1)[-1]:
        name, tag = image.rsplit(":", 1)[0], ":" + image.rsplit(":", 1)[1]
    for rule in images:
        if rule.get("name") == name:
            name = rule.get("newName", name)
            if rule.get("digest"):
                tag = "@" + rule["digest"]
            elif rule.get("newTag"):
                tag = ":" + str(rule["newTag"])
    return name + tag


def cmd_kustomize(cluster: Cluster | None, args: list[str], flags: dict[str, str]) -> int:
    documents = kustomize(Path(args[0] if args else "."))
    print(yaml.safe_dump_all(documents, sort_keys=True), end="")
    return 0


# -- port-forward --------------------------------------------------------------
def cmd_port_forward(cluster: Cluster, args: list[str], flags: dict[str, str]) -> int:
    if len(args) < 2:
        raise Usage("error: TYPE/NAME and list of ports are required for port-forward")
    namespace = flags.get("namespace", "default")
    target = args[0]
    kind_name, _, name = target.partition("/") if "/" in target else ("pod", "", target)
    mappings = []
    for spec in args[1:]:
        local_port, _, remote_port = spec.partition(":")
        mappings.append((int(local_port or remote_port), int(remote_port or local_port)))
    try:
        if kind_name in ("svc", "service", "services"):
            service = cluster.request("GET", f"/api/v1/namespaces/{namespace}/services/{name}")
            selector = ",".join(f"{k}={v}" for k, v in service["spec"].get("selector", {}).items())
            pods = cluster.request(
                "GET", f"/api/v1/namespaces/{namespace}/pods?labelSelector={selector}"
            )["items"]
            pod = next(
                (p for p in pods if p["status"].get("phase") == "Running"),
                pods[0] if pods else None,
            )
            if pod is None:
                print(
                    f"error: unable to forward port because no pods are selected by service {name}",
                    file=sys.stderr,
                )
                return 1
            ports = {
                p.get("port"): p.get("targetPort", p.get("port"))
                for p in service["spec"].get("ports", [])
            }
            mappings = [(local, int(ports.get(remote, remote))) for local, remote in mappings]
        else:
            pod = cluster.request("GET", f"/api/v1/namespaces/{namespace}/pods/{name}")
    except client.ClientError as error:
        print(f"Error from server (NotFound): {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if pod["status"].get("phase") != "Running":
        print(
            "error: unable to forward port because pod is not running. "
            f"Current status={pod['status'].get('phase')}",
            file=sys.stderr,
        )
        return 1
    addresses = flags.get("address", "localhost").split(",")
    listeners = []
    for address in addresses:
        bind = "127.0.0.1" if address == "localhost" else address
        for local, remote in mappings:
            try:
                sock = socket.create_server((bind, local))
            except OSError as error:
                print(
                    f"Unable to listen on port {local}: {error}\n"
                    "error: unable to listen on any of the "
                    "requested ports",
                    file=sys.stderr,
                )
                return 1
            print(f"Forwarding from {bind}:{local} -> {remote}", flush=True)
            listeners.append((sock, f"{namespace}/{pod['metadata']['name']}:{remote}"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    for sock, label in listeners:
        threading.Thread(target=_answer, args=(sock, label), daemon=True).start()
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    return 0


def _answer(sock: socket.socket, label: str) -> None:
    while True:
        conn, _ = sock.accept()
        with conn:
            conn.settimeout(5)
            try:
                request = conn.recv(65536).decode(errors="replace")
            except OSError:
                continue
            path = request.split(" ")[1] if request.count(" ") >= 2 else "/"
            print(f"Handling connection for {sock.getsockname()[1]}", flush=True)
            body = (
                f"<!doctype html><title>hpo-rig stand-in</title><p>{label} {path}</p>\n"
            ).encode()
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + body
            )


def cmd_version(cluster: Cluster | None, args: list[str], flags: dict[str, str]) -> int:
    print("Client Version: v1.32.9\nKustomize Version: v5.5.0")
    if cluster is not None and not flags.get("client"):
        info = cluster.request("GET", "/version")
        print(f"Server Version: {info['gitVersion']}")
    return 0


COMMANDS = {
    "get": cmd_get,
    "apply": cmd_apply,
    "delete": cmd_delete,
    "wait": cmd_wait,
    "port-forward": cmd_port_forward,
}


def main(argv: list[str]) -> int:
    positional, flags = _parse(argv)
    if not positional:
        print(__doc__)
        return 0
    command, args = positional[0], positional[1:]
    try:
        if command == "kustomize":
            return cmd_kustomize(None, args, flags)
        if command == "version" and flags.get("client"):
            return cmd_version(None, args, flags)
        cluster = Cluster(_server(flags))
        if command == "version":
            return cmd_version(cluster, args, flags)
        if command not in COMMANDS:
            raise Usage(f'error: unknown command "{command}" for "kubectl" (stand-in)')
        return COMMANDS[command](cluster, args, flags)
    except Usage as error:
        print(error, file=sys.stderr)
        return 1
    except client.ClientError as error:
        print(f"Error from server: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(
            "The connection to the server was refused - "
            f"did you specify the right host or port? ({error})",
            file=sys.stderr,
        )
        return 1
