"""scripts/gpu-acceptance: argument handling and the orchestration, on the CPU with a stand-in
trainer (the real run needs a GPU host; see scripts/gpu-acceptance)."""

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from hpo_rig_train import acceptance

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu-acceptance"


def test_counts_and_caps() -> None:
    assert acceptance.parse_counts("8,1,2,4,2") == [1, 2, 4, 8]
    for bad in ("", "0", "1,x", "65"):
        with pytest.raises(argparse.ArgumentTypeError):
            acceptance.parse_counts(bad)
    assert [acceptance.cap_fraction(n) for n in (1, 2, 4, 8)] == [0.9, 0.45, 0.225, 0.1125]
    assert all(n * acceptance.cap_fraction(n) <= 0.9 for n in range(1, 65))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--trials=0"], "each count must be in [1, 64]"),
        (["--data=/no/such.npz"], "argument --data: no such file"),
        (["--backend=mxnet"], "invalid choice: 'mxnet'"),
        (["--epochs=0"], "must be at least 1"),
    ],
)
def test_bad_arguments_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        acceptance.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_dry_run_orchestration_with_a_stand_in_trainer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in = [sys.executable, "-c",
                "import sys, time; time.sleep(0.3); "
                "print('hpo-rig-train: peak GPU memory 12 MiB', file=sys.stderr)"]  # fmt: skip
    monkeypatch.setattr(acceptance, "trainer_command", lambda *a, **k: stand_in)
    assert acceptance.main(["--dry-run", "--trials=1,2,4", "--sequential-runs=1"]) == 0
    out = capsys.readouterr().out
    assert "gpu-acceptance: CPU dry run" in out
    assert "sequential: one trial" in out
    rows = [line.split() for line in out.splitlines() if line[:3].strip().isdigit()]
    assert [row[0] for row in rows] == ["1", "2", "4"]
    assert rows[-1][-1] == "-/12"  # the framework's peak, read from the trainer's stderr
    assert "over-cap trial (32 MiB): fails cleanly (skipped on CPU" in out
    assert "goal speedup >= 1.8x:" in out


def test_a_failed_trial_fails_the_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = [sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(4)"]
    monkeypatch.setattr(acceptance, "trainer_command", lambda *a, **k: failing)
    assert acceptance.main(["--dry-run", "--trials=1", "--sequential-runs=1"]) == 1
    assert "N=1 trial 0 exit 4: boom" in capsys.readouterr().err


def test_the_wrapper_refuses_a_missing_bundle(tmp_path: Path) -> None:
    result = subprocess.run(
        ["sh", str(SCRIPT), str(tmp_path / "none")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "no bundle in" in result.stderr
    assert "scripts/gpu-acceptance prepare" in result.stderr
