"""Each role rejects bad input before any change, naming the variable.

The cases live beside each role's scenario, in molecule/<role>/bad_input.yml:
a list of {name, vars, error}. Each is applied to the role on localhost in
--check mode, so even a spec that wrongly let the value through changes nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def cases() -> list[Any]:
    found = []
    for path in sorted(ROOT.glob("molecule/*/bad_input.yml")):
        role = path.parent.name
        for case in yaml.safe_load(path.read_text()):
            found.append(pytest.param(role, case, id=f"{role}: {case['name']}"))
    return found


def test_every_role_has_bad_input_cases() -> None:
    roles = {p.name for p in (ROOT / "roles").iterdir() if (p / "meta/argument_specs.yml").exists()}
    covered = {p.parent.name for p in ROOT.glob("molecule/*/bad_input.yml")}
    assert roles <= covered, f"roles without bad_input.yml cases: {sorted(roles - covered)}"


@pytest.mark.parametrize(("role", "case"), cases())
def test_argument_specs_reject(role: str, case: dict[str, Any], tmp_path: Path) -> None:
    playbook = tmp_path / "play.yml"
    play = {
        "name": f"bad input for {role}",
        "hosts": "localhost",
        "connection": "local",
        # As in inventory/hosts.yml: this Python, not whatever discovery finds.
        "vars": {"ansible_python_interpreter": sys.executable},
        # Role defaults may read facts while their arguments are validated.
        "gather_facts": True,
        "roles": [{"role": role, "vars": case["vars"]}],
    }
    playbook.write_text(yaml.safe_dump([play]))
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "--check",
            "-i",
            "localhost,",
            str(playbook),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "ANSIBLE_ROLES_PATH": str(ROOT / "roles"), "ANSIBLE_NOCOLOR": "1"},
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"{role} accepted {case['vars']}:\n{output}"
    tasks = [line for line in output.splitlines() if line.startswith("TASK [")]
    # It failed validating its input, before the role's first change: at the
    # argument spec, or at the checks of what a spec cannot say (a `path` is
    # any string; the shared role's absolute_paths.yml requires it absolute).
    failed_at = (tasks or [""])[-1]
    assert (
        "Validating arguments against arg spec" in failed_at
        or "roles/hpo_rig/tasks/absolute_paths.yml" in output
        or f"roles/{role}/tasks/inventory.yml" in output
    ), output
    assert "changed=0" in output, output
    assert case["error"] in output, output
