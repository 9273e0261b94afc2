"""Keras callbacks: report each epoch's metrics, stop at the first non-finite loss."""

from __future__ import annotations

import math
from typing import Any

import keras

from hpo_rig_train.metrics import MetricsWriter


class EpochMetrics(keras.callbacks.Callback):
    """Hands each finished epoch's logs (1-based epoch number) to a MetricsWriter."""

    def __init__(self, writer: MetricsWriter) -> None:
        super().__init__()
        self._writer = writer

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._writer.write(epoch + 1, {k: float(v) for k, v in (logs or {}).items()})


class NanGuard(keras.callbacks.Callback):
    """Stops training at the first batch whose loss is NaN or infinite and remembers where."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 0
        self.bad_loss: float | None = None
        self.bad_epoch: int | None = None
        self.bad_batch: int | None = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or self.bad_loss is not None:
            return
        value = float(loss)
        if not math.isfinite(value):
            self.bad_loss, self.bad_epoch, self.bad_batch = value, self.epoch, batch + 1
            self.model.stop_training = True
