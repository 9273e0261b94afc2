"""No trial outlives its engine: kill -9, SIGHUP, a second Ctrl-C (real processes)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from .conftest import experiment_document, read_state
from .test_run import wait_for


def group_members(pgid: int) -> list[int]:
    """Live processes in process group ``pgid`` (field 5 of /proc/PID/stat)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def trial_groups(workdir: Path) -> list[int]:
    return [t["pid"] for t in read_state(workdir)["trials"] if t.get("pid")]


def start(path: Path, workdir: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hpo_rig.cli", "run", str(path), "--runner", "process",
         "--workdir", str(workdir), "--plain", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def running(workdir: Path) -> list[int]:
    """The trials' process groups, once each has its trial started (guard and trial)."""
    if not (workdir / "optuna.journal").exists():
        return []
    groups = trial_groups(workdir)
    return groups if groups and all(len(group_members(g)) >= 2 for g in groups) else []


def test_kill_9_of_the_engine_ends_its_trials(write_experiment, tmp_path: Path) -> None:
    path = write_experiment(("--epochs=500", "--sleep=0.1"), maxTrialCount=2)
    workdir = tmp_path / "w"
    engine = start(path, workdir)
    groups = wait_for(lambda: len(running(workdir)) == 2 and running(workdir))
    engine.kill()
    engine.wait()
    wait_for(lambda: not any(group_members(g) for g in groups), timeout=5)


def test_a_trial_ignoring_sigterm_is_killed_when_the_engine_dies(
    write_experiment, tmp_path: Path
) -> None:
    path = write_experiment(
        ("--epochs=500", "--sleep=0.1", "--ignore-term"), maxTrialCount=1, parallelTrialCount=1,
        maxFailedTrialCount=1,
    )  # fmt: skip
    workdir = tmp_path / "w"
    engine = start(path, workdir)
    groups = wait_for(lambda: running(workdir))
    wait_for(lambda: any("epoch=1" in log.read_text() for log in (workdir / "logs").iterdir()))
    engine.kill()
    engine.wait()
    wait_for(lambda: not any(group_members(g) for g in groups), timeout=5)


def test_sighup_stops_the_run_like_sigterm(write_experiment, tmp_path: Path) -> None:
    path = write_experiment(("--epochs=500", "--sleep=0.1"), maxTrialCount=2)
    workdir = tmp_path / "w"
    engine = start(path, workdir)
    groups = wait_for(lambda: len(running(workdir)) == 2 and running(workdir))
    engine.send_signal(signal.SIGHUP)
    _, stderr = engine.communicate(timeout=30)
    assert engine.returncode == 130, stderr
    assert "interrupted" in stderr
    assert not any(group_members(g) for g in groups)
    assert [t["status"] for t in read_state(workdir)["trials"]] == ["Created", "Created"]


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM])
def test_a_second_interrupt_stops_at_once(
    write_experiment, tmp_path: Path, second: signal.Signals
) -> None:
    path = write_experiment(
        ("--epochs=500", "--sleep=0.1", "--ignore-term"), maxTrialCount=1, parallelTrialCount=1,
        maxFailedTrialCount=1,
    )  # fmt: skip
    workdir = tmp_path / "w"
    engine = start(path, workdir, "--grace", "60")
    groups = wait_for(lambda: running(workdir))
    wait_for(lambda: any("epoch=1" in log.read_text() for log in (workdir / "logs").iterdir()))
    engine.send_signal(signal.SIGINT)
    time.sleep(1)
    started = time.monotonic()
    engine.send_signal(second)
    _, stderr = engine.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert engine.returncode == 130, stderr
    assert not any(group_members(g) for g in groups)
    # The next run repairs and reruns the trial that was running.
    assert [t["status"] for t in read_state(workdir)["trials"]] == ["Running"]


# A stand-in docker CLI: `run` stays attached like the real one (until the container ends);
# `rm -f NAME` records NAME. Killing the real CLI leaves its container running, which is why
# the engine's guard removes the container itself (docker/cli run.go: the CLI only proxies
# signals it receives, and SIGKILL cannot be received).
DOCKER_STAND_IN = """#!/bin/sh
case "$1" in
run) exec sleep 300 ;;
rm) echo "$3" >> "{removed}" ;;
esac
exit 0
"""


def test_kill_9_of_the_engine_removes_its_containers(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    removed = tmp_path / "removed"
    docker = bin_dir / "docker"
    docker.write_text(DOCKER_STAND_IN.format(removed=removed))
    docker.chmod(0o755)
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(experiment_document(maxTrialCount=2)))
    workdir = tmp_path / "w"
    engine = subprocess.Popen(
        [sys.executable, "-m", "hpo_rig.cli", "run", str(path), "--runner", "docker",
         "--gpus", "0", "--workdir", str(workdir), "--plain"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
    )  # fmt: skip
    groups = wait_for(lambda: len(running(workdir)) == 2 and running(workdir))
    names = {t["container"] for t in read_state(workdir)["trials"]}
    removed.write_text("")  # forget the removals done before each start
    engine.kill()
    engine.wait()
    wait_for(lambda: not any(group_members(g) for g in groups), timeout=5)
    assert set(removed.read_text().split()) == names
