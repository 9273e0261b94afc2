"""Trials as containers: a tiny image built FROM the offline Debian 12 base runs the script."""

import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from .conftest import TRIAL_SCRIPT, experiment_document, read_trials

IMAGE = "hpo-rig/engine-test:latest"
BASE_IMAGE = "hpo-rig/debian12:latest"

pytestmark = pytest.mark.docker


def docker_ready() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "image", "inspect", BASE_IMAGE], capture_output=True)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    if not docker_ready():
        pytest.skip(f"needs a Docker daemon and the {BASE_IMAGE} image")
    context = tmp_path_factory.mktemp("image")
    shutil.copy(TRIAL_SCRIPT, context / "trial_script.py")
    (context / "Dockerfile").write_text(
        f'FROM {BASE_IMAGE}\nCOPY trial_script.py /opt/trial_script.py\nENTRYPOINT ["/bin/false"]\n'
    )
    subprocess.run(["docker", "build", "-q", "-t", IMAGE, str(context)], check=True)
    return IMAGE


def container_experiment(tmp_path, *extra):
    document = experiment_document(maxTrialCount=3, parallelTrialCount=2)
    container = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    container["image"] = IMAGE
    container["command"] = [
        "python3",
        "/opt/trial_script.py",
        "--lr=${trialParameters.learningRate}",
        "--layers=${trialParameters.layers}",
        *extra,
    ]
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def containers(all_states=False):
    """The engine-test trial containers Docker knows of."""
    listing = subprocess.run(
        [
            "docker",
            "ps",
            "-q",
            *(["-a"] if all_states else []),
            "--filter",
            "name=hpo-rig-engine-test-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return listing.stdout.split()


def run(path, workdir):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "hpo_rig.cli",
            "run",
            str(path),
            "--runner",
            "docker",
            "--workdir",
            str(workdir),
            "--plain",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_trials_run_as_containers(image, tmp_path):
    # The image's ENTRYPOINT is /bin/false: the trial's command must replace it, as in Kubernetes.
    result = run(container_experiment(tmp_path), tmp_path / "w")
    assert result.returncode == 0, result.stdout + result.stderr
    items = read_trials(tmp_path / "w")["items"]
    assert len(items) == 3
    for item in items:
        assert item["status"]["conditions"][-1]["type"] == "Succeeded"
        values = {a["name"]: a["value"] for a in item["spec"]["parameterAssignments"]}
        expected = 1 - (float(values["lr"]) - 0.1) ** 2 - 0.01 * abs(int(values["layers"]) - 3)
        latest = float(item["status"]["observation"]["metrics"][0]["latest"])
        assert latest == pytest.approx(expected, abs=1e-6)
    # `docker run --rm` removes the container in the daemon, shortly after the client returns.
    deadline = time.monotonic() + 20
    while containers(all_states=True) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert containers(all_states=True) == []


def test_a_failing_container_is_a_failed_trial(image, tmp_path):
    result = run(container_experiment(tmp_path, "--fail"), tmp_path / "w")
    assert result.returncode == 1
    last = read_trials(tmp_path / "w")["items"][0]["status"]["conditions"][-1]
    assert last["type"] == "Failed"
    assert "failing on purpose" in last["message"]


def test_interrupt_removes_the_containers(image, tmp_path):
    path = container_experiment(tmp_path, "--epochs=100", "--sleep=0.2")
    workdir = tmp_path / "w"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hpo_rig.cli",
            "run",
            str(path),
            "--runner",
            "docker",
            "--workdir",
            str(workdir),
            "--plain",
            "--grace",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    deadline = time.monotonic() + 60
    while len(containers()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(containers()) == 2
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode == 130
    assert containers() == []


def test_resume_after_sigkill_removes_orphaned_containers(image, tmp_path):
    path = container_experiment(tmp_path, "--epochs=100", "--sleep=0.2")
    document = yaml.safe_load(path.read_text())
    document["spec"]["maxTrialCount"] = 2
    path.write_text(yaml.safe_dump(document))
    workdir = tmp_path / "w"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hpo_rig.cli",
            "run",
            str(path),
            "--runner",
            "docker",
            "--workdir",
            str(workdir),
            "--plain",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(containers()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    process.kill()
    process.wait()
    orphans = containers()
    assert len(orphans) == 2  # a killed engine cannot clean up: the next run must
    # The resumed run removes the orphans, then reruns the same trials in new containers.
    resumed = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hpo_rig.cli",
            "run",
            str(path),
            "--runner",
            "docker",
            "--workdir",
            str(workdir),
            "--plain",
            "--grace",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (set(containers()) - set(orphans)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not set(orphans) & set(containers())
    resumed.send_signal(signal.SIGINT)
    resumed.communicate(timeout=60)
    assert resumed.returncode == 130
    assert containers() == []
