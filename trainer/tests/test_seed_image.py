"""The seed image's code path: TensorFlow 2.11 with Keras 2 on an older Python, in a container.

The seed image itself (tensorflow/tensorflow:2.11.1-gpu, Python 3.8) cannot be pulled here, so
the same Dockerfile builds on hpo-rig/debian11 (Debian 11, Python 3.9, from
scripts/build-test-images) with tensorflow-cpu 2.11.1 from PyPI: the Python < 3.11 stack of
constraints.txt, the tomllib-free dependency list, Keras 2's metrics and optimizers, and the
TensorFlow 2.11 build info read by the build's CUDA check. That nothing needs a Python newer
than the seed image's 3.8 is checked statically (vermin in the lint stage, trainer/ruff.toml).
"""

import json
import os
import subprocess
from typing import Any

import pytest

from tests.katib import parse_both
from tests.test_image import build_image, run

pytestmark = pytest.mark.docker

IMAGE = os.environ.get("HPO_RIG_TRAINER_TEST_SEED_IMAGE", "hpo-rig/trainer:seed-test")
BASE_IMAGE = os.environ.get("HPO_RIG_TRAINER_TEST_SEED_BASE", "hpo-rig/debian11:latest")

# One container (TensorFlow takes seconds to import): versions, every optimizer, the CUDA check.
PROBE = """
import json, sys, keras, tensorflow as tf
from hpo_rig_train import cuda_check
from hpo_rig_train.model import OPTIMIZERS, make_optimizer
print(json.dumps({
    "python": list(sys.version_info[:2]),
    "tensorflow": tf.__version__,
    "keras": keras.__version__,
    "optimizers": {n: type(make_optimizer(n, 0.01)).__name__ for n in OPTIMIZERS},
    "cuda_check": cuda_check.check(dict(tf.sysconfig.get_build_info())),
}))
"""


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_image(tmp_path_factory, IMAGE, BASE_IMAGE, "tensorflow-cpu")


@pytest.fixture(scope="module")
def probe(image: str) -> dict[str, Any]:
    result = subprocess.run(
        ["docker", "run", "--rm", "--network=none", "--entrypoint=python", image, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    found: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return found


def test_image_has_the_seed_stack(probe: dict[str, Any]) -> None:
    assert (probe["python"], probe["tensorflow"], probe["keras"]) == ([3, 9], "2.11.1", "2.11.0")


def test_every_optimizer_exists_on_keras_2(probe: dict[str, Any]) -> None:
    """Keras 2.11 keeps AdamW in tf.keras.optimizers.experimental."""
    assert probe["optimizers"]["adamw"] == "AdamW"
    assert probe["optimizers"]["momentum"] == "SGD"
    assert len(probe["optimizers"]) == 9


def test_cuda_check_reads_tensorflow_2_11_build_info(probe: dict[str, Any]) -> None:
    code, message = probe["cuda_check"]
    assert code == 0
    assert "CPU build of TensorFlow" in message


def test_recipe_trial_on_keras_2_prints_the_recipe_metrics(image: str) -> None:
    """The original recipe's flags (tests/katib.py), on the TensorFlow 2.11 code path."""
    result = run(
        image,
        "--gpuFraction=0.35",
        "--myParameter1=50",
        "--myParameter2=0.06",
        "--myParameter3=tanh",
        "--epochs=2",
        "--batch-size=128",
    )
    assert result.returncode == 0, result.stderr
    lines = [parse_both(line) for line in result.stdout.splitlines() if " epoch=" in line]
    assert [m["epoch"] for m in lines] == [1, 2]
    names = {"loss", "accuracy", "mean_absolute_error", "val_loss", "val_mean_absolute_error"}
    assert names <= set(lines[-1])
    assert 0.0 < lines[-1]["val_mean_absolute_error"] < 0.18  # uniform guesses over 10: 0.18
    assert "digits on cpu (tensorflow)" in result.stderr


def test_jax_backend_on_keras_2_exits_2_naming_the_image(image: str) -> None:
    result = run(image, "--epochs=1", "--backend=jax")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "the jax backend needs Keras 3, but this is Keras 2.11.0" in result.stderr
    assert result.stdout == ""
