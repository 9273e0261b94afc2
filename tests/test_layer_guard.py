"""The shared layer guard (roles/hpo_rig/tasks/layer.yml, layer_made.yml).

Runs the role's own task files with ansible-playbook against localhost: a
layer found once in a run is not looked for again, a layer its role recorded
is not looked for at all, a missing layer stops a real run naming its role,
and a check run ends the caller instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def guard(path: Path, role: str = "microk8s") -> dict[str, Any]:
    return {
        "name": f"Guard {path}",
        "ansible.builtin.import_role": {"name": "hpo_rig", "tasks_from": "layer.yml"},
        "vars": {"hpo_rig_layer_path": str(path), "hpo_rig_layer_role": role},
    }


def check(that: list[str]) -> dict[str, Any]:
    return {"name": "Check", "ansible.builtin.assert": {"that": that}}


def play(*tasks: dict[str, Any]) -> dict[str, Any]:
    return {
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": sys.executable},
        "tasks": list(tasks),
    }


def run(tmp_path: Path, *plays: dict[str, Any], check_mode: bool = False) -> tuple[int, str]:
    playbook = tmp_path / "guard.yml"
    playbook.write_text(json.dumps(list(plays)))
    argv = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "localhost,",
        str(playbook),
    ]
    proc = subprocess.run(
        [*argv, "--check"] if check_mode else argv,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "ANSIBLE_ROLES_PATH": str(ROOT / "roles"), "ANSIBLE_NOCOLOR": "1"},
        timeout=300,
        check=False,
    )
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


def test_a_layer_found_once_is_not_looked_for_again_in_later_plays(tmp_path: Path) -> None:
    layer = tmp_path / "microk8s.status"
    layer.touch()
    remove = {"name": "Remove it", "ansible.builtin.file": {"path": str(layer), "state": "absent"}}
    code, out = run(
        tmp_path,
        play(guard(layer), check(["hpo_rig_layer_stat is not skipped", "hpo_rig_layer_present"])),
        # Gone from the disk, but seen in this run: the guard does not look again.
        play(
            remove, guard(layer), check(["hpo_rig_layer_stat is skipped", "hpo_rig_layer_present"])
        ),
    )
    assert code == 0, out


def test_a_layer_its_role_recorded_is_not_looked_for(tmp_path: Path) -> None:
    made = tmp_path / "kube-client/bin/python"  # never created
    record = {
        "name": "The role that makes it records it",
        "ansible.builtin.import_role": {"name": "hpo_rig", "tasks_from": "layer_made.yml"},
        "vars": {"hpo_rig_layers_made": [str(made)]},
    }
    code, out = run(
        tmp_path,
        play(record),
        play(guard(made), check(["hpo_rig_layer_stat is skipped", "hpo_rig_layer_present"])),
    )
    assert code == 0, out


def test_a_missing_layer_stops_a_real_run_naming_its_role(tmp_path: Path) -> None:
    missing = tmp_path / "docker.sock"
    code, out = run(tmp_path, play(guard(missing, role="docker")))
    assert code != 0
    assert f"{missing} does not exist: it comes with the docker role (--tags docker)" in out


def test_a_check_run_without_the_layer_says_so_and_remembers_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "microk8s.status"
    code, out = run(
        tmp_path,
        play(
            guard(missing),
            check(["not hpo_rig_layer_present", "hpo_rig_layers_present == []"]),
            # Made later in the run: the next guard looks again and finds it.
            {
                "name": "Make it",
                "ansible.builtin.copy": {"dest": str(missing), "content": ""},
                "check_mode": False,
            },
            guard(missing),
            check(["hpo_rig_layer_stat is not skipped", "hpo_rig_layer_present"]),
        ),
        check_mode=True,
    )
    assert code == 0, out
    assert f"Check mode: {missing} is not there yet (the microk8s role installs it)" in out
