"""Temporary kubeconfig files for the tests of kubectl's namespace rule."""

from pathlib import Path

import yaml


def write_kubeconfig(
    path: Path, namespaces: dict[str, str | None], current: str, server: str = "http://127.0.0.1:1"
) -> Path:
    """A kubeconfig with one context per entry of ``namespaces`` (``None``: the context names
    no namespace), all on one cluster, ``current`` as its current-context."""
    contexts = []
    for name, namespace in namespaces.items():
        context = {"cluster": "rig", "user": "tester"}
        if namespace is not None:
            context["namespace"] = namespace
        contexts.append({"name": name, "context": context})
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "rig", "cluster": {"server": server}}],
        "users": [{"name": "tester", "user": {"token": "t"}}],
        "contexts": contexts,
        "current-context": current,
    }
    path.write_text(yaml.safe_dump(config))
    return path
