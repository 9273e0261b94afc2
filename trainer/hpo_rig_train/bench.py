"""Benchmark: tf.data pipeline vs plain NumPy input, and (on a GPU) shared vs sequential trials.

Run from one command so the numbers come from the same machine state:
    hpo-rig-bench                       # or: python -m hpo_rig_train.bench
Timings are reported, never asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hpo_rig_train import data
from hpo_rig_train.model import ModelSpec


@dataclass(frozen=True)
class Throughput:
    numpy_samples_per_s: float
    tfdata_samples_per_s: float

    @property
    def ratio(self) -> float:
        return self.tfdata_samples_per_s / self.numpy_samples_per_s


def _timed_fit(model: Any, epochs: int, samples: int, **fit_args: Any) -> float:
    """Samples per second over all epochs but the first, which pays for tracing and warm-up."""
    import keras

    starts: list[float] = []
    ends: list[float] = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            starts.append(time.perf_counter())

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            ends.append(time.perf_counter())

    model.fit(epochs=epochs, verbose=0, callbacks=[EpochTimer()], **fit_args)
    timed = sum(ends[1:]) - sum(starts[1:])  # one begin and one end per epoch
    return samples * (epochs - 1) / timed


def measure_throughput(
    dataset: str, samples: int, batch_size: int, epochs: int, spec: ModelSpec, repeats: int = 2
) -> Throughput:
    """Best of ``repeats`` alternating runs of each input path, to damp noise from other load."""
    import keras
    import numpy as np

    from hpo_rig_train.model import build_model, compile_model
    from hpo_rig_train.pipeline import make_dataset

    splits = data.load(dataset)
    # Tile the training split so that an epoch lasts long enough to time.
    index = np.arange(samples) % len(splits.x_train)
    x, y = splits.x_train[index], splits.y_train[index]

    def fresh_model() -> Any:
        keras.utils.set_random_seed(0)
        model = build_model(splits.input_shape, splits.num_classes, spec)
        compile_model(model, "adam", 0.001)
        return model

    pipeline = make_dataset(x, y, batch_size, shuffle=True, seed=0)
    numpy_rates, tfdata_rates = [], []
    for _ in range(repeats):
        numpy_rates.append(
            _timed_fit(
                fresh_model(), epochs, samples, x=x, y=y, batch_size=batch_size, shuffle=True
            )
        )
        tfdata_rates.append(_timed_fit(fresh_model(), epochs, samples, x=pipeline, shuffle=False))
    return Throughput(max(numpy_rates), max(tfdata_rates))


def run_trials(count: int, concurrent: bool, trial_args: Sequence[str]) -> float:
    """Wall seconds for ``count`` hpo-rig-train trials, all at once or one after another."""
    command = [sys.executable, "-m", "hpo_rig_train", *trial_args]
    start = time.perf_counter()
    if concurrent:
        procs = [
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for _ in range(count)
        ]
        results = [(p.wait(), p.stderr.read() if p.stderr else "") for p in procs]
    else:
        results = []
        for _ in range(count):
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            results.append((done.returncode, done.stderr))
    elapsed = time.perf_counter() - start
    for code, stderr in results:
        if code != 0:
            raise RuntimeError(f"a benchmark trial failed with exit code {code}:\n{stderr}")
    return elapsed


class GpuSampler:
    """Mean GPU utilisation (percent, NVML) over the time it runs, sampled every 0.2 s."""

    def __init__(self) -> None:
        self._samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import pynvml

        pynvml.nvmlInit()
        try:
            handles = [
                pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())
            ]
            while not self._stop.wait(0.2):
                self._samples += [pynvml.nvmlDeviceGetUtilizationRates(h).gpu for h in handles]
        finally:
            pynvml.nvmlShutdown()

    def __enter__(self) -> GpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mean(self) -> float:
        return sum(self._samples) / len(self._samples) if self._samples else 0.0


def gpu_present() -> bool:
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # no library, no driver, or no device: all mean "no GPU" here
        return False
    try:
        return bool(pynvml.nvmlDeviceGetCount())
    finally:
        pynvml.nvmlShutdown()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpo-rig-bench",
        description="Input pipeline throughput (tf.data vs NumPy) and, on a GPU, trials per "
        "hour of N memory-capped trials sharing it vs the same trials one after another.",
    )
    parser.add_argument("--dataset", choices=data.DATASETS[:-1], default="digits")
    parser.add_argument("--samples", type=int, default=60_000, help="samples per epoch")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=3, help="epochs; the first is not timed")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each; the best counts")
    parser.add_argument("--trials", type=int, default=4, help="trials sharing the GPU")
    parser.add_argument("--trial-epochs", type=int, default=5)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if min(args.epochs - 1, args.trials, args.samples, args.repeats, args.trial_epochs) < 1:
        build_parser().error("need --epochs >= 2 and positive counts")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    device = "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
    print(
        f"input pipeline: {args.dataset} tiled to {args.samples} samples, batch "
        f"{args.batch_size}, epochs 2..{args.epochs} timed, best of {args.repeats}, on {device}",
        flush=True,
    )
    result = measure_throughput(
        args.dataset, args.samples, args.batch_size, args.epochs, ModelSpec(), args.repeats
    )
    print(f"  model.fit on NumPy arrays        {result.numpy_samples_per_s:12.0f} samples/s")
    print(f"  model.fit on tf.data pipeline    {result.tfdata_samples_per_s:12.0f} samples/s")
    print(f"  ratio tf.data / NumPy            {result.ratio:12.2f}", flush=True)

    if not gpu_present():
        print("shared GPU: no GPU found, trials-per-hour comparison skipped")
        return 0
    # 10% headroom: each process also holds a CUDA context outside TensorFlow's cap.
    fraction = 0.9 / args.trials
    trial_args = [
        f"--dataset={args.dataset}", f"--epochs={args.trial_epochs}",
        f"--gpu-memory-fraction={fraction:.4f}",
    ]  # fmt: skip
    print(f"shared GPU: {args.trials} trials of {' '.join(trial_args)}", flush=True)
    rows = []
    for label, concurrent in (("one after another", False), ("all at once", True)):
        with GpuSampler() as sampler:
            seconds = run_trials(args.trials, concurrent, trial_args)
        rows.append((label, args.trials * 3600 / seconds, sampler.mean, seconds))
    for label, per_hour, util, seconds in rows:
        print(f"  {label:<18} {per_hour:8.1f} trials/h  GPU util {util:5.1f}%  ({seconds:.1f} s)")
    print(f"  speed-up all at once / one after another  {rows[1][1] / rows[0][1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
