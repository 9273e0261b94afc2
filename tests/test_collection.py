"""The repository builds and installs as the collection hpo_rig.rig.

The collection is built from the checkout with `ansible-galaxy collection
build`, installed offline into a temporary collections path (its dependencies
must then be the very versions the pinned `ansible` package carries), and its
site playbook is checked from a folder outside the checkout, with the caller's
Ansible settings dropped, so that no role of the checkout can stand in for the
collection's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
FQCN = f"{GALAXY['namespace']}.{GALAXY['name']}"
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "meta/main.yml").is_file())
# The collection's top level: Ansible content, README and changelog, and what
# the roles read beside roles/ (trainer/, katib/; inventory/ to start from).
CONTENT = {
    "FILES.json",
    "MANIFEST.json",
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
    "meta",
    "playbooks",
}
CONTENT |= {"roles", "inventory", "trainer", "katib"}
# Folder names that only development and test runs have.
NOT_CONTENT = {"tests", "molecule", "scripts", ".venv", ".cache", ".ansible", ".pytest_cache"}


@dataclass(frozen=True)
class Collection:
    tarball: Path
    path: Path  # <collections path>/ansible_collections/hpo_rig/rig
    collections_path: Path
    elsewhere: Path  # a working folder outside the checkout

    def ansible(self, command: str, *args: str) -> str:
        """Run an Ansible command from outside the checkout, seeing only this collections path."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        env |= {"ANSIBLE_COLLECTIONS_PATH": str(self.collections_path), "ANSIBLE_NOCOLOR": "1"}
        argv = [str(BIN / command), *args]
        proc = subprocess.run(
            argv, cwd=self.elsewhere, env=env, capture_output=True, text=True, check=False
        )
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"{' '.join(argv)} failed:\n{output}"
        return output


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    tmp = tmp_path_factory.mktemp("collection")
    (tmp / "elsewhere").mkdir()
    namespace, name = GALAXY["namespace"], GALAXY["name"]
    collections = tmp / "collections"
    found = Collection(
        tmp / "dist" / f"{namespace}-{name}-{GALAXY['version']}.tar.gz",
        collections / "ansible_collections" / namespace / name,
        collections,
        tmp / "elsewhere",
    )
    found.ansible(
        "ansible-galaxy", "collection", "build", "--output-path", str(tmp / "dist"), str(ROOT)
    )
    # Offline, with its dependencies: each must already be installed at the
    # declared version (the ansible package's), since Galaxy is out of reach.
    found.ansible(
        "ansible-galaxy",
        "collection",
        "install",
        "--offline",
        "-p",
        str(collections),
        str(found.tarball),
    )
    return found


def test_the_tarball_holds_only_what_users_need(installed: Collection) -> None:
    with tarfile.open(installed.tarball) as tar:
        names = [PurePosixPath(name) for name in tar.getnames()]
    assert {name.parts[0] for name in names} == CONTENT
    stray = [
        str(n) for n in names if NOT_CONTENT & set(n.parts) or n.suffix in {".pyc", ".egg-info"}
    ]
    assert not stray, f"test or development files in the collection: {stray}"


def test_site_playbook_runs_every_role_from_the_collection(installed: Collection) -> None:
    inventory = installed.elsewhere / "hosts.yml"
    groups = {"rig": {"hosts": {"rig-1": {}}, "children": {"workers": {"hosts": {}}}}}
    inventory.write_text(yaml.safe_dump(groups))
    installed.ansible("ansible-playbook", "--syntax-check", "-i", str(inventory), f"{FQCN}.site")
    tasks = installed.ansible(
        "ansible-playbook", "--list-tasks", "-i", str(inventory), f"{FQCN}.site"
    )
    # Tasks are listed as `<role> : <task>`: each role with tasks, and the collection's.
    listed = set(re.findall(r"^\s+(\S+) : ", tasks, flags=re.MULTILINE))
    with_tasks = [role for role in ROLES if (ROOT / "roles" / role / "tasks/main.yml").is_file()]
    assert listed == {f"{FQCN}.{role}" for role in with_tasks}, tasks


def test_the_trainer_build_context_is_where_the_role_looks(installed: Collection) -> None:
    defaults = yaml.safe_load((installed.path / "roles/trainer/defaults/main.yml").read_text())
    role_path = str(installed.path / "roles/trainer")
    source = Path(defaults["trainer_source_dir"].replace("{{ role_path }}", role_path)).resolve()
    assert source == installed.path / "trainer"
    # All that the image build takes in (.dockerignore's exceptions) but the
    # site-specific CA bundle, which is never committed.
    lines = (source / ".dockerignore").read_text().splitlines()
    wanted = [line[1:].rstrip("/") for line in lines if line.startswith("!")]
    assert wanted, ".dockerignore lets nothing in"
    missing = [name for name in wanted if name != "build-ca.crt" and not (source / name).exists()]
    assert not missing, f"the trainer's build context lacks {missing}"


def test_the_hpo_rig_command_source_comes_along(installed: Collection) -> None:
    katib = installed.path / "katib"
    assert 'hpo-rig = "hpo_rig.cli:main"' in (katib / "pyproject.toml").read_text()
    templates = sorted(p.name for p in (ROOT / "katib/hpo_rig/templates").iterdir())
    assert sorted(p.name for p in (katib / "hpo_rig/templates").iterdir()) == templates


def test_dependencies_are_the_pinned_collections() -> None:
    pinned = yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]
    assert GALAXY["dependencies"] == {c["name"]: f"=={c['version']}" for c in pinned}


def test_one_minimum_ansible_version() -> None:
    requires = yaml.safe_load((ROOT / "meta/runtime.yml").read_text())["requires_ansible"]
    minimum = re.fullmatch(r">=(\d+\.\d+)\.0", requires)
    assert minimum, requires
    versions = {
        role: yaml.safe_load((ROOT / "roles" / role / "meta/main.yml").read_text())["galaxy_info"][
            "min_ansible_version"
        ]
        for role in ROLES
    }
    assert set(versions.values()) == {minimum[1]}, versions
    # The promise is what the tests run: the pinned ansible-core.
    requirements = (ROOT / "requirements.txt").read_text()
    pinned = re.search(r"^ansible-core==(\d+\.\d+)\.", requirements, re.MULTILINE)
    assert pinned, "requirements.txt pins no ansible-core"
    assert pinned[1] == minimum[1]
