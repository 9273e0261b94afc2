"""Where the stand-in keeps its state, and the knobs a test sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SNAP = Path("/snap/microk8s/current")
SNAP_DATA = Path("/var/snap/microk8s/current")
SNAP_COMMON = Path("/var/snap/microk8s/common")
ARGS = SNAP_DATA / "args"
STATE = SNAP_COMMON / "fake"
SNAPD_STATE = Path("/var/lib/snapd/fake/state.json")

# Test knobs: how many GPUs this stand-in host has, and image name patterns
# (fnmatch) the stand-in kubelet fails to pull.
KNOBS = Path("/etc/hpo-rig-fakes")
GPU_COUNT = KNOBS / "gpu-count"
UNPULLABLE = KNOBS / "unpullable-images"
# The error helm fails the gpu addon's `helm install gpu-operator` with (empty:
# it succeeds). The addon ignores helm's exit status, as upstream does.
HELM_INSTALL_ERROR = KNOBS / "helm-install-error"

API_PORT = 16443
AGENT_PORT = 25000


def read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return default


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value, indent=1, sort_keys=True))
    tmp.replace(path)


def installed() -> dict[str, Any]:
    """The installed microk8s snap as the stand-in snapd recorded it."""
    snaps: dict[str, Any] = read_json(SNAPD_STATE, {}).get("snaps", {})
    info: dict[str, Any] = snaps.get("microk8s", {})
    return info


def minor_version() -> int:
    version = str(installed().get("version", "v1.32.0"))
    return int(version.lstrip("v").split(".")[1])


def legacy() -> bool:
    """Tracks before 1.16: separate daemons, dotted commands, no clustering."""
    return minor_version() < 16


def gpu_count() -> int:
    try:
        return int(GPU_COUNT.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def helm_install_error() -> str:
    try:
        return HELM_INSTALL_ERROR.read_text().strip()
    except FileNotFoundError:
        return ""


def addons() -> dict[str, Any]:
    value: dict[str, Any] = read_json(STATE / "addons.json", {})
    return value


def joined() -> dict[str, Any]:
    value: dict[str, Any] = read_json(STATE / "join.json", {})
    return value


def services() -> list[str]:
    """The snap's systemd services for the installed track."""
    names = (
        ["apiserver", "kubelet", "containerd"]
        if legacy()
        else ["kubelite", "containerd", "cluster-agent"]
    )
    return [f"snap.microk8s.daemon-{name}.service" for name in names]


def images() -> dict[str, Any]:
    value: dict[str, Any] = read_json(STATE / "images.json", {})
    return value
