"""The stand-in microk8s daemons, run by systemd as the snap's services.

    kubelite        current tracks: API server and kubelet in one process
                    (on a joined worker: a proxy to the control plane's API
                    on 127.0.0.1:16443, as microk8s's apiserver-proxy, and
                    the kubelet)
    apiserver       1.15: the API server alone
    kubelet         1.15: the kubelet alone
    cluster-agent   the join endpoint on port 25000
    containerd      a placeholder that only runs

The kubelet reads args/kubelet as the real one does, refuses flags the real
kubelet of that version refuses, registers the node, posts its Ready
condition every few seconds, and marks it not ready when stopped.
"""

from __future__ import annotations

import contextlib
import json
import select
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml

from . import apiserver, client, paths
from .store import now

HEARTBEAT_SECONDS = 3.0


def read_args(name: str) -> dict[str, str]:
    """The flags of an args file, with the snap's variables expanded."""
    flags: dict[str, str] = {}
    text = (paths.ARGS / name).read_text()
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("--"):
            continue
        flag, _, value = line.partition("=")
        if not _ and " " in flag:
            flag, _, value = flag.partition(" ")
        for var, path in (
            ("SNAP_DATA", paths.SNAP_DATA),
            ("SNAP_COMMON", paths.SNAP_COMMON),
            ("SNAP", paths.SNAP),
        ):
            value = value.replace("${" + var + "}", str(path)).replace("$" + var, str(path))
        flags[flag.strip()] = value.strip().strip('"')
    return flags


def check_kubelet_flags(flags: dict[str, str], minor: int) -> str:
    """The container runtime, or SystemExit with the real kubelet's complaint."""
    runtime = flags.get("--container-runtime", "remote")
    if minor >= 27 and "--container-runtime" in flags:
        sys.exit("Error: failed to parse kubelet flag: unknown flag: --container-runtime")
    if runtime == "docker":
        if minor >= 24:
            sys.exit(
                'E0101 run.go:74] "command failed" err="failed to run Kubelet: '
                "using dockershim is not supported, "
                'please consider using a full-fledged CRI implementation"'
            )
        return "docker://19.3.8"
    if runtime != "remote":
        sys.exit(f"F0101 server.go:160] unknown container runtime {runtime!r}")
    return "containerd://1.7.27" if minor >= 16 else "containerd://1.2.5"


def node_name(flags: dict[str, str]) -> str:
    return (flags.get("--hostname-override") or socket.gethostname()).lower()


# The node label the device plugin's config-manager watches: its value names
# the key of the config ConfigMap to use (devicePlugin.config.default when unset).
# NVIDIA/k8s-device-plugin v0.16.2 cmd/config-manager/main.go: the config is
# (re)loaded when the plugin starts and when this label changes; a changed
# ConfigMap alone is not noticed until the plugin pod restarts.
CONFIG_LABEL = "nvidia.com/device-plugin.config"


def _read_time_slicing(
    server: str, namespace: str, config: dict[str, Any], label: str | None
) -> int:
    """The replicas of the config the plugin loads when it (re)starts."""
    if not config.get("name"):
        return 1
    try:
        cm = client.request(
            "GET", f"/api/v1/namespaces/{namespace}/configmaps/{config['name']}", server=server
        )
    except (client.ClientError, OSError):
        # The real plugin waits for its config; one replica is what it advertises meanwhile.
        return 1
    data = cm.get("data", {})
    key = label or config.get("default", "")
    document = yaml.safe_load(data.get(key, "") or next(iter(data.values()), "")) or {}
    for entry in document.get("sharing", {}).get("timeSlicing", {}).get("resources", []):
        if entry.get("name") == "nvidia.com/gpu":
            return int(entry.get("replicas", 1))
    return 1


def _gpu_replicas(server: str, legacy: bool, node: str = "") -> int | None:
    """Time-slicing replicas the device plugin advertises (None: no plugin running here).

    The config is read when this node's plugin pod starts (a new pod uid) or the
    node's CONFIG_LABEL changes, and kept in STATE/device-plugin.json until then.
    """
    namespace = "kube-system" if legacy else "gpu-operator-resources"
    try:
        plugin = client.request(
            "GET",
            f"/apis/apps/v1/namespaces/{namespace}/daemonsets/nvidia-device-plugin-daemonset",
            server=server,
        )
        pods = client.request(
            "GET",
            f"/api/v1/namespaces/{namespace}/pods"
            "?labelSelector=app%3Dnvidia-device-plugin-daemonset",
            server=server,
        ).get("items", [])
    except (client.ClientError, OSError):
        return None
    labels: dict[str, str] = {}
    if node:
        with contextlib.suppress(client.ClientError, OSError):
            labels = client.request("GET", f"/api/v1/nodes/{node}", server=server)["metadata"].get(
                "labels", {}
            )
    running = [
        p
        for p in pods
        if p.get("status", {}).get("phase") == "Running"
        and (not node or p.get("spec", {}).get("nodeName") == node)
    ]
    if not running:
        return None
    annotations = plugin["metadata"].get("annotations", {})
    settings = json.loads(annotations.get("fake.hpo-rig/operator-values", "{}"))
    config = settings.get("devicePlugin", {}).get("config", {})
    label = labels.get(CONFIG_LABEL)
    key = {"pod": running[0]["metadata"].get("uid", ""), "label": label}
    state_file = paths.STATE / "device-plugin.json"
    loaded = paths.read_json(state_file, {})
    if loaded.get("key") == key and "replicas" in loaded:
        return int(loaded["replicas"])
    replicas = _read_time_slicing(server, namespace, config, label)
    with contextlib.suppress(OSError):
        paths.write_json(state_file, {"key": key, "replicas": replicas})
    return replicas


def _node(name: str, runtime: str, server: str, ready: bool, worker: bool) -> dict[str, Any]:
    version = str(paths.installed().get("version", "v1.32.0"))
    role = "worker" if worker else "controlplane"
    allocatable = {"cpu": "2", "memory": "8Gi", "pods": "110", "ephemeral-storage": "50Gi"}
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        f"node.kubernetes.io/microk8s-{role}": f"microk8s-{role}",
    }
    replicas = _gpu_replicas(server, paths.legacy(), name)
    gpus = paths.gpu_count()
    if replicas is not None and gpus:
        allocatable["nvidia.com/gpu"] = str(gpus * replicas)
        labels["nvidia.com/gpu.count"] = str(gpus)
        labels["nvidia.com/gpu.replicas"] = str(replicas)
    stamp = now()
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "status": {
            "capacity": dict(allocatable),
            "allocatable": allocatable,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "Unknown",
                    "reason": "KubeletReady" if ready else "NodeStatusUnknown",
                    "message": "kubelet is posting ready status"
                    if ready
                    else "Kubelet stopped posting node status.",
                    "lastHeartbeatTime": stamp,
                    "lastTransitionTime": stamp,
                }
            ],
            "addresses": [{"type": "Hostname", "address": name}],
            "nodeInfo": {
                "kubeletVersion": version,
                "containerRuntimeVersion": runtime,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def _post_status(node: dict[str, Any], server: str) -> None:
    name = node["metadata"]["name"]
    try:
        current = client.request("GET", f"/api/v1/nodes/{name}", server=server)
    except client.ClientError as error:
        if error.code != 404:
            raise
        current = client.request("POST", "/api/v1/nodes", {**node, "status": {}}, server=server)
    labels = {**current["metadata"].get("labels", {}), **node["metadata"]["labels"]}
    if labels != current["metadata"].get("labels"):
        current = client.request(
            "PATCH",
            f"/api/v1/nodes/{name}",
            {"metadata": {"labels": labels}},
            server=server,
            content_type="application/merge-patch+json",
        )
    old = current.get("status", {}).get("conditions", [])
    new = node["status"]["conditions"][0]
    if old and old[0]["status"] == new["status"]:
        new["lastTransitionTime"] = old[0].get("lastTransitionTime", new["lastTransitionTime"])
    current["status"] = node["status"]
    client.request("PUT", f"/api/v1/nodes/{name}/status", current, server=server)


def kubelet(
    stop: threading.Event, server: str, worker: bool, flags: dict[str, str], runtime: str
) -> None:
    name = node_name(flags)
    print(f"kubelet: node {name}, runtime {runtime}, API {server}", flush=True)
    while True:
        try:
            _post_status(_node(name, runtime, server, True, worker), server)
        except (OSError, client.ClientError) as error:
            print(f"kubelet: cannot post node status: {error}", flush=True)
        if stop.wait(HEARTBEAT_SECONDS):
            break
    with contextlib.suppress(OSError, client.ClientError):
        _post_status(_node(name, runtime, server, False, worker), server)


def _proxy(listen_port: int, target_host: str, target_port: int, stop: threading.Event) -> None:
    """A TCP proxy, as microk8s's apiserver-proxy on joined workers."""
    listener = socket.create_server(("0.0.0.0", listen_port), reuse_port=True)
    listener.settimeout(1.0)

    def pipe(a: socket.socket, b: socket.socket) -> None:
        with a, b:
            while True:
                ready, _, _ = select.select([a, b], [], [], 30)
                if not ready:
                    return
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    (b if source is a else a).sendall(data)

    while not stop.is_set():
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        upstream = socket.create_connection((target_host, target_port))
        threading.Thread(target=pipe, args=(conn, upstream), daemon=True).start()


class AgentHandler(BaseHTTPRequestHandler):
    """POST /cluster/api/v1.0/join {token, hostname, worker}: one-time tokens from add-node."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        tokens: dict[str, Any] = paths.read_json(paths.STATE / "tokens.json", {})
        token = str(body.get("token", ""))
        if self.path != "/cluster/api/v1.0/join" or token not in tokens:
            self._answer(500, {"error": "Invalid token"})
            return
        del tokens[token]
        paths.write_json(paths.STATE / "tokens.json", tokens)
        self._answer(200, {"api_port": paths.API_PORT, "hostname_override": body.get("hostname")})

    def _answer(self, code: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: daemon kubelite|apiserver|kubelet|cluster-agent|containerd", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    role = argv[0]
    version = str(paths.installed().get("version", "v1.32.0"))
    join = paths.joined()
    server = str(join.get("server") or client.local_server())
    threads: list[threading.Thread] = []
    if role in ("kubelite", "apiserver") and not join:
        threads.append(threading.Thread(target=apiserver.serve, args=(version, stop)))
    if role == "kubelite" and join:
        host, _, port = server.removeprefix("http://").partition(":")
        threads.append(
            threading.Thread(
                target=_proxy, args=(paths.API_PORT, host, int(port), stop), daemon=True
            )
        )
    if role in ("kubelite", "kubelet"):
        flags = read_args("kubelet")
        runtime = check_kubelet_flags(flags, paths.minor_version())
        threads.append(
            threading.Thread(
                target=kubelet, args=(stop, client.local_server(), bool(join), flags, runtime)
            )
        )
    if role == "cluster-agent":
        agent = ThreadingHTTPServer(("0.0.0.0", paths.AGENT_PORT), AgentHandler)
        threads.append(threading.Thread(target=agent.serve_forever, daemon=True))

        def stop_agent() -> None:
            stop.wait()
            agent.shutdown()

        threading.Thread(target=stop_agent, daemon=True).start()
    if role not in ("kubelite", "apiserver", "kubelet", "cluster-agent", "containerd"):
        print(f"unknown daemon {role}", file=sys.stderr)
        return 2
    for thread in threads:
        thread.start()
    stop.wait()
    for thread in threads:
        if not thread.daemon:
            thread.join(timeout=10)
    return 0
