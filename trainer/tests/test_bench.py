"""The benchmark's code paths on CPU; timings are printed, never asserted."""

import pytest

from hpo_rig_train.bench import main, measure_throughput, run_trials
from hpo_rig_train.model import ModelSpec

pytest.importorskip("tensorflow")
pytestmark = pytest.mark.slow


def test_throughput_measures_both_input_paths() -> None:
    result = measure_throughput("digits", 2048, 256, 2, ModelSpec(hidden_units=8), repeats=1)
    assert result.numpy_samples_per_s > 0
    assert result.tfdata_samples_per_s > 0
    assert result.ratio == result.tfdata_samples_per_s / result.numpy_samples_per_s


def test_run_trials_runs_real_trials_at_once() -> None:
    assert run_trials(2, True, ["--epochs=1", "--hidden-units=8"]) > 0


def test_run_trials_one_after_another_reports_a_failed_trial() -> None:
    with pytest.raises(RuntimeError, match="exit code 2"):
        run_trials(1, False, ["--epochs=0"])


def test_report_without_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--samples=1024", "--epochs=2", "--repeats=1"]) == 0
    out = capsys.readouterr().out
    assert "model.fit on NumPy arrays" in out
    assert "ratio tf.data / NumPy" in out
    assert "shared GPU: no GPU found" in out
