import os
import sys
from pathlib import Path

import pytest

from hpo_rig.engine.runners import (
    DockerRunner,
    ProcessRunner,
    RunnerError,
    docker_resource_flags,
    process_start_time,
)
from hpo_rig.experiment import TrialRun, load_experiment

from .conftest import experiment_document


def test_gpu_cpu_and_memory_limits_become_docker_flags():
    flags = docker_resource_flags(
        {"limits": {"nvidia.com/gpu": 1, "cpu": "1500m", "memory": "2Gi"}}
    )
    assert flags == ["--gpus", "1", "--cpus", "1.5", "--memory", "2g"]


def test_no_gpu_limit_means_no_gpus_flag():
    assert docker_resource_flags({"requests": {"cpu": "1"}}) == []


def test_docker_command_replaces_the_entrypoint_like_kubernetes():
    run = TrialRun(
        image="hpo-rig/trainer:cpu",
        command=("hpo-rig-train", "--dataset=digits"),
        env={"TF_CPP_MIN_LOG_LEVEL": "2"},
        resources={"limits": {"nvidia.com/gpu": "1"}},
    )
    command = DockerRunner().command("exp-abc", run)
    assert command[:5] == ["docker", "run", "--rm", "--name", "hpo-rig-exp-abc"]
    gpus = command.index("--gpus")
    assert command[gpus : gpus + 2] == ["--gpus", "1"]
    assert "TF_CPP_MIN_LOG_LEVEL=2" in command
    assert command[-4:] == [
        "--entrypoint",
        "hpo-rig-train",
        "hpo-rig/trainer:cpu",
        "--dataset=digits",
    ]


def test_relative_paths_of_a_container_stay_paths_in_its_image():
    """Relative paths in a container's command start at its workingDir (docker --workdir)
    or, without one, at the image's WORKDIR, as in Kubernetes; no host path is involved."""
    document = experiment_document()
    container = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    container["command"] = ["python", "./train.py", "--data=./data.csv"]
    container["workingDir"] = "/app"
    run = load_experiment(document).resolve_trial({"lr": "0.1", "layers": "2"})
    command = DockerRunner().command("exp-abc", run)
    at = command.index("--workdir")
    assert command[at : at + 2] == ["--workdir", "/app"]
    assert command[-3:] == ["hpo-rig/engine-test:latest", "./train.py", "--data=./data.csv"]
    assert not any(part.startswith(("-v", "--volume", "--mount")) for part in command)
    del container["workingDir"]
    run = load_experiment(document).resolve_trial({"lr": "0.1", "layers": "2"})
    assert "--workdir" not in DockerRunner().command("exp-abc", run)


def test_process_runner_finds_programs_beside_its_python(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    found = ProcessRunner().resolve(Path(sys.executable).name)
    assert Path(found).samefile(sys.executable)


def test_process_runner_names_a_missing_program():
    with pytest.raises(RunnerError, match="'no-such-trainer' is not installed"):
        ProcessRunner().resolve("no-such-trainer")


def test_process_start_time_tells_processes_apart():
    assert process_start_time(os.getpid()) is not None
    assert process_start_time(2**22 + 12345) is None
