"""A role run alone resolves the values it gets inside site.yml, on both profiles.

Each playbook runs with a tag no task has, so that only what ansible-core tags
`always` runs: fact gathering, argument validation and the hpo_rig role's
profile loading, none of which changes the host. The test-only callback
tests/plugins/callback/resolved_vars.py prints each role's variables as its
tasks would see them. Also: an inventory value beats the profile's, and each
shared path, pin and check is defined once.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ROLES = sorted(p.name for p in (ROOT / "playbooks").glob("*.yml") if p.name != "site.yml")
PROFILES = ["current", "seed"]
NO_TASK_TAG = "hpo-rig-resolve-only"


def resolve(playbook: str, *args: str) -> dict[str, dict[str, Any]]:
    """Run `playbook` resolving values only; return {role: its variables on localhost}."""
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            f"--tags={NO_TASK_TAG}",
            # No sudo for reading variables.
            "--extra-vars=ansible_become=false",
            *args,
            playbook,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "ANSIBLE_CALLBACK_PLUGINS": str(ROOT / "tests/plugins/callback"),
            "ANSIBLE_STDOUT_CALLBACK": "resolved_vars",
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
            "HPO_RIG_RESOLVED_VARS_ROLES_DIR": str(ROOT / "roles"),
            "ANSIBLE_NOCOLOR": "1",
        },
        timeout=300,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert not [line for line in lines if "failed" in line], output
    return {line["role"]: line["vars"] for line in lines if line["host"] == "localhost"}


@functools.cache
def site(profile: str) -> dict[str, dict[str, Any]]:
    return resolve("site.yml", f"--extra-vars=hpo_rig_profile={profile}")


def profile_defaults(profile: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / f"roles/hpo_rig/vars/{profile}.yml").read_text())
    return dict(data["hpo_rig_profile_defaults"])


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("playbook", ROLES)
def test_role_alone_resolves_as_in_site(playbook: str, profile: str) -> None:
    role = Path(playbook).stem
    alone = resolve(f"playbooks/{playbook}", f"--extra-vars=hpo_rig_profile={profile}")
    assert set(alone) == {"hpo_rig", role}
    assert alone[role] == site(profile)[role]
    assert alone["hpo_rig"] == site(profile)["hpo_rig"]


@pytest.mark.parametrize("profile", PROFILES)
def test_profile_values_reach_their_roles(profile: str) -> None:
    resolved = site(profile)
    for name, value in profile_defaults(profile).items():
        role = next(r for r in resolved if name.startswith(f"{r}_"))
        assert resolved[role][name] == value, name


def test_profiles_give_every_value_on_both() -> None:
    assert profile_defaults("current").keys() == profile_defaults("seed").keys()


def test_inventory_value_beats_the_profile(tmp_path: Path) -> None:
    override = tmp_path / "override.yml"
    override.write_text(
        yaml.safe_dump({"rig": {"hosts": {"localhost": {"microk8s_channel": "1.31/stable"}}}})
    )
    inventories = ["--inventory=inventory/hosts.yml", f"--inventory={override}"]
    for profile in PROFILES:
        resolved = resolve("site.yml", *inventories, f"--extra-vars=hpo_rig_profile={profile}")
        assert resolved["microk8s"]["microk8s_channel"] == "1.31/stable"
        # Preflight checks what microk8s will install: the inventory's channel.
        assert resolved["preflight"]["preflight_microk8s_channel"] == "1.31/stable"
        assert resolved["kubeflow"]["kubeflow_mode"] == profile_defaults(profile)["kubeflow_mode"]


@pytest.mark.parametrize(("profile", "cuda"), [("current", "12.5"), ("seed", "11.2")])
def test_preflight_checks_the_cuda_of_the_trainer_image_it_will_build(
    profile: str, cuda: str, tmp_path: Path
) -> None:
    assert site(profile)["preflight"]["preflight_trainer_cuda"] == cuda
    # Derived from the trainer's settings, so an inventory image changes it too.
    override = tmp_path / "override.yml"
    image = {"trainer_tf_package_gpu": "", "trainer_base_image_gpu": "example/own-tf:1"}
    override.write_text(yaml.safe_dump({"rig": {"hosts": {"localhost": image}}}))
    resolved = resolve(
        "playbooks/preflight.yml",
        "--inventory=inventory/hosts.yml",
        f"--inventory={override}",
        f"--extra-vars=hpo_rig_profile={profile}",
    )
    assert resolved["preflight"]["preflight_trainer_cuda"] == ""


def test_unknown_profile_is_refused_naming_the_choices() -> None:
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "--extra-vars=hpo_rig_profile=legacy",
            "--extra-vars=ansible_become=false",
            "--check",
            "playbooks/docker.yml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
        timeout=300,
        check=False,
    )
    assert proc.returncode != 0
    assert "value of hpo_rig_profile must be one of: current, seed, got: legacy" in proc.stdout


# Each shared value (a path, a pin, a check), by a string only its one
# definition holds (not inside a longer path). Comment lines do not count.
DEFINED_ONCE = {
    "the snap's command directory": "/snap/bin",
    "the snap's files": "/snap/microk8s/current",
    "the snap's data": "/var/snap/microk8s/current",
    "the Kubernetes client's venv": "/opt/hpo-rig/kube-client",
    "the Kubernetes client's pin": "kubernetes==",
    "the apt-list refresh": "/var/lib/apt/lists",
    "the absolute-path check": "is abs",
    "the kernel-architecture map": "'x86_64': 'amd64'",
    "the boot-id read": "/proc/sys/kernel/random/boot_id",
    "the layer guard": "hpo_rig_layer_present or ansible_check_mode",
    "the profile's loading": "{{ hpo_rig_profile }}.yml",
}


def ansible_lines() -> list[tuple[Path, str]]:
    files = sorted((ROOT / "roles").rglob("*.yml")) + sorted((ROOT / "inventory").rglob("*.yml"))
    files += sorted((ROOT / "roles").rglob("*.j2"))
    return [
        (path, line)
        for path in files
        for line in path.read_text().splitlines()
        if not line.lstrip().startswith("#")
    ]


@pytest.mark.parametrize("what", sorted(DEFINED_ONCE))
def test_shared_value_defined_once(what: str) -> None:
    needle = DEFINED_ONCE[what]
    pattern = re.compile(r"(?<![\w/])" + re.escape(needle))
    found = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path, line in ansible_lines()
        if pattern.search(line)
    ]
    assert len(found) == 1, f"{what} ({needle}) is defined {len(found)} times:\n" + "\n".join(found)


def test_no_profile_lookups_outside_the_profile_files() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path, line in ansible_lines()
        if re.search(r"\[\s*hpo_rig_profile\s*\]|'seed':", line)
    ]
    assert not found, "\n".join(found)
