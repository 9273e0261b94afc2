"""ingress_forward waits for its port on every address of a comma-separated --address.

`kubectl port-forward --address` takes a comma-separated list (IP addresses or
localhost: kubectl's `--address` help, staging/src/k8s.io/kubectl/pkg/cmd/portforward/
portforward.go), which the role's argument spec allows. The role's own wait task,
taken from roles/ingress_forward/tasks/main.yml as it is, runs against
listeners on 127.0.0.1 and 127.0.0.2 (both loopback on Linux).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ROLE = ROOT / "roles/ingress_forward"
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"


def _wait_task() -> dict[str, Any]:
    tasks = yaml.safe_load((ROLE / "tasks/main.yml").read_text())
    task: dict[str, Any] = next(
        t for t in tasks if "ansible.builtin.wait_for" in t and "port" in str(t)
    )
    task = dict(task)
    task["ansible.builtin.wait_for"] = {**task["ansible.builtin.wait_for"], "timeout": 3}
    return task


@pytest.fixture
def listeners() -> Iterator[dict[str, int]]:
    sockets = []
    port = 0
    for host in ("127.0.0.1", "127.0.0.2"):
        sock = socket.socket()
        try:
            sock.bind((host, port))
        except OSError as error:
            pytest.skip(f"cannot listen on {host}: {error}")
        sock.listen()
        port = sock.getsockname()[1]
        sockets.append(sock)
    yield {"port": port}
    for sock in sockets:
        sock.close()


def _run(tmp_path: Path, address: str, port: int) -> subprocess.CompletedProcess[str]:
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars_files": [str(ROLE / "vars/main.yml")],
            "vars": {"ingress_forward_address": address, "ingress_forward_local_port": port},
            "tasks": [_wait_task()],
        }
    ]
    playbook = tmp_path / "wait.yml"
    playbook.write_text(yaml.safe_dump(play))
    return subprocess.run(
        [
            *(str(PLAYBOOK_BIN), "-i", "localhost,", "-c", "local", str(playbook)),
            *("-e", f"ansible_python_interpreter={sys.executable}"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
        check=False,
    )


def test_each_address_of_a_list_is_waited_for(tmp_path: Path, listeners: dict[str, int]) -> None:
    result = _run(tmp_path, "127.0.0.1,127.0.0.2", listeners["port"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "127.0.0.2" in result.stdout


def test_an_address_that_does_not_listen_fails_the_wait(
    tmp_path: Path, listeners: dict[str, int]
) -> None:
    result = _run(tmp_path, "127.0.0.1, 127.0.0.3", listeners["port"])
    assert result.returncode != 0
    assert "127.0.0.3" in result.stdout


def test_localhost_and_the_wildcard_are_waited_for_on_loopback(
    tmp_path: Path, listeners: dict[str, int]
) -> None:
    result = _run(tmp_path, "localhost,0.0.0.0", listeners["port"])
    assert result.returncode == 0, result.stdout + result.stderr
