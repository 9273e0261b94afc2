"""The stand-in snapd package, as build-packages builds it for the Molecule scenarios.

The package is built from molecule/resources/fakes/snapd/ (the fakek8s
package, the deb/ tree, the project's version) and cached by that content;
these tests unpack the very package the scenarios install. A cache key that
missed a source file would hand back a package older than the source, which
test_carries_the_python_package_as_it_is_now sees.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FAKES = ROOT / "molecule/resources/fakes"
PROJECT = FAKES / "snapd"
PAYLOAD = "usr/lib/hpo-rig-fakes/microk8s"


@pytest.fixture(scope="module")
def deb() -> Path:
    """The package, with the rig's client pins, as prepare-cluster.yml builds it."""
    defaults = yaml.safe_load((ROOT / "roles/hpo_rig/defaults/main.yml").read_text())
    build = subprocess.run(
        [str(FAKES / "build-packages"), sys.executable, *defaults["hpo_rig_kube_client_packages"]],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, f"build-packages failed: {build.stderr[-2000:]}"
    return Path(build.stdout.splitlines()[0])


@pytest.fixture(scope="module")
def tree(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fake-snapd")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def field(deb: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_package_is_named_and_versioned_as_the_project(deb: Path) -> None:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    assert field(deb, "Package") == "hpo-rig-fake-snapd"
    assert field(deb, "Version") == project["version"]
    assert field(deb, "Conflicts") == "snapd"


def test_carries_the_python_package_as_it_is_now(tree: Path) -> None:
    """Every module of fakek8s/, byte for byte, beside the microk8s launcher, and nothing else."""
    source = {p.name: p.read_bytes() for p in (PROJECT / "fakek8s").glob("*.py")}
    installed = tree / PAYLOAD / "fakek8s"
    assert sorted(p.name for p in installed.iterdir()) == sorted(source)
    for name, text in source.items():
        assert (installed / name).read_bytes() == text, f"fakek8s/{name} is stale in the package"


def test_lays_out_the_commands_and_kubectl_where_they_were(tree: Path) -> None:
    for path in ["usr/bin/snap", f"{PAYLOAD}/microk8s", f"{PAYLOAD}/kubectl"]:
        assert (tree / path).is_file(), path
        assert (tree / path).stat().st_mode & 0o111, f"{path} is not executable"


def run(command: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The launchers' interpreter with PyYAML; each puts its own tree's fakek8s first on sys.path.
    return subprocess.run(
        [sys.executable, str(command), *args], capture_output=True, text=True, check=False
    )


def test_the_snap_launcher_runs_the_packaged_snap_command(tree: Path) -> None:
    result = run(tree / "usr/bin/snap", "version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split() == ["snapd", "2.63+fake"]
    unknown = run(tree / "usr/bin/snap", "frobnicate")
    assert unknown.returncode == 1
    assert "unknown command 'frobnicate'" in unknown.stderr


def test_the_microk8s_launcher_dispatches_on_its_name(tree: Path) -> None:
    launcher = tree / PAYLOAD / "microk8s"
    listing = run(launcher)
    assert listing.returncode == 0, listing.stderr
    assert "\tkubectl" in listing.stdout.splitlines()
    # /snap/bin/microk8s.X links to the launcher: the link's name is the subcommand.
    link = tree / "microk8s.frobnicate"
    link.symlink_to(launcher)
    result = run(link)
    assert result.returncode == 1
    assert result.stderr.strip() == "'frobnicate' is not a valid MicroK8s subcommand."
