"""The nvidia_driver role's Secure Boot gate over every answer mokutil gives.

Molecule containers cannot see /sys/firmware, so the role's own task file
(roles/nvidia_driver/tasks/secure-boot.yml, which creates the key with
openssl and asks mokutil about it) runs here with ansible-playbook against
localhost, with the mokutil stand-in (molecule/resources/fakes/mokutil/,
mokutil 0.6.0 and 0.4.0) first on PATH and its state file saying what the
firmware holds. The apt step is skipped (hpo_rig_apt_lists_pending) and
the key goes to a temporary directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FAKE = ROOT / "molecule/resources/fakes/mokutil"


def run_gate(
    tmp_path: Path, state: dict[str, object], **extra: object
) -> tuple[int, str, list[str]]:
    """Run secure-boot.yml with the stand-in in `state`; return (rc, output, mokutil calls)."""
    (tmp_path / "state.json").write_text(json.dumps(state))
    key_dir = tmp_path / "mok"
    playbook = tmp_path / "gate.yml"
    play = {
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": True,
        "gather_subset": ["!all", "min"],
        "vars": {
            "ansible_python_interpreter": sys.executable,
            "hpo_rig_apt_lists_pending": True,
            "nvidia_driver_mok_key": str(key_dir / "MOK.priv"),
            "nvidia_driver_mok_cert": str(key_dir / "MOK.der"),
            **extra,
        },
        "tasks": [
            {
                "name": "The role's Secure Boot gate",
                "ansible.builtin.include_role": {
                    "name": "nvidia_driver",
                    "tasks_from": "secure-boot.yml",
                },
            }
        ],
    }
    playbook.write_text(json.dumps([play]))
    log = tmp_path / "mokutil.log"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(playbook)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PATH": f"{FAKE}:{os.environ['PATH']}",
            "HPO_RIG_FAKE_MOKUTIL_STATE": str(tmp_path / "state.json"),
            "HPO_RIG_FAKE_MOKUTIL_LOG": str(log),
            "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
            "ANSIBLE_NOCOLOR": "1",
        },
        timeout=300,
        check=False,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split()), calls


def cert(tmp_path: Path) -> str:
    return str(tmp_path / "mok/MOK.der")


@pytest.mark.parametrize("version", ["0.6.0", "0.4.0"])
def test_key_not_enrolled_asks_for_the_import(tmp_path: Path, version: str) -> None:
    rc, out, calls = run_gate(
        tmp_path, {"version": version, "secure_boot": "enabled", "key": "not-enrolled"}
    )
    assert rc != 0, out
    assert f"`sudo mokutil --import {cert(tmp_path)}`" in out
    assert "is imported but not enrolled yet" not in out
    assert calls == [f"--test-key {cert(tmp_path)}"]
    # The key DKMS signs with was created, as DER.
    assert (tmp_path / "mok/MOK.der").read_bytes()[:1] == b"\x30"


def test_key_pending_asks_for_the_reboot(tmp_path: Path) -> None:
    rc, out, _calls = run_gate(tmp_path, {"secure_boot": "enabled", "key": "pending"})
    assert rc != 0, out
    assert "is imported but not enrolled yet" in out
    assert f"{cert(tmp_path)} is already in the enrollment request" in out
    assert "mokutil --import" not in out.replace("at `mokutil --import`", "")


@pytest.mark.parametrize(
    "state",
    [
        {"key": "enrolled"},
        {"key": "in-db"},
        {"key": "trusted-keyring"},
        # 0.4.0 says "already enrolled" for a pending key too: the module
        # then loads after the boot that confirms it.
        {"version": "0.4.0", "key": "enrolled"},
    ],
)
def test_key_enrolled_goes_on(tmp_path: Path, state: dict[str, object]) -> None:
    rc, out, calls = run_gate(tmp_path, {"secure_boot": "enabled", **state})
    assert rc == 0, out
    assert f"--test-key {cert(tmp_path)}" in calls


@pytest.mark.parametrize(
    ("state", "said"),
    [
        ({"key": "blocked-dbx"}, "is blocked in dbx"),
        ({"key": "blocked-moklistx"}, "is blocked in MokListXRT"),
        ({"efi": False}, "EFI variables are not supported on this system"),
    ],
)
def test_key_refused_or_unknown_stops_with_mokutils_words(
    tmp_path: Path, state: dict[str, object], said: str
) -> None:
    rc, out, _calls = run_gate(tmp_path, {"secure_boot": "enabled", **state})
    assert rc != 0, out
    assert "did not say the key is enrolled" in out
    assert said in out
    assert ("The key is revoked" in out) == ("blocked" in said)


def test_signed_modules_need_no_key(tmp_path: Path) -> None:
    """Ubuntu with Canonical's signed linux-modules-nvidia-*: the gate does not run."""
    rc, out, calls = run_gate(
        tmp_path,
        {"secure_boot": "enabled", "key": "not-enrolled"},
        nvidia_driver_signed_modules=True,
        nvidia_driver_branch="550",
        nvidia_driver_kernel_image_metapackages=["linux-image-generic"],
    )
    assert rc == 0, out
    assert calls == []
    assert not (tmp_path / "mok").exists()
    assert "no Machine Owner Key is needed" in out
