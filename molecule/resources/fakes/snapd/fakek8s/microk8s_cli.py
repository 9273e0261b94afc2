"""The stand-in `microk8s` command (also called as microk8s.<command>).

Subcommands: status, enable, disable, config, add-node, join, kubectl, ctr,
images, inspect, start, stop, version. Addons change objects in the
stand-in API the way the real addons' manifests do (dns: coredns,
hostpath-storage: the default StorageClass, registry, gpu/nvidia: the
device plugin carrying the operator's values), and their state shows in
`status`.
"""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import secrets
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import yaml

from . import client, ctrimport, paths

CURRENT_ADDONS = {
    # name: (description, alias of)
    "cert-manager": ("Cloud native certificate management", None),
    "dashboard": ("The Kubernetes dashboard", None),
    "dns": ("CoreDNS", None),
    "gpu": ("Alias to nvidia add-on", "nvidia"),
    "ha-cluster": ("Configure high availability on the current node", None),
    "helm": ("Helm - the package manager for Kubernetes", None),
    "helm3": ("Helm 3 - the package manager for Kubernetes", None),
    "hostpath-storage": ("Storage class; allocates storage from host directory", None),
    "ingress": ("Ingress controller for external access", None),
    "metallb": ("Loadbalancer for your Kubernetes cluster", None),
    "metrics-server": ("K8s Metrics Server for API access to service metrics", None),
    "nvidia": ("NVIDIA hardware (GPU and network) support", None),
    "observability": ("A lightweight observability stack for logs, traces and metrics", None),
    "rbac": ("Role-Based Access Control for authorisation", None),
    "registry": ("Private image registry exposed on localhost:32000", None),
    "storage": ("Alias to hostpath-storage add-on, deprecated", "hostpath-storage"),
}
CURRENT_DEFAULT_ON = {"ha-cluster", "helm", "helm3"}
LEGACY_ADDONS = [
    "cilium",
    "dashboard",
    "dns",
    "fluentd",
    "gpu",
    "ingress",
    "istio",
    "jaeger",
    "juju",
    "knative",
    "kubeflow",
    "linkerd",
    "metallb",
    "metrics-server",
    "prometheus",
    "rbac",
    "registry",
    "storage",
]
NOT_RUNNING = "microk8s is not running. Use microk8s inspect for a deeper inspection."


def _catalogue() -> dict[str, tuple[str, str | None]]:
    if paths.legacy():
        return {name: ("", None) for name in LEGACY_ADDONS}
    return CURRENT_ADDONS


def _target(name: str) -> str:
    return _catalogue()[name][1] or name


def _enabled() -> dict[str, Any]:
    state = paths.addons()
    if "enabled" not in state:
        state["enabled"] = {} if paths.legacy() else {n: {} for n in CURRENT_DEFAULT_ON}
    enabled: dict[str, Any] = state["enabled"]
    return enabled


def _save_enabled(enabled: dict[str, Any]) -> None:
    paths.write_json(paths.STATE / "addons.json", {"enabled": enabled})


def _running() -> bool:
    for unit in paths.services():
        if subprocess.run(["systemctl", "is-active", "--quiet", unit], check=False).returncode:
            return False
    return client.healthy()


def _host_ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


# -- status -------------------------------------------------------------------
def cmd_status(args: list[str]) -> int:
    wait = "--wait-ready" in args or "-w" in args
    timeout = float(_option(args, "--timeout", "-t") or 0)
    fmt = _option(args, "--format")
    if paths.legacy() and fmt:
        print("microk8s.status: unrecognized option '--format'", file=sys.stderr)
        return 1
    if not paths.legacy() and "--yaml" in args:
        fmt = "yaml"
    if paths.legacy() and "--yaml" in args:
        fmt = "legacy-yaml"
    if paths.joined():
        print(
            "This MicroK8s deployment is acting as a node in a cluster.\n"
            "Please use microk8s status on the control plane."
        )
        return 0
    deadline = time.monotonic() + timeout
    while not _running():
        if not wait or (timeout and time.monotonic() > deadline):
            print(NOT_RUNNING)
            return 1
        time.sleep(1)
    enabled = _enabled()
    names = sorted(_catalogue())
    status = {n: "enabled" if _target(n) in enabled else "disabled" for n in names}
    addon = _option(args, "--addon", "-a")
    if addon:
        print(status.get(addon, "disabled"))
        return 0
    if fmt == "legacy-yaml":
        print("microk8s:\n  running: True\naddons:")
        for name in names:
            print(f"  {name}: {status[name]}")
    elif fmt == "yaml":
        doc = {
            "microk8s": {"running": True},
            "high-availability": {
                "enabled": False,
                "nodes": [{"address": "127.0.0.1:19001", "role": "voter"}],
            },
            "addons": [
                {
                    "name": n,
                    "repository": "core",
                    "description": _catalogue()[n][0],
                    "version": "",
                    "status": status[n],
                }
                for n in names
            ],
        }
        print(yaml.safe_dump(doc, sort_keys=False), end="")
    else:
        print("microk8s is running\nhigh-availability: no\naddons:\n  enabled:")
        for name in (n for n in names if status[n] == "enabled"):
            print(f"    {name:<20} # (core) {_catalogue()[name][0]}")
        print("  disabled:")
        for name in (n for n in names if status[n] == "disabled"):
            print(f"    {name:<20} # (core) {_catalogue()[name][0]}")
    return 0


def _option(args: list[str], *names: str) -> str | None:
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


# -- addons ---------------------------------------------------------------------
FLAG_OPTIONS = {"--gpu-operator-set-as-default-runtime"}
# What microk8s 1.32's gpu addon installs: the GPU Operator chart v24.6.2, whose
# device plugin is NVIDIA/k8s-device-plugin v0.16.2 (gpu-operator
# deployments/gpu-operator/values.yaml at v24.6.2, devicePlugin.version).
GPU_OPERATOR_VERSION = "v24.6.2"
DEVICE_PLUGIN_VERSION = "v0.16.2"


def _split_addons(args: list[str]) -> list[tuple[str, list[str]]]:
    """`enable a b c` or `enable a --opt value --flag`: addons with their options."""
    addons: list[tuple[str, list[str]]] = []
    for arg in args:
        previous = addons[-1][1][-1] if addons and addons[-1][1] else ""
        takes_value = (
            previous.startswith("-") and "=" not in previous and previous not in FLAG_OPTIONS
        )
        if addons and (arg.startswith("-") or takes_value):
            addons[-1][1].append(arg)
        else:
            addons.append((arg, []))
    return addons


def cmd_enable(args: list[str]) -> int:
    if not _running():
        print(NOT_RUNNING)
        return 1
    enabled = _enabled()
    for name, options in _split_addons(args):
        if name not in _catalogue():
            print(f"Addon {name} was not found in any repository", file=sys.stderr)
            return 1
        print(f"Infer repository core for addon {name}")
        target = _target(name)
        if target in enabled:
            print(f"Addon core/{target} is already enabled")
            continue
        result = _enable_one(target, options, enabled)
        if result:
            return result
        enabled[target] = {"options": options}
        _save_enabled(enabled)
    return 0


def _enable_one(name: str, options: list[str], enabled: dict[str, Any]) -> int:
    legacy = paths.legacy()
    if name == "dns":
        print("Enabling DNS")
        _apply(
            _deployment("kube-system", "coredns", "coredns/coredns:1.10.1", {"k8s-app": "kube-dns"})
        )
        _apply(_service("kube-system", "kube-dns", {"k8s-app": "kube-dns"}, 53))
        print("DNS is enabled")
    elif name in ("hostpath-storage", "storage"):
        print("Enabling default storage class.")
        _apply(
            _deployment(
                "kube-system",
                "hostpath-provisioner",
                "cdkbot/hostpath-provisioner:1.5.0",
                {"k8s-app": "hostpath-provisioner"},
            )
        )
        _apply(
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {
                    "name": "microk8s-hostpath",
                    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                },
                "provisioner": "microk8s.io/hostpath",
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "WaitForFirstConsumer",
            }
        )
        print("Storage will be available soon.")
    elif name == "registry":
        storage = "storage" if legacy else "hostpath-storage"
        if storage not in enabled:
            _enable_one(storage, [], enabled)
            enabled[storage] = {"options": []}
        print("The registry will be created with the size of 20Gi.")
        _apply(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "container-registry"}}
        )
        _apply(_deployment("container-registry", "registry", "registry:2.8.1", {"app": "registry"}))
        _apply(
            _service("container-registry", "registry", {"app": "registry"}, 5000, node_port=32000)
        )
        print("The registry is enabled")
    elif name in ("gpu", "nvidia"):
        return _enable_gpu(options, enabled)
    elif name == "rbac":
        # microk8s-core-addons addons/rbac/enable: the API server's authorization
        # mode becomes RBAC,Node (the stand-in API reads it on each request).
        print("Enabling RBAC")
        print("Reconfiguring apiserver")
        if _set_authorization_mode("RBAC,Node"):
            print("Restarting apiserver")
        print("RBAC is enabled")
    else:
        print(f"Enabling {name}")
    return 0


def _enable_gpu(options: list[str], enabled: dict[str, Any]) -> int:
    has_driver = paths.gpu_count() > 0 or Path("/proc/driver/nvidia/version").exists()
    if paths.legacy():
        if not has_driver:
            print(
                "Aborting: NVIDIA drivers are not installed "
                "(the nvidia kernel module is not loaded).",
                file=sys.stderr,
            )
            return 1
        print("Enabling NVIDIA GPU")
        _apply(_daemonset("kube-system", {}))
        print("NVIDIA is enabled")
        return 0
    values: dict[str, Any] = {}
    driver = "auto"
    index = 0
    while index < len(options):
        option = options[index]
        value = options[index + 1] if index + 1 < len(options) and "=" not in option else ""
        if "=" in option:
            option, value = option.split("=", 1)
        else:
            index += 1
        index += 1
        if option == "--gpu-operator-driver":
            if value not in ("auto", "host", "operator"):
                print(f"Invalid value for --gpu-operator-driver: {value}", file=sys.stderr)
                return 1
            driver = value
        elif option == "--gpu-operator-set":
            key, _, setting = value.partition("=")
            node = values
            parts = key.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = setting
        elif option == "--gpu-operator-values":
            values = _deep_merge(values, yaml.safe_load(Path(value).read_text()) or {})
        elif option in (
            "--gpu-operator-version",
            "--gpu-operator-toolkit-version",
            "--gpu-operator-set-as-default-runtime",
            "--gpu-operator-driver-version",
        ):
            continue
        else:
            print(f"Error: No such option: {option}", file=sys.stderr)
            return 2
    for dependency in ("dns", "helm3"):
        if dependency not in enabled:
            _enable_one(dependency, [], enabled)
            enabled[dependency] = {"options": []}
        else:
            print(f"Addon core/{dependency} is already enabled")
    print("Checking if NVIDIA driver is already installed")
    if driver == "auto":
        driver = "host" if has_driver else "operator"
    print("Deploy NVIDIA GPU operator")
    print("Using host GPU driver" if driver == "host" else "Using operator GPU driver")
    # microk8s-core-addons addons/nvidia/enable (deploy_gpu_operator): helm runs
    # with subprocess.run and its result is not checked, so a failed install still
    # prints "Deployed NVIDIA GPU operator" and the addon exits 0.
    helm_error = paths.helm_install_error()
    if helm_error:
        print(f"Error: INSTALLATION FAILED: {helm_error}", file=sys.stderr)
    else:
        _apply(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "gpu-operator-resources"},
            }
        )
        _apply(
            _deployment(
                "gpu-operator-resources",
                "gpu-operator",
                f"nvcr.io/nvidia/gpu-operator:{GPU_OPERATOR_VERSION}",
                {"app": "gpu-operator"},
            )
        )
        _apply(
            _daemonset(
                "gpu-operator-resources", {**values, "driver": {"enabled": driver == "operator"}}
            )
        )
        # The operator registers the toolkit's runtime as RuntimeClass `nvidia`
        # (gpu-operator v24.6.2 values.yaml operator.runtimeClass, controllers/
        # object_controls.go).
        _apply(
            {
                "apiVersion": "node.k8s.io/v1",
                "kind": "RuntimeClass",
                "metadata": {"name": "nvidia"},
                "handler": "nvidia",
            }
        )
    print("Deployed NVIDIA GPU operator")
    enabled["nvidia"] = {"options": options, "values": values, "driver": driver}
    _save_enabled(enabled)
    return 0


def _set_authorization_mode(mode: str) -> bool:
    """Set --authorization-mode in args/kube-apiserver; True when it changed."""
    path = paths.ARGS / "kube-apiserver"
    lines = path.read_text().splitlines() if path.exists() else []
    wanted = f"--authorization-mode={mode}"
    if wanted in lines:
        return False
    lines = [line for line in lines if not line.startswith("--authorization-mode")] + [wanted]
    path.write_text("\n".join(lines) + "\n")
    return True


def _deep_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    merged = dict(a)
    for key, value in b.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def cmd_disable(args: list[str]) -> int:
    if not _running():
        print(NOT_RUNNING)
        return 1
    enabled = _enabled()
    for name, _ in _split_addons(args):
        if name not in _catalogue():
            print(f"Addon {name} was not found in any repository", file=sys.stderr)
            return 1
        target = _target(name)
        print(f"Infer repository core for addon {name}")
        if target not in enabled:
            print(f"Addon core/{target} is already disabled")
            continue
        print(f"Disabling {target}")
        if target == "rbac":
            # microk8s-core-addons addons/rbac/disable: back to AlwaysAllow.
            _set_authorization_mode("AlwaysAllow")
        for path in _objects_of(target):
            try:
                client.request("DELETE", path)
            except client.ClientError as error:
                if error.code != 404:
                    raise
        del enabled[target]
        _save_enabled(enabled)
        print(f"{target} is disabled")
    return 0


def _objects_of(addon: str) -> list[str]:
    return {
        "dns": [
            "/apis/apps/v1/namespaces/kube-system/deployments/coredns",
            "/api/v1/namespaces/kube-system/services/kube-dns",
        ],
        "hostpath-storage": [
            "/apis/storage.k8s.io/v1/storageclasses/microk8s-hostpath",
            "/apis/apps/v1/namespaces/kube-system/deployments/hostpath-provisioner",
        ],
        "storage": [
            "/apis/storage.k8s.io/v1/storageclasses/microk8s-hostpath",
            "/apis/apps/v1/namespaces/kube-system/deployments/hostpath-provisioner",
        ],
        "registry": ["/api/v1/namespaces/container-registry"],
        "nvidia": [
            "/api/v1/namespaces/gpu-operator-resources",
            "/apis/node.k8s.io/v1/runtimeclasses/nvidia",
        ],
        "gpu": ["/apis/apps/v1/namespaces/kube-system/daemonsets/nvidia-device-plugin-daemonset"],
    }.get(addon, [])


def _apply(obj: dict[str, Any]) -> None:
    meta = obj["metadata"]
    group_version = obj["apiVersion"]
    prefix = f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"
    plural = {
        "Namespace": "namespaces",
        "Deployment": "deployments",
        "Service": "services",
        "StorageClass": "storageclasses",
        "DaemonSet": "daemonsets",
        "RuntimeClass": "runtimeclasses",
    }[obj["kind"]]
    namespace = meta.get("namespace")
    path = f"{prefix}/namespaces/{namespace}/{plural}" if namespace else f"{prefix}/{plural}"
    client.upsert(path, meta["name"], obj)


def _deployment(namespace: str, name: str, image: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": image}]},
            },
        },
    }


def _service(
    namespace: str, name: str, labels: dict[str, str], port: int, node_port: int | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": labels, "ports": [{"port": port, "targetPort": port}]}
    if node_port:
        spec["type"] = "NodePort"
        spec["ports"][0]["nodePort"] = node_port
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def _daemonset(namespace: str, values: dict[str, Any]) -> dict[str, Any]:
    labels = {"app": "nvidia-device-plugin-daemonset"}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": "nvidia-device-plugin-daemonset",
            "namespace": namespace,
            "annotations": {"fake.hpo-rig/operator-values": json.dumps(values, sort_keys=True)},
        },
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "nvidia-device-plugin",
                            "image": f"nvcr.io/nvidia/k8s-device-plugin:{DEVICE_PLUGIN_VERSION}",
                        }
                    ]
                },
            },
        },
    }


# -- config, clustering -----------------------------------------------------------
def kubeconfig(server: str) -> str:
    token = paths.read_json(paths.STATE / "credentials.json", {}).get("admin_token", "")
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "clusters": [{"cluster": {"server": server}, "name": "microk8s-cluster"}],
            "contexts": [
                {"context": {"cluster": "microk8s-cluster", "user": "admin"}, "name": "microk8s"}
            ],
            "current-context": "microk8s",
            "kind": "Config",
            "preferences": {},
            "users": [{"name": "admin", "user": {"token": token}}],
        },
        sort_keys=False,
    )


def cmd_config(args: list[str]) -> int:
    host = "127.0.0.1" if ("-l" in args or "--use-loopback" in args) else _host_ip()
    print(kubeconfig(f"http://{host}:{paths.API_PORT}"), end="")
    return 0


def cmd_add_node(args: list[str]) -> int:
    if not _running():
        print(NOT_RUNNING)
        return 1
    token = secrets.token_hex(16)
    tokens = paths.read_json(paths.STATE / "tokens.json", {})
    tokens[token] = time.time() + float(_option(args, "--token-ttl", "-l") or 3600)
    paths.write_json(paths.STATE / "tokens.json", tokens)
    fingerprint = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:12]
    join = f"microk8s join {_host_ip()}:{paths.AGENT_PORT}/{token}/{fingerprint}"
    print("From the node you wish to join to this cluster, run the following:")
    print(join)
    print("\nUse the '--worker' flag to join a node as a worker not running the control plane, eg:")
    print(f"{join} --worker")
    print(
        "\nIf the node you are adding is not reachable through the default interface "
        "you can use one of the following:"
    )
    print(join)
    return 0


def cmd_join(args: list[str]) -> int:
    target = next((a for a in args if not a.startswith("-")), "")
    address, _, rest = target.partition("/")
    token = rest.split("/")[0]
    if not address or not token:
        print(
            "Usage: microk8s join <master>:<port>/<token>[/<cert-fingerprint>] [--worker]",
            file=sys.stderr,
        )
        return 2
    host = address.split(":")[0]
    print(f"Contacting cluster at {host}")
    try:
        client.request(
            "POST",
            "/cluster/api/v1.0/join",
            {
                "token": token,
                "hostname": socket.gethostname().lower(),
                "worker": "--worker" in args,
            },
            server=f"http://{address}",
        )
    except client.ClientError as error:
        print(f"Failed to join cluster. Error code {error.code}. {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"Failed to join cluster. {error}", file=sys.stderr)
        return 1
    paths.write_json(
        paths.STATE / "join.json",
        {"server": f"http://{host}:{paths.API_PORT}", "worker": "--worker" in args},
    )
    subprocess.run(["systemctl", "restart", *paths.services()], check=True)
    print("\nThe node has joined the cluster and will appear in the nodes list in a few seconds.")
    return 0


# -- images -------------------------------------------------------------------------
CTR_BOOL_FLAGS = {
    "--all-platforms",
    "--no-unpack",
    "--digests",
    "--skip-digest-for-named",
    "--compress-blobs",
    "--discard-unpacked-layers",
    "--local",
}
CTR_VALUE_FLAGS = {"--platform", "--base-name", "--index-name", "--snapshotter"}
CTR_GLOBAL_VALUE_FLAGS = {"-n", "--namespace", "-a", "--address", "--timeout", "--connect-timeout"}


def _import(archive: Path, options: dict[str, Any] | None = None) -> int:
    """ctr image import as containerd v1.6.36 does it (fakek8s/ctrimport.py)."""
    options = options or {}
    spec = options.get("--platform")
    try:
        strict = [ctrimport.parse_platform(spec)] if spec else None
        default = ctrimport.only(ctrimport.host_platform())
        matcher = None if options.get("--all-platforms") else (strict or default)
        unpack = None if options.get("--no-unpack") else (strict or default)
        imported = ctrimport.import_archive(archive, matcher)
    except ctrimport.CtrError as error:
        return ctrimport.main_error(error)
    # The images exist once imported, before (and whether or not) they unpack.
    images = paths.images()
    for name, desc in imported:
        images[name] = {"digest": desc["digest"], "target": desc}
    paths.write_json(paths.STATE / "images.json", images)
    try:
        for name, desc in imported if unpack is not None else []:
            ctrimport.unpack_image(name, desc, unpack)  # type: ignore[arg-type]
    except ctrimport.CtrError as error:
        return ctrimport.main_error(error)
    return 0


def _ctr_import(args: list[str]) -> int:
    options: dict[str, Any] = {}
    positional: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        flag, eq, value = arg.partition("=")
        if flag in CTR_BOOL_FLAGS:
            options[flag] = value.lower() != "false" if eq else True
        elif flag in CTR_VALUE_FLAGS:
            options[flag] = value if eq else (rest.pop(0) if rest else "")
        elif arg.startswith("-") and arg != "-":
            print(f"ctr: flag provided but not defined: {flag}", file=sys.stderr)
            return 1
        else:
            positional.append(arg)
    if not positional:
        print("ctr: please provide an input", file=sys.stderr)
        return 1
    if positional[0] == "-":
        spool = paths.STATE / "ctr-import.tar"
        spool.parent.mkdir(parents=True, exist_ok=True)
        spool.write_bytes(sys.stdin.buffer.read())
        return _import(spool, options)
    return _import(Path(positional[0]), options)


def _ctr_images_ls(args: list[str]) -> int:
    quiet = "-q" in args or "--quiet" in args
    wanted = [a.split("==", 1)[1] for a in args if a.startswith("name==")]
    images = {
        name: info for name, info in sorted(paths.images().items()) if not wanted or name in wanted
    }
    if quiet:
        for name in images:
            print(name)
        return 0
    default = ctrimport.only(ctrimport.host_platform())
    rows = [["REF", "TYPE", "DIGEST", "SIZE", "PLATFORMS", "LABELS"]]
    for name, info in images.items():
        target = info.get("target") or {"digest": info["digest"], "mediaType": "", "size": 0}
        rows.append(
            [
                name,
                target.get("mediaType", ""),
                target["digest"],
                ctrimport.human_size(ctrimport.image_size(target, default)),
                ",".join(ctrimport.image_platforms(target)) or "-",
                "-",
            ]
        )
    print(ctrimport.tabwrite(rows))
    return 0


def cmd_ctr(args: list[str]) -> int:
    rest = list(args)
    while rest and rest[0].startswith("-"):
        flag = rest.pop(0)
        if flag in CTR_GLOBAL_VALUE_FLAGS and rest:
            rest.pop(0)
    padded = [*rest, "", ""]
    group, sub, rest = padded[0], padded[1], rest[2:]
    if group in ("image", "images", "i") and sub == "import":
        return _ctr_import(rest)
    if group in ("image", "images", "i") and sub in ("ls", "list"):
        return _ctr_images_ls(rest)
    if group in ("image", "images", "i") and sub in ("rm", "remove", "delete", "del"):
        # containerd v1.6.36 images.go removeCommand: each removed name printed;
        # a missing one only logged as a warning (exit 0).
        images = paths.images()
        for name in [a for a in rest if not a.startswith("-")]:
            if images.pop(name, None) is None:
                stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                print(
                    f'time="{stamp}" level=warning msg="{name}: image not found"', file=sys.stderr
                )
            else:
                print(name)
        paths.write_json(paths.STATE / "images.json", images)
        return 0
    if group == "content" and sub == "get":
        try:
            for digest in rest[:1]:
                sys.stdout.buffer.write(ctrimport.read_blob(digest))
        except ctrimport.CtrError as error:
            return ctrimport.main_error(error)
        return 0
    print(
        f"ctr: the stand-in supports `image import|ls|rm` and `content get`, not {' '.join(args)}",
        file=sys.stderr,
    )
    return 1


def cmd_images(args: list[str]) -> int:
    if args[:1] == ["import"]:
        source = Path(args[1]) if len(args) > 1 and args[1] != "-" else None
        if source is None:
            spool = paths.STATE / "images-import.tar"
            spool.write_bytes(sys.stdin.buffer.read())
            source = spool
        print(f"Pushing OCI images to {_host_ip()}:{paths.AGENT_PORT}")
        return _import(source)
    if args[:1] in (["ls"], ["list"]):
        for name in sorted(paths.images()):
            print(name)
        return 0
    print("Usage: microk8s images import [IMAGE.tar | - ] | ls", file=sys.stderr)
    return 2


# -- the rest -----------------------------------------------------------------------
def cmd_inspect(args: list[str]) -> int:
    print("Inspecting system\nInspecting Certificates\nInspecting services")
    for unit in paths.services():
        state = subprocess.run(
            ["systemctl", "is-active", unit], capture_output=True, text=True, check=False
        ).stdout.strip()
        print(
            f"  Service {unit.removesuffix('.service')} is "
            f"{'running' if state == 'active' else state}"
        )
    print("Gathering system information")
    try:
        rules = subprocess.run(
            ["iptables", "-S", "FORWARD"], capture_output=True, text=True, check=False
        ).stdout
    except FileNotFoundError:
        rules = ""
    if "-P FORWARD DROP" in rules:
        print(
            "\nWARNING:  IPtables FORWARD policy is DROP. "
            "Consider enabling traffic forwarding with: "
            "sudo iptables -P FORWARD ACCEPT \nThe change can be made persistent with: "
            "sudo apt-get install iptables-persistent"
        )
    hostname = socket.gethostname()
    if hostname != hostname.lower() or "_" in hostname:
        print(
            "WARNING:  This machine's hostname contains capital letters and/or underscores. "
            "This is not a valid name for a Kubernetes node, causing node registration to fail."
        )
    report = paths.SNAP_DATA / f"inspection-report-{time.strftime('%Y%m%d_%H%M%S')}.tar.gz"
    with tarfile.open(report, "w:gz") as tar:
        tar.add(paths.ARGS, arcname="args")
    print(f"Building the report tarball\n  Report tarball is at {report}")
    return 0


def cmd_start(args: list[str]) -> int:
    return subprocess.run(["systemctl", "start", *paths.services()], check=False).returncode


def cmd_stop(args: list[str]) -> int:
    return subprocess.run(["systemctl", "stop", *paths.services()], check=False).returncode


def cmd_version(args: list[str]) -> int:
    info = paths.installed()
    print(f"MicroK8s {info.get('version')} revision {info.get('revision')}")
    return 0


def cmd_kubectl(args: list[str]) -> int:
    config = paths.SNAP_DATA / "credentials" / "client.config"
    os.execv(str(paths.SNAP / "kubectl"), ["kubectl", f"--kubeconfig={config}", *args])
    return 1


COMMANDS = {
    "status": cmd_status,
    "enable": cmd_enable,
    "disable": cmd_disable,
    "config": cmd_config,
    "add-node": cmd_add_node,
    "join": cmd_join,
    "kubectl": cmd_kubectl,
    "ctr": cmd_ctr,
    "images": cmd_images,
    "inspect": cmd_inspect,
    "start": cmd_start,
    "stop": cmd_stop,
    "version": cmd_version,
}


def _permitted() -> bool:
    if os.geteuid() == 0:
        return True
    try:
        members = grp.getgrnam("microk8s")
    except KeyError:
        return False
    user = pwd.getpwuid(os.getuid())
    return (
        user.pw_name in members.gr_mem
        or user.pw_gid == members.gr_gid
        or members.gr_gid in os.getgroups()
    )


def main(program: str, argv: list[str]) -> int:
    name = Path(program).name
    if name.startswith("microk8s."):
        command, args = name.split(".", 1)[1], argv
    elif argv:
        command, args = argv[0], argv[1:]
    else:
        print("Available subcommands are:\n\t" + "\n\t".join(sorted(COMMANDS)))
        return 0
    if command not in COMMANDS or (command in ("add-node", "join", "images") and paths.legacy()):
        print(f"'{command}' is not a valid MicroK8s subcommand.", file=sys.stderr)
        return 1
    if command != "version" and not _permitted():
        user = pwd.getpwuid(os.getuid()).pw_name
        print(
            "Insufficient permissions to access MicroK8s.\n"
            "You can either try again with sudo or add the user "
            f"{user} to the 'microk8s' group:\n\n    sudo usermod -a -G microk8s {user}",
            file=sys.stderr,
        )
        return 1
    try:
        return COMMANDS[command](args)
    except (client.ClientError, OSError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
