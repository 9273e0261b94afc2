"""Per-trial GPU memory cap and the loud GPU check, for each Keras backend.

Time-sliced GPUs (and the seed profile's shared GPU) give trials no memory isolation: every
framework grabs most of the GPU by default, so the second trial on a GPU runs out of memory.
Each trial therefore caps itself, before its framework first touches the GPU:

- TensorFlow: a logical device of a fixed size (``tf.config.set_logical_device_configuration``,
  must run before the GPU is initialised, else RuntimeError; TensorFlow guide "Use a GPU").
- JAX: ``XLA_PYTHON_CLIENT_PREALLOCATE=true`` with the fraction in ``XLA_CLIENT_MEM_FRACTION``
  and its deprecated name ``XLA_PYTHON_CLIENT_MEM_FRACTION``, read when the first JAX backend
  is created (docs.jax.dev "GPU memory allocation").
- PyTorch: ``torch.cuda.set_per_process_memory_fraction(fraction, device)``, which makes the
  caching allocator raise an out-of-memory error above ``total_memory * fraction``
  (docs.pytorch.org, torch.cuda.memory.set_per_process_memory_fraction).

A GPU that is expected but not seen is an error (exit 4), never a silent CPU run: TensorFlow
images whose CUDA libraries it cannot load otherwise train on the CPU without a word
(tensorflow/tensorflow#88348, #62412).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
DEVICES = ("auto", "gpu", "cpu")

# NVIDIA Container Toolkit user guide, "GPU Enumeration": NVIDIA_VISIBLE_DEVICES holds
# comma-separated GPU indices or UUIDs (GPU-..., MIG-...), or `all` (the default of NVIDIA's
# CUDA base images), `none` (no GPU, driver capabilities kept), `void`/empty/unset (the
# runtime behaves as runc). Only the first kind means "this container was given a GPU".
_DEVICE_ID = re.compile(r"^(\d+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+)(:\d+)?$")


class GpuConfigError(RuntimeError):
    """The requested GPU configuration cannot be applied (exit 1)."""


class NoGpuError(RuntimeError):
    """A GPU was expected and the framework sees none (exit 4)."""


@dataclass(frozen=True)
class GpuSettings:
    memory_fraction: float | None = None
    memory_mb: int | None = None
    mixed_precision: bool = False
    device: str = "auto"


def memory_cap_mb(total_bytes: int, fraction: float) -> int:
    """Cap in MiB for ``fraction`` of a GPU holding ``total_bytes``, rounded down, at least 1."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    if total_bytes <= 0:
        raise ValueError(f"total memory must be positive, got {total_bytes}")
    return max(1, int(total_bytes * fraction) // MIB)


def cap_fraction(total_bytes: int, memory_mb: int) -> float:
    """``memory_mb`` MiB as a fraction of ``total_bytes`` (JAX and PyTorch take fractions),
    rounded down to 4 decimals so the cap never exceeds the MiB asked for; at most 1."""
    if total_bytes <= 0:
        raise ValueError(f"total memory must be positive, got {total_bytes}")
    if memory_mb < 1:
        raise ValueError(f"memory must be at least 1 MiB, got {memory_mb}")
    fraction = int(memory_mb * MIB * 10_000 / total_bytes) / 10_000
    if fraction <= 0.0:
        raise GpuConfigError(
            f"--gpu-memory-mb {memory_mb} is below 0.0001 of the GPU's memory; give more"
        )
    return min(1.0, fraction)


def jax_environment(fraction: float | None) -> dict[str, str]:
    """Environment for a JAX trial capped at ``fraction`` of the GPU (none when uncapped)."""
    if fraction is None:
        return {}
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    text = f"{fraction:.4f}".rstrip("0").rstrip(".")
    return {
        "XLA_PYTHON_CLIENT_PREALLOCATE": "true",
        "XLA_CLIENT_MEM_FRACTION": text,
        "XLA_PYTHON_CLIENT_MEM_FRACTION": text,
    }


def gpu_expected(device: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Why a GPU is expected (a phrase for the error message), or None when it is not."""
    env = os.environ if environ is None else environ
    if device == "gpu":
        return "--device gpu"
    if device == "cpu":
        return None
    value = env.get("NVIDIA_VISIBLE_DEVICES", "").strip()
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if parts and all(_DEVICE_ID.match(p) for p in parts):
        return f"NVIDIA_VISIBLE_DEVICES={value} (the container was given a GPU)"
    return None


def smallest_gpu_memory_bytes() -> int:
    """Total memory of the smallest GPU NVML sees.

    NVML enumerates in PCI order while the frameworks follow CUDA's order, so a per-index
    match is not reliable on mixed machines; the smallest GPU gives a cap that fits on any.
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


def _device_nodes() -> list[str]:
    """The NVIDIA driver's per-GPU device nodes (/dev/nvidia0, ...) this container sees."""
    return sorted(str(p) for p in Path("/dev").glob("nvidia[0-9]*"))


def diagnose(backend: str, build_info: Mapping[str, Any] | None = None) -> str:
    """What this host shows of a GPU: device nodes, NVML, the framework's CUDA build."""
    found: list[str] = []
    nodes = _device_nodes()
    found.append(f"device nodes {', '.join(nodes)}" if nodes else "no /dev/nvidia* device node")
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            found.append(f"NVML sees {pynvml.nvmlDeviceGetCount()} GPU(s)")
            driver = pynvml.nvmlSystemGetDriverVersion()
            found.append(f"driver {driver.decode() if isinstance(driver, bytes) else driver}")
        finally:
            pynvml.nvmlShutdown()
    except Exception as err:  # NVMLError, ImportError, a missing libnvidia-ml.so: all "no NVML"
        found.append(f"NVML unavailable ({str(err) or type(err).__name__})")
    if build_info is not None:
        if build_info.get("is_cuda_build"):
            found.append(
                f"{backend} built for CUDA {build_info.get('cuda_version', '?')}, "
                f"cuDNN {build_info.get('cudnn_version', '?')}"
            )
        else:
            found.append(f"{backend} is a CPU-only build")
    return "; ".join(found)


def no_gpu_error(reason: str, backend: str, found: str) -> NoGpuError:
    return NoGpuError(
        f"a GPU is expected ({reason}) but {backend} sees none; found: {found}. Likely "
        "causes: the NVIDIA driver is not loaded, the container runtime gave no GPU (nvidia "
        "runtime, --gpus, device plugin), or the image's CUDA/cuDNN libraries do not match "
        f"what {backend} was built for. Pass --device cpu to train on CPU anyway"
    )


def _say(message: str) -> None:
    print(f"hpo-rig-train: {message}", file=sys.stderr, flush=True)


def _cpu_fallback(settings: GpuSettings) -> str:
    if settings.device == "cpu":
        _say("--device cpu: training on CPU")
    else:
        _say("no GPU visible, training on CPU (--device auto; --device gpu makes this an error)")
    if settings.mixed_precision:
        _say("--mixed-precision ignored on CPU")
    return "cpu"


def _report_cap(count: int, cap: str | None) -> None:
    if cap is None:
        _say(f"{count} GPU(s), no memory cap: this trial may take all GPU memory")
    else:
        _say(f"{count} GPU(s), memory capped at {cap} each")


def configure(settings: GpuSettings, backend: str = "tensorflow") -> str:
    """Apply the device choice and the memory cap; returns 'gpu' or 'cpu' (the device used).

    Runs before the framework touches the GPU. Raises NoGpuError when a GPU is expected and
    none is seen, GpuConfigError when the cap cannot be applied.
    """
    expected = gpu_expected(settings.device)
    if settings.device == "cpu":
        # CUDA Programming Guide, "CUDA Environment Variables": only devices listed in
        # CUDA_VISIBLE_DEVICES are visible; -1 (not a device) hides them all. Read when the
        # framework initialises CUDA, so this must come before it does.
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
        if backend == "jax":
            os.environ["JAX_PLATFORMS"] = "cpu"  # docs.jax.dev, "Configuration": jax_platforms
    if backend == "jax":
        count, fraction = _configure_jax(settings)
        cap = None if fraction is None else f"{fraction:g} of the GPU"
    elif backend == "torch":
        count, cap = _configure_torch(settings)
    else:
        count, cap = _configure_tensorflow(settings)
    if count == 0:
        if expected is not None:
            raise no_gpu_error(expected, backend, diagnose(backend, _build_info(backend)))
        return _cpu_fallback(settings)
    _report_cap(count, cap)
    if settings.mixed_precision:
        import keras

        keras.mixed_precision.set_global_policy("mixed_float16")
    return "gpu"


def _build_info(backend: str) -> Mapping[str, Any] | None:
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return dict(tf.sysconfig.get_build_info())
        if backend == "torch":
            import torch

            return {
                "is_cuda_build": torch.version.cuda is not None,
                "cuda_version": torch.version.cuda,
                "cudnn_version": torch.backends.cudnn.version(),
            }
    except Exception:  # diagnostics only: never mask the real error
        return None
    return None


def _configure_tensorflow(settings: GpuSettings) -> tuple[int, str | None]:
    import tensorflow as tf  # imported only once flags are valid

    gpus = tf.config.list_physical_devices("GPU")
    if settings.device == "cpu" and gpus:
        tf.config.set_visible_devices([], "GPU")  # TF already imported in this process
        return 0, None
    if not gpus:
        return 0, None
    cap = settings.memory_mb
    if cap is None and settings.memory_fraction is not None:
        cap = memory_cap_mb(smallest_gpu_memory_bytes(), settings.memory_fraction)
    if cap is None:
        return len(gpus), None
    try:
        for gpu in gpus:
            tf.config.set_logical_device_configuration(
                gpu, [tf.config.LogicalDeviceConfiguration(memory_limit=cap)]
            )
    except RuntimeError as err:
        raise GpuConfigError(f"GPU already initialised, cannot cap its memory: {err}") from err
    return len(gpus), f"{cap} MiB"


def _configure_jax(settings: GpuSettings) -> tuple[int, float | None]:
    fraction = settings.memory_fraction
    if settings.device != "cpu" and settings.memory_mb is not None:
        fraction = cap_fraction(smallest_gpu_memory_bytes(), settings.memory_mb)
    if settings.device != "cpu":
        os.environ.update(jax_environment(fraction))
    import jax

    try:
        # jax.devices(backend) raises RuntimeError when that platform is absent (jax API docs).
        count = 0 if settings.device == "cpu" else len(jax.devices("gpu"))
    except RuntimeError:
        count = 0
    return count, fraction


def _configure_torch(settings: GpuSettings) -> tuple[int, str | None]:
    import torch

    if settings.device == "cpu" or not torch.cuda.is_available():
        return 0, None
    count = torch.cuda.device_count()
    if settings.memory_fraction is None and settings.memory_mb is None:
        return count, None
    fractions = []
    for index in range(count):
        total = int(torch.cuda.get_device_properties(index).total_memory)
        fraction = (
            settings.memory_fraction
            if settings.memory_mb is None
            else cap_fraction(total, settings.memory_mb)
        )
        assert fraction is not None
        torch.cuda.set_per_process_memory_fraction(fraction, index)
        fractions.append(fraction)
    return count, f"{min(fractions):g} of the GPU"


def peak_memory_mb(backend: str) -> int | None:
    """Peak GPU memory the framework itself held on its first GPU, in MiB (None if unknown).

    TensorFlow: tf.config.experimental.get_memory_info("GPU:0")["peak"]; JAX: the device's
    memory_stats()["peak_bytes_in_use"]; PyTorch: torch.cuda.max_memory_reserved(0). The CUDA
    context (a few hundred MiB per process) is outside all three, and outside the caps.
    """
    try:
        if backend == "torch":
            import torch

            return int(torch.cuda.max_memory_reserved(0)) // MIB
        if backend == "jax":
            import jax

            stats = jax.devices("gpu")[0].memory_stats() or {}
            return int(stats["peak_bytes_in_use"]) // MIB
        import tensorflow as tf

        return int(tf.config.experimental.get_memory_info("GPU:0")["peak"]) // MIB
    except Exception:  # diagnostics only
        return None
