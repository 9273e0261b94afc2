"""Trial timeouts: the Job's activeDeadlineSeconds and --trial-timeout fail a trial as Katib
fails a Job past its deadline (reason DeadlineExceeded)."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from .conftest import experiment_document, read_trials

# kubernetes pkg/controller/job/job_controller.go: the Job's Failed condition; Katib's
# trial_controller_util.go UpdateTrialStatusCondition prefixes them.
REASON = "TrialFailed. Job reason: DeadlineExceeded"
MESSAGE = "Trial has failed. Job message: Job was active longer than specified deadline"


def write(tmp_path: Path, deadline: int | None) -> Path:
    document = experiment_document(
        ("--epochs=500", "--sleep=0.1"), maxTrialCount=1, parallelTrialCount=1,
        maxFailedTrialCount=1,
    )  # fmt: skip
    if deadline is not None:
        document["spec"]["trialTemplate"]["trialSpec"]["spec"]["activeDeadlineSeconds"] = deadline
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.parametrize(("deadline", "flags"), [(2, ()), (None, ("--trial-timeout", "2"))],
                         ids=["activeDeadlineSeconds", "--trial-timeout"])  # fmt: skip
def test_a_trial_past_its_deadline_fails_as_deadline_exceeded(
    tmp_path: Path, deadline: int | None, flags: tuple[str, ...]
) -> None:
    path = write(tmp_path, deadline)
    workdir = tmp_path / "w"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "hpo_rig.cli", "run", str(path), "--runner", "process",
         "--workdir", str(workdir), "--plain", "--grace", "1", *flags],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    took = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert took < 40  # the trial alone would run 50 s
    item = read_trials(workdir)["items"][0]
    last = item["status"]["conditions"][-1]
    assert (last["type"], last["reason"], last["message"]) == ("Failed", REASON, MESSAGE)
    # Metrics printed before the deadline are kept.
    assert item["status"]["observation"]["metrics"][0]["latest"] != "unavailable"


def test_a_negative_deadline_fails_the_trial_saying_so(tmp_path: Path) -> None:
    path = write(tmp_path, -1)
    workdir = tmp_path / "w"
    result = subprocess.run(
        [sys.executable, "-m", "hpo_rig.cli", "run", str(path), "--runner", "process",
         "--workdir", str(workdir), "--plain"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    message = read_trials(workdir)["items"][0]["status"]["conditions"][-1]["message"]
    assert "spec.activeDeadlineSeconds: must be greater than or equal to 0" in message
