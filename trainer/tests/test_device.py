"""The loud GPU check, per-backend memory caps and the missing-framework message, with faked
environments (no GPU needed)."""

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from hpo_rig_train import backend as backends
from hpo_rig_train import gpu
from hpo_rig_train.cli import main
from hpo_rig_train.gpu import MIB, GpuSettings, NoGpuError
from tests.test_gpu import FakeNvml

GIB = 1024 * MIB


@pytest.mark.parametrize(
    ("device", "visible", "expected"),
    [
        ("gpu", None, "--device gpu"),
        ("gpu", "none", "--device gpu"),
        ("cpu", "0", None),
        ("auto", None, None),
        ("auto", "", None),
        ("auto", "all", None),  # NVIDIA's CUDA base images set this by default
        ("auto", "none", None),
        ("auto", "void", None),
        ("auto", "0", "NVIDIA_VISIBLE_DEVICES=0"),
        ("auto", "1,3", "NVIDIA_VISIBLE_DEVICES=1,3"),
        ("auto", "GPU-8f6b0c1e-33aa-4b1d-9f7e-2d1c0b9a8e7f", "NVIDIA_VISIBLE_DEVICES=GPU-8f6b"),
        ("auto", "MIG-4e1b2a3c-1d2e-5f6a-7b8c-9d0e1f2a3b4c", "NVIDIA_VISIBLE_DEVICES=MIG-"),
        ("auto", "0:1", "NVIDIA_VISIBLE_DEVICES=0:1"),  # a MIG device by index
        ("auto", "all,0", None),
    ],
)
def test_when_a_gpu_is_expected(device: str, visible: str | None, expected: str | None) -> None:
    env = {} if visible is None else {"NVIDIA_VISIBLE_DEVICES": visible}
    reason = gpu.gpu_expected(device, env)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None
        assert reason.startswith(expected)


def fake_tensorflow(gpus: list[str], build_info: dict[str, Any]) -> ModuleType:
    tf = ModuleType("tensorflow")
    config: Any = SimpleNamespace(
        list_physical_devices=lambda kind: list(gpus),
        set_visible_devices=lambda devices, kind: None,
        set_logical_device_configuration=lambda device, configs: None,
        LogicalDeviceConfiguration=lambda memory_limit: SimpleNamespace(memory_limit=memory_limit),
    )
    tf.config = config  # type: ignore[attr-defined]
    tf.sysconfig = SimpleNamespace(get_build_info=lambda: build_info)  # type: ignore[attr-defined]
    return tf


@pytest.fixture
def no_gpu_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """TensorFlow built for CUDA 12.5 that loads no GPU library; no NVML; no device node."""
    build = {"is_cuda_build": True, "cuda_version": "12.5.1", "cudnn_version": "9"}
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tensorflow([], build))
    monkeypatch.setitem(sys.modules, "pynvml", FakeNvml([], fail_init=True))
    monkeypatch.setattr(gpu, "_device_nodes", list)
    monkeypatch.delenv("NVIDIA_VISIBLE_DEVICES", raising=False)


@pytest.mark.usefixtures("no_gpu_host")
def test_expected_gpu_not_seen_is_an_error_naming_causes_and_findings() -> None:
    with pytest.raises(NoGpuError) as err:
        gpu.configure(GpuSettings(device="gpu"), "tensorflow")
    message = str(err.value)
    assert "\n" not in message
    assert "a GPU is expected (--device gpu) but tensorflow sees none" in message
    for cause in ("NVIDIA driver", "container runtime", "CUDA/cuDNN libraries"):
        assert cause in message
    assert "no /dev/nvidia* device node" in message
    assert "NVML unavailable (driver not loaded)" in message
    assert "tensorflow built for CUDA 12.5.1, cuDNN 9" in message


@pytest.mark.usefixtures("no_gpu_host")
def test_auto_falls_back_to_cpu_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert gpu.configure(GpuSettings(device="auto"), "tensorflow") == "cpu"
    assert "no GPU visible, training on CPU (--device auto" in capsys.readouterr().err


@pytest.mark.usefixtures("no_gpu_host")
def test_auto_with_a_device_given_by_the_runtime_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NVIDIA_VISIBLE_DEVICES", "2")
    with pytest.raises(NoGpuError, match=r"expected \(NVIDIA_VISIBLE_DEVICES=2"):
        gpu.configure(GpuSettings(), "tensorflow")


@pytest.mark.usefixtures("no_gpu_host")
def test_cli_exits_4_at_once_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--device=gpu", "--epochs=1"]) == 4
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("hpo-rig-train: error: a GPU is expected")
    assert "epoch=" not in captured.out  # nothing trained


def test_cpu_device_hides_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    hidden: list[Any] = []
    tf = fake_tensorflow(["gpu0"], {})
    tf.config.set_visible_devices = lambda devices, kind: hidden.append((devices, kind))
    monkeypatch.setitem(sys.modules, "tensorflow", tf)
    monkeypatch.setenv("NVIDIA_VISIBLE_DEVICES", "0")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # restored after the test
    assert gpu.configure(GpuSettings(device="cpu"), "tensorflow") == "cpu"
    assert hidden == [([], "GPU")]
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "-1"


# --- per-backend memory caps ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "mb", "fraction"),
    [
        (16 * GIB, 4096, 0.25),
        (80 * GIB, 27306, 0.3333),  # rounded down: never more than asked for
        (8 * GIB, 8192, 1.0),
        (8 * GIB, 20000, 1.0),  # at most the whole GPU
    ],
)
def test_cap_fraction(total: int, mb: int, fraction: float) -> None:
    assert gpu.cap_fraction(total, mb) == fraction
    assert gpu.cap_fraction(total, mb) * total <= max(mb * MIB, total) + 1


def test_cap_fraction_too_small_is_a_clear_error() -> None:
    with pytest.raises(gpu.GpuConfigError, match=r"below 0\.0001"):
        gpu.cap_fraction(80 * 1024 * GIB, 1)


def test_jax_environment_sets_fraction_with_preallocation() -> None:
    assert gpu.jax_environment(None) == {}
    assert gpu.jax_environment(0.35) == {
        "XLA_PYTHON_CLIENT_PREALLOCATE": "true",
        "XLA_CLIENT_MEM_FRACTION": "0.35",
        "XLA_PYTHON_CLIENT_MEM_FRACTION": "0.35",
    }
    assert gpu.jax_environment(1 / 3)["XLA_CLIENT_MEM_FRACTION"] == "0.3333"
    assert gpu.jax_environment(1.0)["XLA_CLIENT_MEM_FRACTION"] == "1"
    with pytest.raises(ValueError, match="must be in"):
        gpu.jax_environment(0.0)


def fake_jax(gpu_count: int, seen_env: dict[str, str]) -> ModuleType:
    jax = ModuleType("jax")

    def devices(kind: str) -> list[str]:
        # JAX reads its memory settings when the backend is created: record them then.
        seen_env.update({k: v for k, v in os.environ.items() if k.startswith("XLA_")})
        if gpu_count == 0:
            raise RuntimeError("Unknown backend: 'gpu' requested, but no platforms are 'gpu'")
        return [f"cuda:{i}" for i in range(gpu_count)]

    jax.devices = devices  # type: ignore[attr-defined]
    return jax


@pytest.mark.parametrize(
    ("settings", "fraction"),
    [(GpuSettings(memory_fraction=0.35), "0.35"), (GpuSettings(memory_mb=4096), "0.25")],
)
def test_jax_cap_is_in_the_environment_before_the_backend_starts(
    monkeypatch: pytest.MonkeyPatch, settings: GpuSettings, fraction: str
) -> None:
    for name in ("XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_CLIENT_MEM_FRACTION",
                 "XLA_PYTHON_CLIENT_MEM_FRACTION"):  # fmt: skip
        monkeypatch.setenv(name, "")  # the values configure sets are undone after the test
    seen: dict[str, str] = {}
    monkeypatch.setitem(sys.modules, "jax", fake_jax(2, seen))
    monkeypatch.setitem(sys.modules, "pynvml", FakeNvml([16 * GIB, 16 * GIB]))
    assert gpu.configure(settings, "jax") == "gpu"
    assert seen["XLA_CLIENT_MEM_FRACTION"] == fraction
    assert seen["XLA_PYTHON_CLIENT_MEM_FRACTION"] == fraction
    assert seen["XLA_PYTHON_CLIENT_PREALLOCATE"] == "true"


@pytest.mark.usefixtures("no_gpu_host")
def test_jax_expected_gpu_not_seen_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jax", fake_jax(0, {}))
    with pytest.raises(NoGpuError, match="but jax sees none"):
        gpu.configure(GpuSettings(device="gpu"), "jax")


def fake_torch(totals: list[int], applied: dict[int, float]) -> ModuleType:
    torch = ModuleType("torch")
    cuda: Any = SimpleNamespace(
        is_available=lambda: bool(totals),
        device_count=lambda: len(totals),
        get_device_properties=lambda i: SimpleNamespace(total_memory=totals[i]),
        set_per_process_memory_fraction=lambda f, i: applied.__setitem__(i, f),
    )
    torch.cuda = cuda  # type: ignore[attr-defined]
    torch.version = SimpleNamespace(cuda="12.8" if totals else None)  # type: ignore[attr-defined]
    torch.backends = SimpleNamespace(cudnn=SimpleNamespace(version=lambda: 91002))  # type: ignore[attr-defined]
    return torch


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (GpuSettings(memory_fraction=0.35), {0: 0.35, 1: 0.35}),
        (GpuSettings(memory_mb=4096), {0: 0.25, 1: 0.125}),  # per device, of its own size
        (GpuSettings(), {}),
    ],
)
def test_torch_cap_is_a_per_process_fraction_of_each_device(
    monkeypatch: pytest.MonkeyPatch, settings: GpuSettings, expected: dict[int, float]
) -> None:
    applied: dict[int, float] = {}
    monkeypatch.setitem(sys.modules, "torch", fake_torch([16 * GIB, 32 * GIB], applied))
    assert gpu.configure(settings, "torch") == "gpu"
    assert applied == expected


@pytest.mark.usefixtures("no_gpu_host")
def test_torch_expected_gpu_not_seen_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", fake_torch([], {}))
    with pytest.raises(NoGpuError, match=r"but torch sees none; .*torch is a CPU-only build"):
        gpu.configure(GpuSettings(device="gpu"), "torch")


# --- backends and packaging ------------------------------------------------------------------


def test_backend_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    assert backends.resolve(None, {}) == "tensorflow"
    assert backends.resolve(None, {"KERAS_BACKEND": "torch"}) == "torch"
    assert backends.resolve("jax", {"KERAS_BACKEND": "torch"}) == "jax"
    with pytest.raises(backends.BackendError, match="KERAS_BACKEND='numpy' is not supported"):
        backends.resolve(None, {"KERAS_BACKEND": "numpy"})


def test_missing_framework_names_the_extra_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("keras", "tensorflow"):
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert main(["--epochs=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "the tensorflow backend needs keras and tensorflow, not installed" in err
    assert "pip install './trainer[tf-cpu]'" in err
    assert "tf-gpu" in err
    assert main(["--download=mnist"]) == 2


@pytest.mark.parametrize("flag", ["--backend=jax", "--backend=torch"])
def test_keras_2_refuses_other_backends_naming_the_image(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    """Keras 2 (the seed image's TensorFlow 2.11) runs on TensorFlow only: exit 2, one line."""
    monkeypatch.setattr(backends, "keras_version", lambda: "2.11.0")
    assert main(["--epochs=1", flag]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    backend = flag.partition("=")[2]
    assert f"the {backend} backend needs Keras 3, but this is Keras 2.11.0" in err
    assert "use the default trainer image" in err


def test_installed_without_an_extra_exits_2_without_traceback(tmp_path: Path) -> None:
    """A Python that sees only the trainer and its base dependencies (no site-packages)."""
    import numpy

    import hpo_rig_train

    site = tmp_path / "site"
    site.mkdir()
    for package in (Path(hpo_rig_train.__file__).parent, Path(numpy.__file__).parent):
        (site / package.name).symlink_to(package)
    libs = Path(numpy.__file__).parent.with_name("numpy.libs")
    if libs.is_dir():
        (site / libs.name).symlink_to(libs)
    code = "import sys; from hpo_rig_train.cli import main; sys.exit(main(sys.argv[1:]))"
    for backend in ("tensorflow", "jax", "torch"):
        result = subprocess.run(
            [sys.executable, "-S", "-c", code, f"--backend={backend}"],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PYTHONPATH": str(site), "PATH": os.environ.get("PATH", "")},
            cwd=tmp_path,
        )
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert f"the {backend} backend needs keras" in result.stderr
        extra = {"tensorflow": "tf-cpu", "jax": "jax", "torch": "torch"}[backend]
        assert f"pip install './trainer[{extra}]'" in result.stderr


def test_out_of_memory_is_recognised_on_every_backend() -> None:
    from hpo_rig_train.train import is_out_of_memory

    class ResourceExhaustedError(Exception):
        pass

    class OutOfMemoryError(RuntimeError):
        pass

    assert is_out_of_memory(ResourceExhaustedError("OOM when allocating tensor"))
    assert is_out_of_memory(OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying"))
    assert not is_out_of_memory(ValueError("shapes (3,) and (4,) are incompatible"))
