"""Per-trial GPU memory cap.

Time-sliced GPUs (and the seed profile's shared GPU) give trials no memory isolation:
TensorFlow grabs nearly all GPU memory by default, so the second trial on a GPU runs out of
memory. Each trial therefore caps itself with a logical device of a fixed size, which must be
configured before TensorFlow first touches the GPU.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

MIB = 1024 * 1024


class GpuConfigError(RuntimeError):
    """The requested GPU configuration cannot be applied."""


@dataclass(frozen=True)
class GpuSettings:
    memory_fraction: float | None = None
    memory_mb: int | None = None
    mixed_precision: bool = False


def memory_cap_mb(total_bytes: int, fraction: float) -> int:
    """Cap in MiB for ``fraction`` of a GPU holding ``total_bytes``, rounded down, at least 1."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    if total_bytes <= 0:
        raise ValueError(f"total memory must be positive, got {total_bytes}")
    return max(1, int(total_bytes * fraction) // MIB)


def smallest_gpu_memory_bytes() -> int:
    """Total memory of the smallest GPU NVML sees.

    NVML enumerates in PCI order while TensorFlow follows CUDA's order, so a per-index match
    is not reliable on mixed machines; the smallest GPU gives a cap that fits on any of them.
    """
    import pynvml  # only needed on GPU hosts

    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as err:
        raise GpuConfigError(
            f"cannot read GPU memory through NVML ({err}); give --gpu-memory-mb instead"
        ) from err
    try:
        count = pynvml.nvmlDeviceGetCount()
        totals = [
            int(pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(i)).total)
            for i in range(count)
        ]
    finally:
        pynvml.nvmlShutdown()
    if not totals:
        raise GpuConfigError("NVML reports no GPU; give --gpu-memory-mb instead")
    return min(totals)


def configure(settings: GpuSettings) -> str:
    """Apply the memory cap and precision policy; returns 'gpu' or 'cpu' (the device trained on)."""
    import keras  # TensorFlow is imported only once flags are valid
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        print("hpo-rig-train: no GPU visible, training on CPU", file=sys.stderr, flush=True)
        if settings.mixed_precision:
            print("hpo-rig-train: --mixed-precision ignored on CPU", file=sys.stderr, flush=True)
        return "cpu"

    cap = settings.memory_mb
    if cap is None and settings.memory_fraction is not None:
        cap = memory_cap_mb(smallest_gpu_memory_bytes(), settings.memory_fraction)
    if cap is not None:
        try:
            for gpu in gpus:
                tf.config.set_logical_device_configuration(
                    gpu, [tf.config.LogicalDeviceConfiguration(memory_limit=cap)]
                )
        except RuntimeError as err:
            raise GpuConfigError(f"GPU already initialised, cannot cap its memory: {err}") from err
        print(
            f"hpo-rig-train: {len(gpus)} GPU(s), memory capped at {cap} MiB each",
            file=sys.stderr,
            flush=True,
        )
    else:
        print(
            f"hpo-rig-train: {len(gpus)} GPU(s), no memory cap: this trial may take all GPU memory",
            file=sys.stderr,
            flush=True,
        )
    if settings.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    return "gpu"
