"""One trial: configure the GPU, load data, train, report; returns the process exit code."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from hpo_rig_train import data, gpu
from hpo_rig_train.metrics import MetricsFormat, MetricsWriter
from hpo_rig_train.model import ModelSpec

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NAN_LOSS = 3


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


def _fail(message: str) -> None:
    print(f"hpo-rig-train: error: {message}", file=sys.stderr, flush=True)


def run(config: TrainConfig) -> int:
    try:
        device = gpu.configure(config.gpu)  # before anything else touches the GPU
        splits = data.load(config.dataset, config.data_path, config.validation_split, config.seed)
    except (gpu.GpuConfigError, data.DataError) as err:
        _fail(str(err))
        return EXIT_FAILURE

    import keras
    import tensorflow as tf

    from hpo_rig_train.callbacks import EpochMetrics, NanGuard
    from hpo_rig_train.model import build_model, compile_model
    from hpo_rig_train.pipeline import make_dataset

    keras.utils.set_random_seed(config.seed)
    print(
        f"hpo-rig-train: {config.dataset} on {device}: {len(splits.x_train)} training and "
        f"{len(splits.x_val)} validation samples, {splits.num_classes} classes",
        file=sys.stderr,
        flush=True,
    )
    try:
        model = build_model(splits.input_shape, splits.num_classes, config.model)
    except ValueError as err:
        _fail(str(err))
        return EXIT_FAILURE
    compile_model(model, config.optimizer, config.learning_rate)
    train_ds = make_dataset(
        splits.x_train, splits.y_train, config.batch_size, shuffle=True, seed=config.seed
    )
    val_ds = make_dataset(splits.x_val, splits.y_val, config.batch_size, shuffle=False)

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
        model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=config.epochs,
            callbacks=callbacks,
            shuffle=False,  # the pipeline shuffles; Keras would only warn
            verbose=0,
        )
    except tf.errors.ResourceExhaustedError as err:
        _fail(
            f"out of memory ({err.message.splitlines()[0]}); lower --batch-size or the model "
            "size, or raise the GPU memory cap"
        )
        return EXIT_FAILURE
    finally:
        writer.close()

    if guard.bad_loss is not None:
        _fail(
            f"loss became {guard.bad_loss} at epoch {guard.bad_epoch}, batch {guard.bad_batch}; "
            f"training stopped (exit code {EXIT_NAN_LOSS}). A lower --learning-rate usually helps."
        )
        return EXIT_NAN_LOSS
    return EXIT_OK
