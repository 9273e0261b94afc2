import math
from io import StringIO
from types import SimpleNamespace

import pytest

pytest.importorskip("keras")

from hpo_rig_train.callbacks import EpochMetrics, NanGuard
from hpo_rig_train.metrics import MetricsWriter
from tests.katib import parse_both

pytestmark = pytest.mark.slow


def test_nan_guard_stops_at_first_bad_batch() -> None:
    guard = NanGuard()
    guard.set_model(SimpleNamespace(stop_training=False))
    guard.on_epoch_begin(1)
    guard.on_train_batch_end(0, {"loss": 0.7})
    assert guard.model.stop_training is False
    guard.on_train_batch_end(1, {"loss": math.nan})
    guard.on_train_batch_end(2, {"loss": math.inf})
    assert guard.model.stop_training is True
    assert math.isnan(guard.bad_loss)
    assert (guard.bad_epoch, guard.bad_batch) == (2, 2)


def test_epoch_metrics_numbers_epochs_from_one() -> None:
    out = StringIO()
    callback = EpochMetrics(MetricsWriter(stream=out))
    callback.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75})
    assert parse_both(out.getvalue()) == {"epoch": 1, "loss": 0.5, "accuracy": 0.75}
