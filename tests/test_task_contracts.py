"""What some tasks promise, read from the tasks themselves (issue 13).

Each test reads a role's task file as Ansible loads it and checks the
property that a Molecule run cannot reach cheaply: the bound of a wait, the
way full Kubeflow is applied, where a Katib release is unpacked, that a
connection reset or a stale fact cache does not depend on luck.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def tasks(role: str, name: str, folder: str = "tasks") -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load(
        (ROOT / "roles" / role / folder / name).read_text()
    )
    flat: list[dict[str, Any]] = []
    for task in loaded:
        flat.append(task)
        flat.extend(task.get("block", []))
    return flat


def task(role: str, name: str, title: str, folder: str = "tasks") -> dict[str, Any]:
    found = [t for t in tasks(role, name, folder) if t.get("name", "").startswith(title)]
    assert len(found) == 1, f"{role}/{folder}/{name}: no single task named {title!r}"
    return found[0]


def expression(text: str, **variables: Any) -> Any:
    """The value of one Jinja expression `{{ ... }}`, as Ansible would template it."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters["int"] = int
    inner = re.fullmatch(r"\s*\{\{(.*)\}\}\s*", text, re.S)
    assert inner, text
    return env.compile_expression(inner.group(1))(**variables)


def test_kubelet_args_wait_is_bounded_by_its_timeout() -> None:
    wait = task("kubelet_args", "main.yml", "Wait for the node to be Ready", folder="handlers")
    # It runs after the restart, and only then.
    assert wait["listen"] == "Restart the kubelet"
    timeout = yaml.safe_load((ROOT / "roles/kubelet_args/defaults/main.yml").read_text())[
        "kubelet_args_ready_timeout"
    ]
    for seconds in (timeout, 30, 600):
        retries = int(expression(wait["retries"], kubelet_args_ready_timeout=seconds))
        per_attempt = int(wait["kubernetes.core.k8s_info"]["wait_timeout"])
        # ansible-core runs retries + 1 attempts with `delay` between them
        # (lib/ansible/executor/task_executor.py, TaskExecutor._execute).
        worst = (retries + 1) * per_attempt + retries * int(wait["delay"])
        assert worst <= seconds + 15, (seconds, worst)
        assert worst >= seconds, (seconds, worst)


def test_full_kubeflow_is_applied_as_its_readme_does() -> None:
    # kubeflow/manifests v1.10.1 README.md: kustomize build example |
    # kubectl apply --server-side --force-conflicts -f -, retried every 20 s.
    apply = task("kubeflow", "kustomize.yml", "Apply full Kubeflow server-side")
    module = apply["kubernetes.core.k8s"]
    assert module["apply"] is True
    assert module["server_side_apply"]["force_conflicts"] is True
    assert module["server_side_apply"]["field_manager"]
    assert apply["retries"] == "{{ kubeflow_full_apply_retries }}"
    assert apply["delay"] == "{{ kubeflow_full_apply_delay }}"
    assert apply["until"] == "kubeflow_full_applied is succeeded"
    defaults = yaml.safe_load((ROOT / "roles/kubeflow/defaults/main.yml").read_text())
    assert defaults["kubeflow_full_apply_delay"] == 20


def test_each_katib_release_is_unpacked_into_its_own_directory() -> None:
    unpack = task("kubeflow", "kustomize.yml", "Unpack the manifests")["ansible.builtin.unarchive"]
    assert unpack["dest"] == "{{ kubeflow_unpack_dir }}"
    assert unpack["creates"].startswith("{{ kubeflow_unpack_dir }}/")
    role_vars = yaml.safe_load((ROOT / "roles/kubeflow/vars/main.yml").read_text())
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters["regex_replace"] = lambda value, pattern, repl: re.sub(pattern, repl, value)

    def unpack_dir(version: str) -> str:
        values: dict[str, Any] = {
            "kubeflow_full": False,
            "kubeflow_full_version": "v1.10.1",
            "kubeflow_katib_version": version,
            "kubeflow_work_dir": "/opt/hpo-rig/kubeflow",
        }
        values["kubeflow_archive"] = env.from_string(role_vars["kubeflow_archive"]).render(**values)
        return env.from_string(role_vars["kubeflow_unpack_dir"]).render(**values)

    assert unpack_dir("v0.19.0") == "/opt/hpo-rig/kubeflow/src/katib-v0.19.0"
    assert unpack_dir("v0.19.0") != unpack_dir("v0.20.0")


def test_every_download_is_checked() -> None:
    downloads = [
        t
        for name in ("kustomize.yml", "kfctl.yml")
        for t in tasks("kubeflow", name)
        if "ansible.builtin.get_url" in t
    ]
    assert len(downloads) == 3
    for download in downloads:
        assert "checksum" in download["ansible.builtin.get_url"], download["name"]
    defaults = (ROOT / "roles/kubeflow/defaults/main.yml").read_text()
    # Required, with no default that could silently skip the check.
    for name in (
        "kubeflow_katib_archive_checksum",
        "kubeflow_full_archive_checksum",
        "kubeflow_kfctl_checksum",
        "kubeflow_kfctl_config_checksum",
    ):
        assert not re.search(rf"^{name}:", defaults, re.M), name


@pytest.mark.parametrize("role", ["docker", "microk8s"])
def test_reconnects_only_when_a_user_was_added(role: str) -> None:
    # meta: reset_connection ignores `when` (ansible-core 2.19 warns, then
    # resets): it must be a handler, notified by the task that adds users.
    users = tasks(role, "users.yml")
    assert not [t for t in users if t.get("ansible.builtin.meta") == "reset_connection"]
    add = next(t for t in users if "ansible.builtin.user" in t)
    handlers = yaml.safe_load((ROOT / f"roles/{role}/handlers/main.yml").read_text())
    reset = next(h for h in handlers if h.get("ansible.builtin.meta") == "reset_connection")
    assert add["notify"] == reset["name"]


def test_preflight_refreshes_facts_and_refuses_bionic_on_every_run() -> None:
    bootstrap = tasks("preflight", "bootstrap.yml")
    modules = [next(k for k in t if k.startswith("ansible.builtin.")) for t in bootstrap]
    # raw first (no Python needed), the refusal before any module, then the
    # gather_facts action (which marks the facts gathered for the next plays).
    assert modules == [
        "ansible.builtin.raw",
        "ansible.builtin.fail",
        "ansible.builtin.gather_facts",
    ]
    assert all(t.get("tags") == ["always"] for t in bootstrap)
    assert (
        "Ubuntu 18.04"
        not in yaml.safe_load((ROOT / "roles/preflight/defaults/main.yml").read_text())[
            "preflight_supported_os"
        ]
    )


def test_no_failed_when_false_where_a_result_says_what_is_expected() -> None:
    for role in ("kubeflow", "preflight", "kubelet_args"):
        for path in (ROOT / "roles" / role).rglob("*.yml"):
            assert not re.search(r"failed_when:\s*false", path.read_text()), path
