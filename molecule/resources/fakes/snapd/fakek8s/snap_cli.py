"""The stand-in `snap` command: a store that offers one snap, microk8s.

    snap version | list [NAME] | info NAME
    snap install [--classic] [--channel C] microk8s
    snap refresh [--channel C] microk8s
    snap remove microk8s
    snap run microk8s.daemon-NAME          (what the systemd units run)
    snap get -d NAME | set NAME k=v

Output mirrors snapd's, as community.general.snap parses it. Installing
lays the snap out where the real one lives (/snap/microk8s/<rev>,
/snap/bin, /var/snap/microk8s/{current,common}), writes the args files
and the admin kubeconfig, creates the microk8s group, and installs and
starts the snap's systemd services, as the snap's install hook does.
"""

from __future__ import annotations

import grp
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import paths

PAYLOAD = Path(__file__).resolve().parent.parent
CHANNEL = re.compile(r"^(?:(?P<track>latest|1\.\d+)/)?(?P<risk>stable|candidate|beta|edge)$")
LATEST_MINOR = 34
COMMANDS_CURRENT = [
    "add-node",
    "config",
    "ctr",
    "disable",
    "enable",
    "images",
    "inspect",
    "join",
    "kubectl",
    "start",
    "status",
    "stop",
    "version",
]
COMMANDS_LEGACY = [
    "config",
    "ctr",
    "disable",
    "enable",
    "inspect",
    "kubectl",
    "start",
    "status",
    "stop",
]


def _state() -> dict[str, Any]:
    state: dict[str, Any] = paths.read_json(paths.SNAPD_STATE, {"snaps": {}})
    return state


def _release(channel: str) -> dict[str, Any] | None:
    match = CHANNEL.match(channel)
    if not match:
        return None
    track = match["track"] or "latest"
    minor = LATEST_MINOR if track == "latest" else int(track.split(".")[1])
    if minor < 10 or minor > LATEST_MINOR:
        return None
    tracking = f"{track}/{match['risk']}"
    return {
        "channel": tracking,
        "version": f"v1.{minor}.{12 if minor < 20 else 3}",
        "revision": 1000 + minor * 100 + (0 if match["risk"] == "stable" else 7),
    }


def cmd_version(args: list[str]) -> int:
    print("snap    2.63+fake\nsnapd   2.63+fake\nseries  16\ndebian  12\nkernel  6.1.0")
    return 0


def cmd_list(args: list[str]) -> int:
    snaps = _state()["snaps"]
    wanted = [a for a in args if not a.startswith("-")]
    if wanted and not all(w in snaps for w in wanted):
        print("error: no matching snaps installed", file=sys.stderr)
        return 1
    if not snaps:
        print("No snaps are installed yet. Try 'snap install hello-world'.", file=sys.stderr)
        return 0
    rows = [["Name", "Version", "Rev", "Tracking", "Publisher", "Notes"]]
    rows.append(["core20", "20240705", "2379", "latest/stable", "canonical**", "base"])
    for name, info in sorted(snaps.items()):
        if not wanted or name in wanted:
            rows.append(
                [
                    name,
                    info["version"],
                    str(info["revision"]),
                    info["channel"],
                    "canonical**",
                    "classic" if info.get("classic") else "-",
                ]
            )
    if wanted:
        rows = [rows[0], *rows[2:]]
    widths = [max(len(r[i]) for r in rows) + 2 for i in range(6)]
    for row in rows:
        print("".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_info(args: list[str]) -> int:
    names = [a for a in args if not a.startswith("-")]
    outputs = []
    for name in names:
        if name != "microk8s":
            print(f'error: no snap found for "{name}"', file=sys.stderr)
            return 1
        info = _state()["snaps"].get(name)
        lines = [
            "name:      microk8s",
            "summary:   Kubernetes for workstations and appliances",
            "publisher: Canonical**",
            "store-url: https://snapcraft.io/microk8s",
            "license:   Apache-2.0",
            "description: |",
            "  MicroK8s is a small, fast, secure, certified Kubernetes distribution (stand-in).",
            "snap-id:      EaXqgt1lyCaxKaQCU349mlodBkDCXRcg",
        ]
        if info:
            lines += [f"tracking:     {info['channel']}", "refresh-date: today at 00:00 UTC"]
        lines.append("channels:")
        for minor in (LATEST_MINOR, 32, 31, 15):
            release = _release(f"1.{minor}/stable")
            assert release is not None
            lines.append(
                f"  1.{minor}/stable: {release['version']} 2025-10-01 "
                f"({release['revision']}) 180MB classic"
            )
        if info:
            lines.append(f"installed:    {info['version']} ({info['revision']}) 180MB classic")
        outputs.append("\n".join(lines))
    print("\n---\n".join(outputs))
    return 0


def _parse_install(args: list[str]) -> tuple[list[str], str, bool]:
    channel, classic, names = "stable", False, []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--classic":
            classic = True
        elif arg == "--channel":
            index += 1
            channel = args[index]
        elif arg.startswith("--channel="):
            channel = arg.split("=", 1)[1]
        elif arg in ("--stable", "--edge", "--beta", "--candidate"):
            channel = arg[2:]
        elif not arg.startswith("-"):
            names.append(arg)
        index += 1
    return names, channel, classic


def cmd_install(args: list[str]) -> int:
    names, channel, classic = _parse_install(args)
    state = _state()
    for name in names:
        if name != "microk8s":
            print(f'error: snap "{name}" not found', file=sys.stderr)
            return 1
        if name in state["snaps"]:
            print(f"snap \"{name}\" is already installed, see 'snap help refresh'")
            continue
        release = _release(channel)
        if release is None:
            print(f'error: snap "{name}" not found in channel "{channel}"', file=sys.stderr)
            return 1
        if not classic:
            print(
                f'error: This revision of snap "{name}" was published using classic '
                "confinement and thus may\n"
                "       perform arbitrary system changes outside of the security sandbox "
                "that snaps are\n"
                "       usually confined to, which may put your system at risk.\n\n"
                "       If you understand and want to proceed repeat the command "
                "including --classic.",
                file=sys.stderr,
            )
            return 1
        state["snaps"][name] = {**release, "classic": True}
        paths.write_json(paths.SNAPD_STATE, state)
        _lay_out(release, fresh=True)
        print(f"{name} ({release['channel']}) {release['version']} from Canonical** installed")
    return 0


def cmd_refresh(args: list[str]) -> int:
    names, channel, _ = _parse_install(args)
    state = _state()
    for name in names:
        info = state["snaps"].get(name)
        if info is None:
            print(f'error: snap "{name}" is not installed', file=sys.stderr)
            return 1
        release = _release(channel if channel != "stable" else info["channel"])
        if release is None:
            print(f'error: snap "{name}" not found in channel "{channel}"', file=sys.stderr)
            return 1
        if release["channel"] == info["channel"]:
            print(f'snap "{name}" has no updates available')
            continue
        _stop_services()
        state["snaps"][name] = {**release, "classic": True}
        paths.write_json(paths.SNAPD_STATE, state)
        _lay_out(release, fresh=False)
        print(f"{name} ({release['channel']}) {release['version']} from Canonical** refreshed")
    return 0


def cmd_remove(args: list[str]) -> int:
    names = [a for a in args if not a.startswith("-")]
    state = _state()
    for name in names:
        if name not in state["snaps"]:
            print(f'snap "{name}" is not installed')
            continue
        _stop_services()
        for unit in Path("/etc/systemd/system").glob("snap.microk8s.*"):
            unit.unlink()
        subprocess.run(["systemctl", "daemon-reload"], check=False)
        for path in (Path("/snap/microk8s"), Path("/var/snap/microk8s")):
            shutil.rmtree(path, ignore_errors=True)
        for link in Path("/snap/bin").glob("microk8s*"):
            link.unlink()
        del state["snaps"][name]
        paths.write_json(paths.SNAPD_STATE, state)
        print(f"{name} removed")
    return 0


def _stop_services() -> None:
    units = [u.name for u in Path("/etc/systemd/system").glob("snap.microk8s.daemon-*.service")]
    if units:
        subprocess.run(["systemctl", "stop", *units], check=False)


KUBELET_LEGACY = """--kubeconfig=${SNAP}/configs/kubelet.config
--cert-dir=${SNAP_DATA}/certs
--client-ca-file=${SNAP_DATA}/certs/ca.crt
--anonymous-auth=false
--network-plugin=kubenet
--root-dir=${SNAP_COMMON}/var/lib/kubelet
--fail-swap-on=false
--pod-cidr=10.1.1.0/24
--container-runtime=remote
--container-runtime-endpoint=${SNAP_COMMON}/run/containerd.sock
--containerd=${SNAP_COMMON}/run/containerd.sock
--node-labels=microk8s.io/cluster=true
--authentication-token-webhook=true
--cluster-domain=cluster.local
--cluster-dns=10.152.183.10
"""
KUBELET_CURRENT = """--kubeconfig=${SNAP_DATA}/credentials/kubelet.config
--cert-dir=${SNAP_DATA}/certs
--client-ca-file=${SNAP_DATA}/certs/ca.crt
--anonymous-auth=false
--root-dir=${SNAP_COMMON}/var/lib/kubelet
--fail-swap-on=false
--eviction-hard="memory.available<100Mi,nodefs.available<1Gi,imagefs.available<1Gi"
--container-runtime-endpoint=${SNAP_COMMON}/run/containerd.sock
--containerd=${SNAP_COMMON}/run/containerd.sock
--node-labels="microk8s.io/cluster=true,node.kubernetes.io/microk8s-controlplane=microk8s-controlplane"
--authentication-token-webhook=true
--read-only-port=0
--serialize-image-pulls=false
--cluster-domain=cluster.local
--cluster-dns=10.152.183.10
"""
APISERVER = """--cert-dir=${SNAP_DATA}/certs
--service-cluster-ip-range=10.152.183.0/24
--secure-port=16443
--authorization-mode=AlwaysAllow
"""
CONTAINERD_TEMPLATE = """version = 2
[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "${RUNTIME}"
"""


def _lay_out(release: dict[str, Any], fresh: bool) -> None:
    revision = str(release["revision"])
    legacy = int(release["version"].split(".")[1]) < 16
    snap_dir = Path("/snap/microk8s") / revision
    if not snap_dir.exists():
        shutil.copytree(PAYLOAD, snap_dir, symlinks=True)
    _relink(Path("/snap/microk8s/current"), revision)
    data_dir = Path("/var/snap/microk8s") / revision
    old_data = paths.SNAP_DATA.resolve() if paths.SNAP_DATA.exists() else None
    if old_data and old_data != data_dir and not data_dir.exists():
        shutil.copytree(old_data, data_dir, symlinks=True)
    (data_dir / "args").mkdir(parents=True, exist_ok=True)
    _relink(paths.SNAP_DATA, revision)
    paths.STATE.mkdir(parents=True, exist_ok=True)
    args = paths.ARGS
    if fresh or not (args / "kubelet").exists():
        (args / "kubelet").write_text(KUBELET_LEGACY if legacy else KUBELET_CURRENT)
        (args / "kube-apiserver").write_text(APISERVER)
        (args / "containerd-template.toml").write_text(CONTAINERD_TEMPLATE)
        (args / "kube-proxy").write_text("--cluster-cidr=10.1.0.0/16\n")
    credentials = paths.read_json(paths.STATE / "credentials.json", {})
    if not credentials:
        credentials = {"admin_token": secrets.token_urlsafe(32)}
        paths.write_json(paths.STATE / "credentials.json", credentials)
    from .microk8s_cli import kubeconfig

    (paths.SNAP_DATA / "credentials").mkdir(exist_ok=True)
    client_config = paths.SNAP_DATA / "credentials" / "client.config"
    client_config.write_text(kubeconfig(f"http://127.0.0.1:{paths.API_PORT}"))
    try:
        group = grp.getgrnam("microk8s")
    except KeyError:
        subprocess.run(["groupadd", "--system", "microk8s"], check=True)
        group = grp.getgrnam("microk8s")
    shutil.chown(client_config, group=group.gr_name)
    client_config.chmod(0o640)
    bin_dir = Path("/snap/bin")
    bin_dir.mkdir(parents=True, exist_ok=True)
    for link in bin_dir.glob("microk8s*"):
        link.unlink()
    (bin_dir / "microk8s").symlink_to("/snap/microk8s/current/microk8s")
    for command in COMMANDS_LEGACY if legacy else COMMANDS_CURRENT:
        (bin_dir / f"microk8s.{command}").symlink_to("/snap/microk8s/current/microk8s")
    _install_units(legacy)


def _relink(link: Path, target: str) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)


def _install_units(legacy: bool) -> None:
    for old in Path("/etc/systemd/system").glob("snap.microk8s.daemon-*.service"):
        old.unlink()
    units = paths.services()
    for unit in units:
        app = unit.removeprefix("snap.").removesuffix(".service")
        Path("/etc/systemd/system", unit).write_text(
            f"[Unit]\nDescription=Service for snap application {app}\n"
            "After=network-online.target\n\n"
            f"[Service]\nExecStart=/usr/bin/snap run {app}\n"
            "Restart=on-failure\nRestartSec=2\n"
            "Type=simple\n\n[Install]\nWantedBy=multi-user.target\n"
        )
    subprocess.run(["systemctl", "daemon-reload"], check=True)
    subprocess.run(["systemctl", "enable", "--now", *units], check=True, capture_output=True)


def cmd_run(args: list[str]) -> int:
    app = args[0] if args else ""
    if not app.startswith("microk8s.daemon-"):
        print(
            f"error: cannot run {app!r}: the stand-in runs microk8s daemons only", file=sys.stderr
        )
        return 1
    from .daemon import main as daemon_main

    return daemon_main([app.removeprefix("microk8s.daemon-")])


def cmd_get(args: list[str]) -> int:
    name = next((a for a in args if not a.startswith("-")), "")
    print(f'error: snap "{name}" has no configuration' if name else "error: snap name required")
    return 1


def cmd_set(args: list[str]) -> int:
    return 0


COMMANDS = {
    "version": cmd_version,
    "list": cmd_list,
    "info": cmd_info,
    "install": cmd_install,
    "refresh": cmd_refresh,
    "remove": cmd_remove,
    "run": cmd_run,
    "get": cmd_get,
    "set": cmd_set,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(
            f"error: unknown command {argv[0]!r}, see 'snap help'." if argv else __doc__,
            file=sys.stderr,
        )
        return 1
    return COMMANDS[argv[0]](argv[1:])
