"""One trial: configure the GPU, load data, train, report; returns the process exit code."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_rig_train import backend as backends
from hpo_rig_train import data, gpu
from hpo_rig_train.metrics import MetricsFormat, MetricsWriter
from hpo_rig_train.model import ModelSpec

if TYPE_CHECKING:
    import keras

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NAN_LOSS = 3
EXIT_NO_GPU = 4


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = "digits"
    data_path: Path | None = None
    validation_split: float = 0.0
    learning_rate: float = 0.001
    optimizer: str = "adam"
    batch_size: int = 64
    epochs: int = 10
    model: ModelSpec = field(default_factory=ModelSpec)
    seed: int = 0
    gpu: gpu.GpuSettings = field(default_factory=gpu.GpuSettings)
    metrics_file: Path | None = None
    metrics_format: MetricsFormat = "text"
    tensorboard_dir: Path | None = None
    backend: str = backends.DEFAULT_BACKEND


def _fail(message: str) -> None:
    print(f"hpo-rig-train: error: {message}", file=sys.stderr, flush=True)


def is_out_of_memory(err: BaseException) -> bool:
    """An allocation failure of any backend: TensorFlow's ResourceExhaustedError, PyTorch's
    torch.cuda.OutOfMemoryError, XLA's RESOURCE_EXHAUSTED status (JAX's XlaRuntimeError)."""
    if type(err).__name__ in ("ResourceExhaustedError", "OutOfMemoryError"):
        return True
    text = str(err)
    return "RESOURCE_EXHAUSTED" in text or "out of memory" in text.lower()


def _out_of_memory(err: BaseException) -> None:
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    _fail(
        f"out of memory ({first[:300]}); lower --batch-size or the model size, or raise the "
        "GPU memory cap"
    )


def _fit(
    model: keras.Model, splits: data.Splits, config: TrainConfig, callbacks: list[Any]
) -> None:
    common: dict[str, Any] = {
        "epochs": config.epochs,
        "callbacks": callbacks,
        "verbose": 0,
    }
    if config.backend == "tensorflow":
        from hpo_rig_train.pipeline import make_dataset

        train_ds = make_dataset(
            splits.x_train, splits.y_train, config.batch_size, shuffle=True, seed=config.seed
        )
        val_ds = make_dataset(splits.x_val, splits.y_val, config.batch_size, shuffle=False)
        # The pipeline shuffles; Keras would only warn.
        model.fit(train_ds, validation_data=val_ds, shuffle=False, **common)
    else:
        # JAX and PyTorch: NumPy arrays straight into Keras, which batches and shuffles them
        # with the backend's own iterator; no TensorFlow needed.
        model.fit(
            splits.x_train,
            splits.y_train,
            batch_size=config.batch_size,
            validation_data=(splits.x_val, splits.y_val),
            shuffle=True,
            **common,
        )


def run(config: TrainConfig) -> int:
    try:
        backends.require(config.backend)
    except backends.BackendError as err:
        _fail(str(err))
        return EXIT_USAGE
    backends.activate(config.backend)
    try:
        device = gpu.configure(config.gpu, config.backend)  # before anything touches the GPU
    except gpu.NoGpuError as err:
        _fail(str(err))
        return EXIT_NO_GPU
    except gpu.GpuConfigError as err:
        _fail(str(err))
        return EXIT_FAILURE
    try:
        splits = data.load(config.dataset, config.data_path, config.validation_split, config.seed)
    except data.DataError as err:
        _fail(str(err))
        return EXIT_FAILURE

    import keras

    from hpo_rig_train.callbacks import EpochMetrics, NanGuard
    from hpo_rig_train.model import build_model, compile_model

    keras.utils.set_random_seed(config.seed)
    print(
        f"hpo-rig-train: {config.dataset} on {device} ({config.backend}): "
        f"{len(splits.x_train)} training and {len(splits.x_val)} validation samples, "
        f"{splits.num_classes} classes",
        file=sys.stderr,
        flush=True,
    )
    try:
        # Weights are allocated here already: a cap too small fails at build time.
        model = build_model(splits.input_shape, splits.num_classes, config.model)
        compile_model(model, config.optimizer, config.learning_rate, splits.num_classes)
    except ValueError as err:
        _fail(str(err))
        return EXIT_FAILURE
    except Exception as err:
        if not is_out_of_memory(err):
            raise
        _out_of_memory(err)
        return EXIT_FAILURE

    try:
        writer = MetricsWriter(file_path=config.metrics_file, file_format=config.metrics_format)
    except OSError as err:
        _fail(f"cannot open --metrics-file: {err}")
        return EXIT_FAILURE
    guard = NanGuard()
    callbacks: list[keras.callbacks.Callback] = [guard, EpochMetrics(writer)]
    if config.tensorboard_dir is not None:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(config.tensorboard_dir)))
    try:
        _fit(model, splits, config, callbacks)
    except Exception as err:
        if not is_out_of_memory(err):
            raise
        _out_of_memory(err)
        return EXIT_FAILURE
    finally:
        writer.close()

    if device == "gpu":
        peak = gpu.peak_memory_mb(config.backend)
        if peak is not None:
            # No '=' in this line: Katib's collectors must not read it as a metric.
            print(f"hpo-rig-train: peak GPU memory {peak} MiB", file=sys.stderr, flush=True)
    if guard.bad_loss is not None:
        _fail(
            f"loss became {guard.bad_loss} at epoch {guard.bad_epoch}, batch {guard.bad_batch}; "
            f"training stopped (exit code {EXIT_NAN_LOSS}). A lower --learning-rate usually helps."
        )
        return EXIT_NAN_LOSS
    return EXIT_OK
