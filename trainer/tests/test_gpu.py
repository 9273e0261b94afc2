import sys
from types import SimpleNamespace
from typing import Any

import pytest

from hpo_rig_train.gpu import (
    MIB,
    GpuConfigError,
    GpuSettings,
    configure,
    memory_cap_mb,
    smallest_gpu_memory_bytes,
)


@pytest.mark.parametrize(
    ("total_bytes", "fraction", "expected_mb"),
    [
        (16 * 1024 * MIB, 0.25, 4096),
        (16 * 1024 * MIB, 1.0, 16384),
        (80 * 1024 * MIB, 1 / 3, 27306),  # rounded down, never over the share
        (3 * MIB, 0.5, 1),
        (MIB // 2, 0.5, 1),  # at least 1 MiB, TensorFlow rejects 0
    ],
)
def test_memory_cap_mb(total_bytes: int, fraction: float, expected_mb: int) -> None:
    assert memory_cap_mb(total_bytes, fraction) == expected_mb


def test_caps_of_parallel_trials_fit_on_the_gpu() -> None:
    total = 24_576 * MIB + 123_456
    for trials in range(1, 9):
        assert trials * memory_cap_mb(total, 1 / trials) * MIB <= total


@pytest.mark.parametrize(("total_bytes", "fraction"), [(MIB, 0.0), (MIB, 1.01), (0, 0.5)])
def test_memory_cap_mb_rejects_bad_input(total_bytes: int, fraction: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        memory_cap_mb(total_bytes, fraction)


@pytest.mark.slow
def test_configure_without_gpu_says_so_and_trains_on_cpu(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("tensorflow")
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this host has a GPU")
    assert configure(GpuSettings(memory_fraction=0.5, mixed_precision=True)) == "cpu"
    err = capsys.readouterr().err
    assert "no GPU visible, training on CPU" in err
    assert "--mixed-precision ignored on CPU" in err


class FakeNvml:
    """Stands in for pynvml: two GPUs of different sizes."""

    class NVMLError(Exception):
        pass

    def __init__(self, totals: list[int], fail_init: bool = False) -> None:
        self.totals = totals
        self.fail_init = fail_init
        self.shut_down = False

    def nvmlInit(self) -> None:
        if self.fail_init:
            raise self.NVMLError("driver not loaded")

    def nvmlShutdown(self) -> None:
        self.shut_down = True

    def nvmlDeviceGetCount(self) -> int:
        return len(self.totals)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> SimpleNamespace:
        return SimpleNamespace(total=self.totals[handle])


def test_smallest_gpu_memory_is_read_through_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeNvml([80 * 1024 * MIB, 40 * 1024 * MIB])
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    assert smallest_gpu_memory_bytes() == 40 * 1024 * MIB
    assert fake.shut_down


def test_nvml_failure_suggests_the_mb_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", FakeNvml([], fail_init=True))
    with pytest.raises(GpuConfigError, match="give --gpu-memory-mb instead"):
        smallest_gpu_memory_bytes()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("settings", "expected_mb"),
    [
        (GpuSettings(memory_fraction=0.25), 4096),
        (GpuSettings(memory_mb=1234), 1234),
        (GpuSettings(), None),
    ],
)
def test_configure_caps_every_visible_gpu(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: GpuSettings,
    expected_mb: int | None,
) -> None:
    tf = pytest.importorskip("tensorflow")
    applied: dict[str, int] = {}

    def record(gpu: str, configs: list[Any]) -> None:
        (config,) = configs
        applied[gpu] = config.memory_limit

    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind: ["gpu0", "gpu1"])
    monkeypatch.setattr(tf.config, "set_logical_device_configuration", record)
    monkeypatch.setitem(sys.modules, "pynvml", FakeNvml([16 * 1024 * MIB, 16 * 1024 * MIB]))
    assert configure(settings) == "gpu"
    err = capsys.readouterr().err
    if expected_mb is None:
        assert applied == {}
        assert "no memory cap" in err
    else:
        assert applied == {"gpu0": expected_mb, "gpu1": expected_mb}
        assert f"memory capped at {expected_mb} MiB each" in err


@pytest.mark.slow
def test_configure_after_gpu_initialised_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    tf = pytest.importorskip("tensorflow")

    def too_late(gpu: str, configs: list[Any]) -> None:
        raise RuntimeError("Virtual devices cannot be modified after being initialized")

    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind: ["gpu0"])
    monkeypatch.setattr(tf.config, "set_logical_device_configuration", too_late)
    with pytest.raises(GpuConfigError, match="GPU already initialised"):
        configure(GpuSettings(memory_mb=100))
