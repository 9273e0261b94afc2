"""The stand-in gpu addon and device plugin (fakek8s) behave as upstream's do.

- microk8s 1.32's gpu addon (canonical/microk8s-core-addons addons/nvidia/enable,
  deploy_gpu_operator) runs `helm install gpu-operator` without checking its
  result: a failed install still prints "Deployed NVIDIA GPU operator" and the
  addon exits 0, with nothing deployed.
- NVIDIA/k8s-device-plugin v0.16.2 (cmd/config-manager) reads its config when
  its pod starts and when the node label nvidia.com/device-plugin.config
  changes; a changed ConfigMap alone is not seen until the pod restarts.

The stand-in API runs in this process on a free port with its state, and the
stand-in's knobs (/etc/hpo-rig-fakes), in a temporary directory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import stand_in_api
import yaml

from fakek8s import apiserver, client, daemon, microk8s_cli, paths

NAMESPACE = "gpu-operator-resources"
PLUGIN = "nvidia-device-plugin-daemonset"
NODE = "node-1"


class Fake:
    def __init__(self, server: str, knobs: Path) -> None:
        self.server = server
        self.knobs = knobs

    def get(self, path: str) -> Any:
        return client.request("GET", path, server=self.server)

    def pods(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.get(f"/api/v1/namespaces/{NAMESPACE}/pods")["items"]
        return items

    def time_slicing(self, replicas: int) -> None:
        """The role's ConfigMap (roles/microk8s/templates/time-slicing-configmap.yml.j2)."""
        config = {
            "version": "v1",
            "sharing": {
                "timeSlicing": {"resources": [{"name": "nvidia.com/gpu", "replicas": replicas}]}
            },
        }
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "hpo-rig-time-slicing", "namespace": NAMESPACE},
            "data": {"any": yaml.safe_dump(config)},
        }
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
        client.upsert("/api/v1/namespaces", NAMESPACE, namespace, self.server)
        client.upsert(
            f"/api/v1/namespaces/{NAMESPACE}/configmaps", "hpo-rig-time-slicing", body, self.server
        )

    def replicas(self) -> int | None:
        return daemon._gpu_replicas(self.server, False, NODE)


def _until(what: Callable[[], Any], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    knobs = tmp_path / "knobs"
    knobs.mkdir()
    (knobs / "gpu-count").write_text("1\n")
    monkeypatch.setattr(paths, "STATE", tmp_path / "state")
    monkeypatch.setattr(paths, "GPU_COUNT", knobs / "gpu-count")
    monkeypatch.setattr(paths, "UNPULLABLE", knobs / "unpullable-images")
    monkeypatch.setattr(paths, "HELM_INSTALL_ERROR", knobs / "helm-install-error")
    monkeypatch.setattr(paths, "legacy", lambda: False)
    with stand_in_api.serving(tmp_path / "db.json") as port:
        monkeypatch.setattr(paths, "API_PORT", port)
        yield _ready_node(f"http://127.0.0.1:{port}", knobs)


def _ready_node(server: str, knobs: Path) -> Fake:
    """The stand-in's node, registered and Ready as the kubelet reports it."""
    client.request("POST", "/api/v1/nodes", {"metadata": {"name": NODE}}, server)
    node = client.request("GET", f"/api/v1/nodes/{NODE}", server=server)
    node["status"] = {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "lastHeartbeatTime": apiserver.now(),
                "lastTransitionTime": apiserver.now(),
            }
        ]
    }
    client.request("PUT", f"/api/v1/nodes/{NODE}/status", node, server)
    return Fake(server, knobs)


OPTIONS = [
    "--gpu-operator-driver",
    "host",
    "--gpu-operator-set=devicePlugin.config.name=hpo-rig-time-slicing",
    "--gpu-operator-set=devicePlugin.config.default=any",
]


def _enable(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    enabled: dict[str, Any] = {"helm3": {}}
    rc = microk8s_cli._enable_gpu(list(OPTIONS), enabled)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_a_failed_helm_install_still_exits_0_and_deploys_nothing(
    fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    (fake.knobs / "helm-install-error").write_text(
        'failed to download "nvidia/gpu-operator" at version "v24.6.2"\n'
    )
    rc, out, err = _enable(capsys)
    assert rc == 0
    assert "Deployed NVIDIA GPU operator" in out
    assert 'Error: INSTALLATION FAILED: failed to download "nvidia/gpu-operator"' in err
    with pytest.raises(client.ClientError) as missing:
        fake.get(f"/apis/apps/v1/namespaces/{NAMESPACE}/daemonsets/{PLUGIN}")
    assert missing.value.code == 404
    assert fake.replicas() is None


def test_the_operator_and_plugin_run_with_upstreams_images(
    fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = _enable(capsys)
    assert rc == 0
    assert "Error" not in err
    assert "Deployed NVIDIA GPU operator" in out

    def running() -> list[dict[str, Any]]:
        pods = [p for p in fake.pods() if p["status"].get("phase") == "Running"]
        return pods if len(pods) == 2 else []

    pods = _until(running)
    images = sorted(c["image"] for p in pods for c in p["spec"]["containers"])
    assert images == [
        "nvcr.io/nvidia/gpu-operator:v24.6.2",
        "nvcr.io/nvidia/k8s-device-plugin:v0.16.2",
    ]
    # The operator registers its runtime as RuntimeClass nvidia.
    assert fake.get("/apis/node.k8s.io/v1/runtimeclasses/nvidia")["handler"] == "nvidia"


def test_an_unpullable_operator_image_leaves_its_pod_in_image_pull_back_off(
    fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    (fake.knobs / "unpullable-images").write_text("nvcr.io/nvidia/*\n")
    assert _enable(capsys)[0] == 0

    def waiting() -> list[str]:
        return [
            s["state"]["waiting"]["reason"]
            for p in fake.pods()
            for s in p["status"].get("containerStatuses", [])
            if "waiting" in s["state"]
        ]

    assert _until(waiting) == ["ImagePullBackOff", "ImagePullBackOff"]
    assert fake.replicas() is None  # no plugin running: nothing advertised


def test_the_plugin_reads_its_config_at_pod_start_and_on_label_change_only(
    fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.time_slicing(2)
    assert _enable(capsys)[0] == 0
    assert _until(fake.replicas) == 2
    # A changed ConfigMap is not reloaded while the pod runs.
    fake.time_slicing(4)
    time.sleep(1.5)
    assert fake.replicas() == 2
    # A restarted pod (a changed pod template, as the role's checksum annotation does) reads it.
    old = {p["metadata"]["uid"] for p in fake.pods()}
    client.request(
        "PATCH",
        f"/apis/apps/v1/namespaces/{NAMESPACE}/daemonsets/{PLUGIN}",
        {"spec": {"template": {"metadata": {"annotations": {"hpo-rig/time-slicing-sha256": "x"}}}}},
        server=fake.server,
        content_type="application/merge-patch+json",
    )
    _until(
        lambda: [
            p
            for p in fake.pods()
            if p["metadata"]["uid"] not in old and p["status"].get("phase") == "Running"
        ]
    )
    assert fake.replicas() == 4
    # So does a change of the node label that selects the config's key.
    fake.time_slicing(3)
    client.request(
        "PATCH",
        f"/api/v1/nodes/{NODE}",
        {"metadata": {"labels": {"nvidia.com/device-plugin.config": "any"}}},
        server=fake.server,
        content_type="application/merge-patch+json",
    )
    assert fake.replicas() == 3
