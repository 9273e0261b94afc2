"""Builds the CPU image from hpo-rig/debian12 and runs short trials in containers.

The build context is a copy of the files .dockerignore lets through, plus the host's CA bundle
as build-ca.crt (pip reaches PyPI through a TLS-intercepting proxy here), so the source tree
is never written to. Docker's layer cache keys COPY on file contents, so reruns are fast.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.katib import parse_both

pytestmark = pytest.mark.docker

TRAINER = Path(__file__).resolve().parents[1]
IMAGE = os.environ.get("HPO_RIG_TRAINER_TEST_IMAGE", "hpo-rig/trainer:test")
BASE_IMAGE = os.environ.get("HPO_RIG_TRAINER_TEST_BASE", "hpo-rig/debian12:latest")
CA_BUNDLE = Path(os.environ.get("HPO_RIG_BUILD_CA", "/etc/ssl/certs/ca-certificates.crt"))
CONTEXT_FILES = ("Dockerfile", ".dockerignore", "pyproject.toml", "constraints.txt")


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=60)
    return probe.returncode == 0


def build_image(
    tmp_path_factory: pytest.TempPathFactory, tag: str, base_image: str, tf_package: str
) -> str:
    """``tag`` built from ``base_image`` with ``tf_package``, and without datasets."""
    if not docker_answers():
        pytest.skip("no Docker daemon answers")
    context = tmp_path_factory.mktemp("context")
    for name in CONTEXT_FILES:
        shutil.copy2(TRAINER / name, context / name)
    shutil.copytree(
        TRAINER / "hpo_rig_train",
        context / "hpo_rig_train",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    if CA_BUNDLE.is_file():
        shutil.copy2(CA_BUNDLE, context / "build-ca.crt")
    subprocess.run(
        ["docker", "build", "--tag", tag,
         "--build-arg", f"BASE_IMAGE={base_image}",
         "--build-arg", f"TF_PACKAGE={tf_package}",
         "--build-arg", "DATASETS=",
         str(context)],
        check=True,
        timeout=1800,
    )  # fmt: skip
    return tag


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_image(tmp_path_factory, IMAGE, BASE_IMAGE, "tensorflow-cpu")


def run(image: str, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    # No network: a trial must train from what the image holds.
    command = ["docker", "run", "--rm", "--network=none"]
    if user is not None:
        command.append(f"--user={user}")
    return subprocess.run(
        [*command, image, *args], capture_output=True, text=True, check=False, timeout=600
    )


def test_image_runs_hpo_rig_train_as_non_root(image: str) -> None:
    inspect = subprocess.run(
        ["docker", "image", "inspect", image], capture_output=True, text=True, check=True
    )
    config = json.loads(inspect.stdout)[0]["Config"]
    assert config["Entrypoint"] == ["hpo-rig-train"]
    assert config["User"] not in ("", "0", "root")


def test_short_trial_on_digits_prints_katib_metrics(image: str) -> None:
    result = run(image, "--dataset=digits", "--epochs=2", "--batch-size=128", "--myParameter2=0.01")
    assert result.returncode == 0, result.stderr
    lines = [parse_both(line) for line in result.stdout.splitlines() if " epoch=" in line]
    assert [m["epoch"] for m in lines] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(lines[-1])
    assert "no GPU visible, training on CPU" in result.stderr


def test_trial_runs_under_an_arbitrary_uid(image: str) -> None:
    result = run(image, "--epochs=1", user="4242:0")
    assert result.returncode == 0, result.stderr
    assert " epoch=1 " in result.stdout


def test_bad_flag_exits_2_with_clear_message(image: str) -> None:
    result = run(image, "--epochs=1", "--learning-rate=-1")
    assert result.returncode == 2
    assert (
        "hpo-rig-train: error: argument --learning-rate/--myParameter2: "
        "must be a number in (0, 10], got '-1'"
    ) in result.stderr
    assert result.stdout == ""
