"""`hpo-rig run --runner docker` on several GPUs: each trial gets its own device, round-robin,
`--trials-per-gpu` at a time, recorded in trials.json. Docker is a stand-in that records its
arguments and prints metrics, so no daemon or GPU is needed."""

import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest
import yaml

from hpo_rig.engine.runners import DockerRunner, GpuSlots, RunnerError, docker_gpus_value
from hpo_rig.experiment import TrialRun

from .conftest import experiment_document, read_trials

STAND_IN = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys, time
    args = sys.argv[1:]
    if args[:1] == ["run"]:
        name = args[args.index("--name") + 1]
        with open(os.path.join(os.environ["RECORD_DIR"], name + ".json"), "w") as f:
            json.dump({{"args": args, "start": time.time()}}, f)
        time.sleep(1.0)  # long enough for the parallel trials to overlap
        print("accuracy=0.5 loss=0.25", flush=True)
        with open(os.path.join(os.environ["RECORD_DIR"], name + ".json")) as f:
            record = json.load(f)
        record["end"] = time.time()
        with open(os.path.join(os.environ["RECORD_DIR"], name + ".json"), "w") as f:
            json.dump(record, f)
    sys.exit(0)
    """
)


@pytest.fixture
def stand_in_docker(tmp_path):
    bin_dir, records = tmp_path / "bin", tmp_path / "records"
    bin_dir.mkdir()
    records.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(STAND_IN.format(python=sys.executable))
    docker.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env["RECORD_DIR"] = str(records)
    return env, records


def gpu_experiment(tmp_path, parallel, max_trials):
    document = experiment_document(parallelTrialCount=parallel, maxTrialCount=max_trials)
    container = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    container["resources"] = {"limits": {"nvidia.com/gpu": 1}}
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def run_engine(path, workdir, env, *extra):
    return subprocess.run(
        [sys.executable, "-m", "hpo_rig.cli", "run", str(path), "--runner", "docker",
         "--workdir", str(workdir), "--plain", *extra],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


def recorded(records):
    calls = {}
    for file in records.glob("*.json"):
        data = json.loads(file.read_text())
        args = data["args"]
        calls[file.stem.removeprefix("hpo-rig-")] = (
            args[args.index("--gpus") + 1],
            data["start"],
            data["end"],
        )
    return calls


def test_parallel_trials_get_their_own_devices_round_robin(tmp_path, stand_in_docker):
    env, records = stand_in_docker
    path = gpu_experiment(tmp_path, parallel=4, max_trials=6)
    workdir = tmp_path / "w"
    result = run_engine(path, workdir, env, "--gpus", "2", "--trials-per-gpu", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    calls = recorded(records)
    items = sorted(read_trials(workdir)["items"], key=lambda i: i["metadata"]["creationTimestamp"])
    assert len(items) == len(calls) == 6
    for item in items:
        name = item["metadata"]["name"]
        device = item["metadata"]["annotations"]["hpo-rig/gpu"]
        assert calls[name][0] == f"device={device}"  # recorded as given
    # The first four start together: devices 0, 1, 0, 1.
    first = sorted(calls.values(), key=lambda c: c[1])[:4]
    assert sorted(c[0] for c in first) == ["device=0", "device=0", "device=1", "device=1"]
    # Never more than two trials on one device at any moment.
    for device in ("device=0", "device=1"):
        spans = [(start, end) for gpus, start, end in calls.values() if gpus == device]
        for start, _ in spans:
            assert sum(1 for s, e in spans if s <= start < e) <= 2


def test_parallel_is_capped_at_gpus_times_trials_per_gpu(tmp_path, stand_in_docker):
    env, records = stand_in_docker
    path = gpu_experiment(tmp_path, parallel=3, max_trials=3)
    result = run_engine(path, tmp_path / "w", env, "--gpus", "2", "--parallel", "4")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 parallel trials capped at 2 (2 GPU(s) x 1 trial(s) per GPU)" in result.stderr
    assert {c[0] for c in recorded(records).values()} == {"device=0", "device=1"}


def test_without_gpus_the_gpu_limit_passes_through(tmp_path, stand_in_docker):
    env, records = stand_in_docker
    path = gpu_experiment(tmp_path, parallel=2, max_trials=2)
    workdir = tmp_path / "w"
    result = run_engine(path, workdir, env, "--gpus", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {c[0] for c in recorded(records).values()} == {"1"}
    for item in read_trials(workdir)["items"]:
        assert "hpo-rig/gpu" not in item["metadata"]["annotations"]


def test_slots_round_robin_and_release():
    slots = GpuSlots((0, 1, 2), trials_per_gpu=1)
    assert [slots.acquire(f"t{i}") for i in range(3)] == [(0,), (1,), (2,)]
    with pytest.raises(RunnerError, match="no free GPU"):
        slots.acquire("t3")
    slots.release("t1")
    assert slots.acquire("t4") == (1,)
    slots.release("t0")
    slots.release("t2")
    assert slots.acquire("t5", 2) == (2, 0)  # next in turn after device 1, then wrap
    assert slots.capacity == 3


def test_slots_are_thread_safe():
    slots = GpuSlots((0, 1), trials_per_gpu=50)
    got: list[tuple[int, ...]] = []
    threads = [threading.Thread(target=lambda i=i: got.append(slots.acquire(f"t{i}")))
               for i in range(100)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(d for (d,) in got).count(0) == 50


def test_docker_gpus_values():
    assert docker_gpus_value((3,)) == "device=3"
    assert docker_gpus_value((0, 2)) == '"device=0,2"'
    run = TrialRun(image="i", command=("c",), resources={"limits": {"nvidia.com/gpu": 1}})
    command = DockerRunner().command("t", run, (1,))
    assert command[command.index("--gpus") + 1] == "device=1"
