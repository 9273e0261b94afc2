"""The Kubernetes objects the cluster roles apply are valid for the cluster.

Each role template that renders Kubernetes objects is rendered here with its
defaults (and the values a user is likely to set) and validated against the
Kubernetes OpenAPI schemas of the profile's version (kubernetes-validate,
offline). The Katib release the kubeflow role applies is rendered through
the role's overlay with the real `kubectl kustomize` that the role runs,
from the trimmed v0.19.0 copy the kubeflow scenario serves.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import jinja2
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
KATIB_RELEASE = ROOT / "molecule/kubeflow/files/katib-0.19.0"
CURRENT_K8S = "1.32"


def render(role: str, template: str, **variables: Any) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "roles" / role / "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["relpath"] = lambda path, start: os.path.relpath(path, start)
    env.filters["to_json"] = lambda value: yaml.safe_dump(value, default_flow_style=True).strip()
    return env.get_template(template).render(**variables)


def defaults(role: str, profile: str = "current") -> dict[str, Any]:
    """The role's defaults, with what they read from the shared hpo_rig role resolved."""
    shared_dir = ROOT / "roles/hpo_rig"
    shared = yaml.safe_load((shared_dir / "defaults/main.yml").read_text())
    shared |= yaml.safe_load((shared_dir / f"vars/{profile}.yml").read_text())
    values: dict[str, Any] = yaml.safe_load(
        (ROOT / "roles" / role / "defaults/main.yml").read_text()
    )
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    for name, value in values.items():
        whole = re.fullmatch(r"\{\{(.*)\}\}", value.strip()) if isinstance(value, str) else None
        if whole and "hpo_rig_" in value:
            # One expression: its value keeps its type (a mapping, a list).
            values[name] = env.compile_expression(whole.group(1))(**shared)
        elif isinstance(value, str) and "hpo_rig_" in value:
            values[name] = env.from_string(value).render(**shared)
    return values


def validate(obj: dict[str, Any], version: str = CURRENT_K8S) -> None:
    kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("replicas", [1, 2, 4])
def test_time_slicing_configmap(replicas: int) -> None:
    values = defaults("microk8s") | {"microk8s_gpu_replicas": replicas}
    obj = yaml.safe_load(render("microk8s", "time-slicing-configmap.yml.j2", **values))
    validate(obj)
    assert obj["metadata"]["namespace"] == "gpu-operator-resources"
    config = yaml.safe_load(obj["data"]["any"])
    # What the device plugin reads (GPU Operator's time-slicing format).
    assert config["version"] == "v1"
    assert config["sharing"]["timeSlicing"]["resources"] == [
        {"name": "nvidia.com/gpu", "replicas": replicas}
    ]


def test_time_slicing_configmap_is_selected_by_the_gpu_addon_options() -> None:
    tasks = yaml.safe_load((ROOT / "roles/microk8s/tasks/gpu.yml").read_text())
    enable = next(t for t in tasks if t["name"] == "Enable the gpu addon")
    settings = enable["vars"]["microk8s_settings"]
    assert "devicePlugin.config.name={{ microk8s_gpu_time_slicing_configmap }}" in settings
    # The key holding the config in the ConfigMap is the default config's name.
    assert "devicePlugin.config.default=any" in settings


def test_ingress_forward_rbac_allows_port_forward_only() -> None:
    values = defaults("ingress_forward")
    objects = list(yaml.safe_load_all(render("ingress_forward", "rbac.yml.j2", **values)))
    for obj in objects:
        validate(obj)
    kinds = [o["kind"] for o in objects]
    assert kinds == ["ServiceAccount", "Secret", "Role", "RoleBinding"]
    role = objects[2]
    verbs = {(r, v) for rule in role["rules"] for r in rule["resources"] for v in rule["verbs"]}
    # What the real kubectl 1.36.3 asks for (tests/test_fake_apiserver_rbac.py
    # runs it under RBAC with this Role): the Service, its pods, then the
    # port-forward (a WebSocket GET first, the SPDY POST as the fallback).
    assert verbs == {
        ("services", "get"),
        ("pods", "get"),
        ("pods", "list"),
        ("pods", "watch"),
        ("pods/portforward", "get"),
        ("pods/portforward", "create"),
    }


def test_ingress_forward_kubeconfig_is_a_kubeconfig() -> None:
    values = defaults("ingress_forward") | {
        "ingress_forward_cluster": {
            "server": "https://10.0.0.5:16443",
            "certificate-authority-data": "Q0E=",
        },
        "ingress_forward_token": "abc",
    }
    config = yaml.safe_load(render("ingress_forward", "kubeconfig.j2", **values))
    assert config["clusters"][0]["cluster"]["server"] == "https://10.0.0.5:16443"
    assert config["clusters"][0]["cluster"]["certificate-authority-data"] == "Q0E="
    assert config["users"][0]["user"]["token"] == "abc"
    assert config["contexts"][0]["context"]["namespace"] == "kubeflow"


@pytest.fixture
def katib_objects(tmp_path: Path, kubectl_binary: Path) -> list[dict[str, Any]]:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    values = defaults("kubeflow") | {
        "kubeflow_work_dir": str(tmp_path),
        "kubeflow_katib_registry": "mirror.example.test/katib",
        "kubeflow_source_root": str(KATIB_RELEASE),
        "kubeflow_kustomization": defaults("kubeflow")["kubeflow_katib_kustomization"],
    }
    rendered = render("kubeflow", "kustomization.yaml.j2", **values)
    (overlay / "kustomization.yaml").write_text(rendered)
    # What the kubeflow role runs: the real `kubectl kustomize` (conftest.py).
    out = subprocess.run(
        [str(kubectl_binary), "kustomize", str(overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"HOME": str(tmp_path)},
        check=True,
    ).stdout
    return [obj for obj in yaml.safe_load_all(out) if obj]


def test_katib_standalone_objects_are_valid(katib_objects: list[dict[str, Any]]) -> None:
    assert len(katib_objects) > 10
    for obj in katib_objects:
        validate(obj)


def test_katib_overlay_pulls_from_the_registry_variable(
    katib_objects: list[dict[str, Any]],
) -> None:
    images = {
        container["image"]
        for obj in katib_objects
        if obj["kind"] == "Deployment"
        for container in obj["spec"]["template"]["spec"]["containers"]
    }
    assert {
        "mirror.example.test/katib/katib-controller:v0.19.0",
        "mirror.example.test/katib/katib-db-manager:v0.19.0",
        "mirror.example.test/katib/katib-ui:v0.19.0",
    } <= images
    assert not any(image.startswith("ghcr.io/kubeflow/katib/katib-") for image in images)


def test_katib_objects_land_in_the_namespace(katib_objects: list[dict[str, Any]]) -> None:
    namespaced = [o for o in katib_objects if "namespace" in o["metadata"]]
    assert namespaced
    assert {o["metadata"]["namespace"] for o in namespaced} == {"kubeflow"}
    claim = next(o for o in katib_objects if o["kind"] == "PersistentVolumeClaim")
    # No class of its own: the default StorageClass (the role checks one exists).
    assert "storageClassName" not in claim["spec"]


def test_invalid_objects_are_caught() -> None:
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {1: 1}}
        )


def test_katib_overlay_moves_mysql_to_the_docker_hub_mirror(
    tmp_path: Path, kubectl_binary: Path
) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    values = defaults("kubeflow") | {
        "kubeflow_work_dir": str(tmp_path),
        "kubeflow_katib_registry": "mirror.example.test/katib",
        "kubeflow_docker_io_mirror": "mirror.example.test/hub",
        "kubeflow_source_root": str(KATIB_RELEASE),
        "kubeflow_kustomization": defaults("kubeflow")["kubeflow_katib_kustomization"],
    }
    (overlay / "kustomization.yaml").write_text(
        render("kubeflow", "kustomization.yaml.j2", **values)
    )
    out = subprocess.run(
        [str(kubectl_binary), "kustomize", str(overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"HOME": str(tmp_path)},
        check=True,
    ).stdout
    images = {
        container["image"]
        for obj in yaml.safe_load_all(out)
        if obj and obj["kind"] == "Deployment"
        for container in obj["spec"]["template"]["spec"]["containers"]
    }
    # Katib v0.19.0's components/mysql/mysql.yaml: image: mysql:8.0.29
    assert "mirror.example.test/hub/library/mysql:8.0.29" in images
    assert all(image.startswith("mirror.example.test/") for image in images), images
