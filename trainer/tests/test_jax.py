"""A real trial on the JAX backend, on CPU, with TensorFlow made unimportable: the JAX input
path and metrics need no TensorFlow. PyTorch's real trial runs in scripts/gpu-acceptance
(PyPI's Linux torch wheels bring GBs of CUDA libraries; CI covers its code path with fakes)."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.katib import parse_both

pytest.importorskip("jax")
pytestmark = pytest.mark.slow

# TensorFlow blocked (an import raises ImportError), then the trainer's own entry point.
RUN = (
    "import sys; sys.modules['tensorflow'] = None; "
    "from hpo_rig_train.cli import main; sys.exit(main(sys.argv[1:]))"
)


def test_jax_trial_on_digits_prints_the_same_metrics(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", RUN, "--backend=jax", "--epochs=3", "--batch-size=128",
         "--gpuFraction=0.35", "--myParameter1=50", "--myParameter2=0.01",
         "--myParameter3=relu", f"--metrics-file={tmp_path / 'm.log'}"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "JAX_PLATFORMS": "cpu", "HOME": str(tmp_path)},
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "digits on cpu (jax)" in result.stderr
    lines = [parse_both(line) for line in result.stdout.splitlines() if " epoch=" in line]
    assert [m["epoch"] for m in lines] == [1, 2, 3]
    assert set(lines[0]) == {
        "epoch", "loss", "accuracy", "mean_absolute_error",
        "val_loss", "val_accuracy", "val_mean_absolute_error",
    }  # fmt: skip
    assert lines[-1]["val_accuracy"] > 0.5
    assert lines[-1]["val_mean_absolute_error"] < lines[0]["val_mean_absolute_error"]


def test_jax_expected_gpu_on_a_cpu_host_exits_4(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", RUN, "--backend=jax", "--device=gpu", "--epochs=1"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert result.returncode == 4, result.stderr
    assert "a GPU is expected (--device gpu) but jax sees none" in result.stderr
    assert "Traceback" not in result.stderr
