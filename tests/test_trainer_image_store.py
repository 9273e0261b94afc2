"""The trainer role's import and push on both of Docker's image stores.

The role's own task expressions (roles/trainer/tasks, vars/main.yml) are
rendered by Ansible's templar with what Docker and the registry answer on
each store, and the import command it renders is run against the stand-in
`microk8s ctr` (containerd v1.6.36's platform rules, tests/test_fake_ctr_import.py):

- Docker 29's containerd image store (`docker info` DriverStatus
  `[["driver-type", "io.containerd.snapshotter.v1"]]`, moby
  daemon/containerd/service.go) saves an archive whose index names every
  platform of the image while holding one: the role's import must succeed,
  and the image in containerd must be the Docker image (its ID is the
  image's digest there);
- the classic store: the ID is the config digest of the manifest containerd
  writes for Docker's archive;
- the push is skipped when the registry holds the image: compared by the
  registry's Docker-Content-Digest on the containerd store, by the manifest's
  config digest on the classic store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from test_fake_ctr_import import NAME, containerd_store_archive, docker_archive

from fakek8s import ctrimport, microk8s_cli, paths

ROOT = Path(__file__).resolve().parent.parent
ROLE = ROOT / "roles/trainer"
LOADER = DataLoader()
CONTAINERD_STATUS = [["driver-type", "io.containerd.snapshotter.v1"]]
OVERLAY2_STATUS = [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]]


def _trusted(value: Any) -> Any:
    """YAML of the role as Ansible loads it: its strings may be templates."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return value


def _load(path: Path) -> Any:
    return _trusted(LOADER.load_from_file(str(path)))


def _tasks(name: str) -> dict[str, dict[str, Any]]:
    """The role's tasks (blocks flattened) by name."""
    found: dict[str, dict[str, Any]] = {}

    def walk(tasks: list[dict[str, Any]]) -> None:
        for task in tasks:
            found[task.get("name", "")] = task
            walk(task.get("block", []))

    walk(_load(ROLE / "tasks" / name))
    return found


def _templar(**extra: Any) -> Templar:
    variables: dict[str, Any] = {
        **_load(ROLE / "defaults/main.yml"),
        **_load(ROLE / "vars/main.yml"),
        "ansible_check_mode": False,
        "trainer_image_name": "hpo-rig/trainer",
        "trainer_image_tag": "test",
        "trainer_microk8s_command": "/snap/bin/microk8s",
        **extra,
    }
    return Templar(loader=LOADER, variables=variables)


def _with_vars(templar: Templar, task_vars: dict[str, Any]) -> Templar:
    return Templar(loader=LOADER, variables={**templar.available_variables, **task_vars})


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(paths, "STATE", tmp_path / "fake")
    monkeypatch.setattr(ctrimport, "CONTENT", tmp_path / "fake/content")
    monkeypatch.setattr(
        ctrimport, "host_platform", lambda: {"os": "linux", "architecture": "amd64"}
    )
    return tmp_path


def _ctr(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    assert argv[:2] == ["/snap/bin/microk8s", "ctr"]
    code = microk8s_cli.cmd_ctr(argv[2:])
    out, err = capsys.readouterr()
    return code, out, err


def _import_and_check(
    capsys: pytest.CaptureFixture[str], archive: Path, image_id: str, status: list[list[str]]
) -> None:
    """Render and run the role's import tasks as the role runs them; assert its own check."""
    build = _tasks("build.yml")["Record the image's ID and platform"]
    inspect = {"Id": image_id, "Os": "linux", "Architecture": "amd64"}
    templar = _templar(
        trainer_build={"changed": False},
        trainer_image_before={"images": [inspect]},
        trainer_docker_host={"host_info": {"DriverStatus": status}},
        trainer_archive_path=str(archive),
    )
    facts = _with_vars(templar, build["vars"]).template(build["ansible.builtin.set_fact"])
    assert facts["trainer_image_id"] == image_id
    templar = _with_vars(templar, facts)

    tasks = _tasks("import.yml")
    argv = templar.template(tasks["Import the tarball into containerd"]["ansible.builtin.command"])
    code, _, err = _ctr(capsys, argv["argv"])
    assert (code, err) == (0, ""), argv["argv"]

    listing = templar.template(
        tasks["Read the digest containerd gave the image"]["ansible.builtin.command"]
    )
    code, out, _ = _ctr(capsys, listing["argv"])
    templar = _with_vars(
        templar, {"trainer_containerd_images_after": {"stdout_lines": out.splitlines()}}
    )
    kept = templar.template(
        tasks["Keep the digest containerd gave the image"]["ansible.builtin.set_fact"]
    )
    templar = _with_vars(templar, kept)

    manifest_task = tasks["Read the manifest containerd imported"]
    manifest: dict[str, Any] = {"skipped": True}
    if templar.evaluate_conditional(manifest_task["when"]):
        code, out, _ = _ctr(
            capsys, templar.template(manifest_task["ansible.builtin.command"])["argv"]
        )
        manifest = {"stdout": out, "rc": code}
    templar = _with_vars(templar, {"trainer_containerd_manifest": manifest})
    check = tasks["Containerd holds the image Docker built"]
    templar = _with_vars(templar, check["vars"])
    assert templar.evaluate_conditional(check["ansible.builtin.assert"]["that"]), templar.template(
        check["ansible.builtin.assert"]["fail_msg"]
    )


def test_store_detection() -> None:
    store = "{{ trainer_docker_image_store }}"
    for status, expected in ((CONTAINERD_STATUS, "containerd"), (OVERLAY2_STATUS, "classic")):
        templar = _templar(trainer_docker_host={"host_info": {"DriverStatus": status}})
        assert templar.template(trust_as_template(store)) == expected


def test_imports_from_the_containerd_store(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digests = containerd_store_archive(state / "image.tar")
    # On the containerd store the Docker image ID is the image's (index) digest.
    _import_and_check(capsys, state / "image.tar", digests["index"], CONTAINERD_STATUS)
    assert NAME in microk8s_cli.paths.images()


def test_imports_from_the_classic_store(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = docker_archive(state / "image.tar")
    _import_and_check(capsys, state / "image.tar", ids["image_id"], OVERLAY2_STATUS)


def test_refuses_an_import_that_is_not_the_built_image(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docker_archive(state / "image.tar")
    with pytest.raises(AssertionError, match="not hpo-rig/trainer:test's sha256:1111"):
        _import_and_check(capsys, state / "image.tar", "sha256:" + "1" * 64, OVERLAY2_STATUS)


@pytest.mark.parametrize(
    ("status", "answer", "pushed"),
    [
        # containerd store: the registry's digest of what was pushed is the image ID
        (
            CONTAINERD_STATUS,
            {"docker_content_digest": "sha256:id", "content": '{"manifests": []}'},
            False,
        ),
        (
            CONTAINERD_STATUS,
            {"docker_content_digest": "sha256:old", "content": '{"manifests": []}'},
            True,
        ),
        # classic store: the pushed manifest's config digest is the image ID
        (
            OVERLAY2_STATUS,
            {"docker_content_digest": "sha256:m", "content": '{"config": {"digest": "sha256:id"}}'},
            False,
        ),
        (
            OVERLAY2_STATUS,
            {"docker_content_digest": "sha256:id", "content": '{"config": {"digest": "sha256:x"}}'},
            True,
        ),
    ],
)
def test_push_compares_the_right_identifier(
    status: list[list[str]], answer: dict[str, Any], pushed: bool
) -> None:
    push = _tasks("push.yml")["Push the image to the registry"]
    templar = _templar(
        trainer_image_id="sha256:id",
        trainer_docker_host={"host_info": {"DriverStatus": status}},
        trainer_registry_manifest={"status": 200, **answer},
    )
    templar = _with_vars(templar, push["vars"])
    assert templar.evaluate_conditional(push["when"]) is pushed
