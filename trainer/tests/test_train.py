"""Real training in-process with TensorFlow on CPU (a few seconds each)."""

from pathlib import Path

import numpy as np
import pytest

from hpo_rig_train.cli import main
from tests.katib import parse_both

pytest.importorskip("tensorflow")
pytestmark = pytest.mark.slow

METRICS = {
    "epoch", "loss", "accuracy", "mean_absolute_error",
    "val_loss", "val_accuracy", "val_mean_absolute_error",
}  # fmt: skip


def metric_lines(text: str) -> list[dict[str, float]]:
    return [parse_both(line) for line in text.splitlines() if " epoch=" in line]


def test_one_epoch_on_digits_prints_katib_metrics(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(
        ["--dataset=digits", "--epochs=2", "--batch-size=128", "--myParameter2=0.01",
         f"--metrics-file={tmp_path / 'metrics.log'}", f"--tensorboard-dir={tmp_path / 'tb'}"]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    lines = metric_lines(out)
    assert [m["epoch"] for m in lines] == [1, 2]
    assert all(set(m) == METRICS for m in lines)
    assert lines[-1]["val_accuracy"] > 0.5  # an MLP learns digits quickly; chance is 0.1
    file_lines = metric_lines((tmp_path / "metrics.log").read_text(encoding="utf-8"))
    assert file_lines == lines
    assert list((tmp_path / "tb").rglob("events.out.tfevents.*"))


def test_mean_absolute_error_compares_probabilities_with_one_hot_labels() -> None:
    from hpo_rig_train.model import probability_mae

    metric = probability_mae(3)
    y_true = np.array([0, 2])
    y_pred = np.array([[1.0, 0.0, 0.0], [0.2, 0.2, 0.6]], dtype=np.float32)
    metric.update_state(y_true, y_pred)
    # |0|,|0|,|0| -> 0 and |0.2|,|0.2|,|-0.4| -> 0.8/3; mean over both samples.
    assert float(metric.result()) == pytest.approx((0.0 + 0.8 / 3) / 2, rel=1e-6)


def test_recipe_flags_train_and_report_mean_absolute_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--gpuFraction=0.35", "--myParameter1=50", "--myParameter2=0.01",
            "--myParameter3=linear", "--epochs=2"]  # fmt: skip
    assert main(argv) == 0
    lines = metric_lines(capsys.readouterr().out)
    assert all(0.0 < m["mean_absolute_error"] < 0.2 for m in lines)  # 0.18 is chance
    assert lines[-1]["val_mean_absolute_error"] < 0.18


def test_cnn_trains_on_digits(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model=cnn", "--epochs=1", "--hidden-layers=1", "--hidden-units=16"]) == 0
    assert [m["epoch"] for m in metric_lines(capsys.readouterr().out)] == [1]


def test_nan_loss_stops_with_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    x = np.ones((64, 4), dtype=np.float32)
    x[5, 0] = np.nan  # one bad sample poisons the first batch's loss
    y = np.arange(64) % 2
    path = tmp_path / "nan.npz"
    np.savez(path, x_train=x, y_train=y, x_test=x[:8], y_test=y[:8])
    # No hidden layer: a ReLU would turn NaN into 0 and hide it.
    argv = ["--dataset=npz", f"--data-path={path}", "--hidden-layers=0", "--epochs=50"]
    code = main(argv)
    assert code == 3
    captured = capsys.readouterr()
    assert "loss became nan at epoch 1, batch 1" in captured.err
    assert "exit code 3" in captured.err
    assert len(metric_lines(captured.out)) <= 1  # stopped at once, not after 50 epochs


def test_missing_keras_dataset_fails_with_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    import keras

    def offline() -> None:
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    assert main(["--dataset=mnist", "--epochs=1"]) == 1
    assert "hpo-rig-train --download mnist" in capsys.readouterr().err


def test_unwritable_metrics_file_fails_with_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert main(["--epochs=1", f"--metrics-file={blocker / 'metrics.log'}"]) == 1
    assert "cannot open --metrics-file" in capsys.readouterr().err
