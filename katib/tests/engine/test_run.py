"""End-to-end runs of the engine with host-process trials (the real trial script)."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from hpo_rig.cli import main
from hpo_rig.engine import core
from hpo_rig.engine.core import RunOptions, run_experiment
from hpo_rig.engine.runners import ProcessRunner
from hpo_rig.engine.view import View
from hpo_rig.experiment import load_experiment
from hpo_rig.trials import best_trial, load_trials

from .conftest import TRIAL_SCRIPT, experiment_document, read_state, read_trials

CONDITION_TYPES = {
    "Created",
    "Running",
    "Succeeded",
    "Failed",
    "EarlyStopped",
    "MetricsUnavailable",
    "Killed",
}


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "hpo_rig.cli", "run", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_runs_to_the_trial_limit_and_writes_katib_trials(write_experiment, tmp_path, capsys):
    path = write_experiment()
    workdir = tmp_path / "work"
    assert (
        main(["run", str(path), "--runner", "process", "--workdir", str(workdir), "--plain"]) == 0
    )
    out = capsys.readouterr().out
    assert "ExperimentMaxTrialsReached" in out
    document = read_trials(workdir)
    assert (document["apiVersion"], document["kind"]) == ("v1", "List")
    items = document["items"]
    assert len(items) == 4
    for item in items:
        assert (item["apiVersion"], item["kind"]) == ("kubeflow.org/v1beta1", "Trial")
        assert item["metadata"]["name"].startswith("engine-test-")
        assert item["metadata"]["labels"] == {"katib.kubeflow.org/experiment": "engine-test"}
        assert item["metadata"]["namespace"] == "kubeflow"
        assert [a["name"] for a in item["spec"]["parameterAssignments"]] == ["lr", "layers"]
        assert all(isinstance(a["value"], str) for a in item["spec"]["parameterAssignments"])
        conditions = item["status"]["conditions"]
        assert {c["type"] for c in conditions} <= CONDITION_TYPES
        assert (conditions[-1]["type"], conditions[-1]["status"]) == ("Succeeded", "True")
        assert item["status"]["startTime"]
        assert item["status"]["completionTime"]
        metrics = {m["name"]: m for m in item["status"]["observation"]["metrics"]}
        assert set(metrics) == {"accuracy", "loss"}
        # The trial script's accuracy grows each epoch: max and latest are the last value.
        assert metrics["accuracy"]["max"] == metrics["accuracy"]["latest"]
        assert float(metrics["accuracy"]["min"]) < float(metrics["accuracy"]["max"])
        log = workdir / item["metadata"]["annotations"]["hpo-rig/log"]
        assert "accuracy=" in log.read_text()
        # The printed accuracy follows from the assigned flags.
        values = {a["name"]: a["value"] for a in item["spec"]["parameterAssignments"]}
        expected = 1 - (float(values["lr"]) - 0.1) ** 2 - 0.01 * abs(int(values["layers"]) - 3)
        assert float(metrics["accuracy"]["latest"]) == pytest.approx(expected, abs=1e-6)
    # The katib engineer's reader takes the file as it takes a cluster's trials.
    trials = load_trials(workdir / "trials.json")
    experiment = load_experiment(path)
    best = best_trial(trials, experiment.objective)
    assert best is not None
    assert best.objective_value(experiment.objective) == max(
        t.objective_value(experiment.objective) for t in trials
    )


def test_stops_when_the_goal_is_reached(write_experiment, tmp_path):
    path = write_experiment(
        objective={"type": "maximize", "goal": 0.5, "objectiveMetricName": "accuracy"},
        maxTrialCount=10,
        parallelTrialCount=1,
    )
    result = run_cli(path, "--runner", "process", "--workdir", tmp_path / "w")
    assert result.returncode == 0, result.stderr
    assert "ExperimentGoalReached" in result.stdout
    items = read_trials(tmp_path / "w")["items"]
    # Every point of this space scores above 0.5: the first trial reaches the goal.
    assert len(items) == 1


def test_failed_trials_stop_the_run_at_max_failed(write_experiment, tmp_path):
    path = write_experiment(
        ("--fail",), maxTrialCount=6, maxFailedTrialCount=2, parallelTrialCount=1
    )
    result = run_cli(path, "--runner", "process", "--workdir", tmp_path / "w")
    assert result.returncode == 1
    assert "max failed count has reached" in result.stderr
    assert "maxFailedTrialCount is 2" in result.stderr
    items = read_trials(tmp_path / "w")["items"]
    assert len(items) == 2
    for item in items:
        last = item["status"]["conditions"][-1]
        assert (last["type"], last["reason"]) == ("Failed", "TrialFailed")
        assert "exit code 3" in last["message"]
        assert "failing on purpose" in last["message"]


def test_a_trial_killed_by_a_signal_fails_with_its_metrics_so_far(write_experiment, tmp_path):
    path = write_experiment(
        ("--crash",), maxTrialCount=1, maxFailedTrialCount=1, parallelTrialCount=1
    )
    result = run_cli(path, "--runner", "process", "--workdir", tmp_path / "w")
    assert result.returncode == 1
    item = read_trials(tmp_path / "w")["items"][0]
    assert "killed by SIGKILL" in item["status"]["conditions"][-1]["message"]
    assert item["status"]["observation"]["metrics"][0]["latest"] != "unavailable"


def test_no_objective_metric_is_metrics_unavailable(write_experiment, tmp_path):
    path = write_experiment(
        ("--silent",), maxTrialCount=3, maxFailedTrialCount=1, parallelTrialCount=1
    )
    result = run_cli(path, "--runner", "process", "--workdir", tmp_path / "w")
    assert result.returncode == 1
    items = read_trials(tmp_path / "w")["items"]
    assert len(items) == 1
    last = items[0]["status"]["conditions"][-1]
    assert (last["type"], last["reason"]) == ("MetricsUnavailable", "MetricsUnavailable")
    assert items[0]["status"]["observation"]["metrics"][0] == {
        "name": "accuracy",
        "min": "unavailable",
        "max": "unavailable",
        "latest": "unavailable",
    }


def test_missing_trial_command_fails_the_trial_clearly(write_experiment, tmp_path):
    path = write_experiment(maxTrialCount=2, maxFailedTrialCount=1)
    document = path.read_text().replace(sys.executable, "hpo-rig-no-such-trainer")
    path.write_text(document)
    result = run_cli(path, "--runner", "process", "--workdir", tmp_path / "w")
    assert result.returncode == 1
    message = read_trials(tmp_path / "w")["items"][0]["status"]["conditions"][-1]["message"]
    assert "'hpo-rig-no-such-trainer' is not installed on this host" in message


def test_algorithm_without_local_equivalent_is_a_usage_error(write_experiment, tmp_path):
    # Valid for Katib (hyperband/service.py needs r_l and resource_name), not runnable here.
    settings = [{"name": "r_l", "value": "2"}, {"name": "resource_name", "value": "layers"}]
    path = write_experiment(algorithm={"algorithmName": "hyperband", "algorithmSettings": settings})
    result = run_cli(path, "--runner", "process", "--workdir", tmp_path / "w")
    assert result.returncode == 2
    assert "no local equivalent" in result.stderr


def test_grid_runs_every_point_once(write_experiment, tmp_path):
    path = write_experiment(
        algorithm={"algorithmName": "grid"},
        maxTrialCount=6,
        parameters=[
            {
                "name": "lr",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.1", "max": "0.3", "step": "0.1"},
            },
            {"name": "layers", "parameterType": "int", "feasibleSpace": {"min": "2", "max": "3"}},
        ],
    )
    result = run_cli(path, "--runner", "process", "--workdir", tmp_path / "w")
    assert result.returncode == 0, result.stderr
    # maxTrialCount is the grid's size (Katib refuses more): the trial limit ends it first.
    assert "ExperimentMaxTrialsReached" in result.stdout
    points = {
        tuple(a["value"] for a in item["spec"]["parameterAssignments"])
        for item in read_trials(tmp_path / "w")["items"]
    }
    assert points == {(lr, layers) for lr in ("0.1", "0.2", "0.3") for layers in ("2", "3")}


def test_medianstop_stops_a_trial_below_the_mean(write_experiment, tmp_path, monkeypatch):
    path = write_experiment(
        ("--epochs=6", "--sleep=0.1"),
        parallelTrialCount=1,
        maxTrialCount=2,
        parameters=[
            {
                "name": "lr",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.01", "max": "1.0"},
            },
            {"name": "layers", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "5"}},
        ],
        earlyStopping={
            "algorithmName": "medianstop",
            "algorithmSettings": [
                {"name": "min_trials_required", "value": "1"},
                {"name": "start_step", "value": "2"},
            ],
        },
    )
    # A fixed order: a good trial first, then a poor one that the rule must stop.
    original = core.Engine._open_study

    def ordered(self):
        original(self)
        self.study.enqueue_trial({"lr": 0.1, "layers": 3})
        self.study.enqueue_trial({"lr": 1.0, "layers": 1})

    monkeypatch.setattr(core.Engine, "_open_study", ordered)
    experiment = load_experiment(path)
    result = run_experiment(
        experiment,
        ProcessRunner(),
        RunOptions(tmp_path / "w", grace_seconds=2),
        View(io.StringIO(), experiment),
    )
    assert result.exit_code == 0
    first, second = read_trials(tmp_path / "w")["items"]
    assert first["status"]["conditions"][-1]["type"] == "Succeeded"
    assert "earlyStoppingRules" not in first["spec"]
    # Mean of the first trial's first two values: (1/6 + 2/6) / 2 = 0.25.
    rule = second["spec"]["earlyStoppingRules"][0]
    assert (rule["comparison"], rule["startStep"]) == ("less", 2)
    assert float(rule["value"]) == pytest.approx(0.25)
    last = second["status"]["conditions"][-1]
    assert (last["type"], last["reason"]) == ("EarlyStopped", "TrialEarlyStopped")
    # The poor trial (accuracy 0.17 * epoch / 6) is stopped at step 2, long before epoch 6.
    accuracy = second["status"]["observation"]["metrics"][0]
    assert float(accuracy["max"]) < 0.25
    log = (tmp_path / "w" / second["metadata"]["annotations"]["hpo-rig/log"]).read_text()
    assert "epoch=6" not in log


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def finished_names(workdir: Path):
    try:
        state = read_state(workdir)
    except (FileNotFoundError, json.JSONDecodeError):
        return set()
    return {t["name"] for t in state["trials"] if t["status"] not in ("Created", "Running")}


def running_pids(workdir: Path):
    try:
        state = read_state(workdir)
    except (FileNotFoundError, json.JSONDecodeError):
        return []
    return [t["pid"] for t in state["trials"] if t["status"] == "Running" and t["pid"]]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


def start_run(path, workdir):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hpo_rig.cli",
            "run",
            str(path),
            "--runner",
            "process",
            "--workdir",
            str(workdir),
            "--plain",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_resume_after_sigkill_keeps_finished_trials(write_experiment, tmp_path):
    path = write_experiment(("--epochs=2", "--sleep=0.4"), maxTrialCount=5, parallelTrialCount=1)
    workdir = tmp_path / "w"
    process = start_run(path, workdir)
    wait_for(lambda: len(finished_names(workdir)) >= 2)
    pids = wait_for(lambda: running_pids(workdir))
    process.kill()
    process.wait()
    before = {t["name"]: t for t in read_state(workdir)["trials"] if t["status"] == "Succeeded"}
    assert len(before) >= 2

    result = run_cli(path, "--runner", "process", "--workdir", workdir, "--plain")
    assert result.returncode == 0, result.stderr
    assert "resuming:" in result.stdout
    # The orphaned trial process of the killed run is gone.
    assert not any(alive(pid) for pid in pids)
    after = read_state(workdir)["trials"]
    assert len(after) == 5
    assert len({t["name"] for t in after}) == 5
    assert all(t["status"] == "Succeeded" for t in after)
    for name, record in before.items():
        kept = next(t for t in after if t["name"] == name)
        # Kept as they were: not run again.
        assert kept["attempts"] == 1
        assert kept["params"] == record["params"]
        assert kept["completed"] == record["completed"]
    started_in_second_run = [t for t in after if t["name"] not in before]
    assert len(started_in_second_run) == 5 - len(before)
    assert len(read_trials(workdir)["items"]) == 5
    # The study was resumed, not rebuilt: one Optuna trial per Katib trial, each told once.
    assert [t["optuna_state"] for t in after] == ["COMPLETE"] * 5


def test_an_outcome_recorded_but_not_told_to_optuna_is_told_on_resume(
    write_experiment, tmp_path, monkeypatch
):
    """Killed between writing a trial's outcome and telling Optuna: the rerun tells Optuna
    and neither loses nor repeats the trial."""
    path = write_experiment(maxTrialCount=2, parallelTrialCount=1)
    workdir = tmp_path / "w"
    tell = core.Engine._tell

    def killed(self, record):
        raise KeyboardInterrupt

    def run():
        experiment = load_experiment(path)
        return run_experiment(
            experiment,
            ProcessRunner(),
            RunOptions(workdir, grace_seconds=2),
            View(io.StringIO(), experiment),
        )

    monkeypatch.setattr(core.Engine, "_tell", killed)
    with pytest.raises(KeyboardInterrupt):
        run()
    (recorded,) = read_state(workdir)["trials"]
    assert (recorded["status"], recorded["optuna_state"]) == ("Succeeded", "RUNNING")

    monkeypatch.setattr(core.Engine, "_tell", tell)
    assert run().exit_code == 0
    first, second = read_state(workdir)["trials"]
    assert first == {**recorded, "optuna_state": "COMPLETE"}
    assert (second["status"], second["optuna_state"]) == ("Succeeded", "COMPLETE")


def test_interrupted_trials_run_again_in_their_own_optuna_trials(write_experiment, tmp_path):
    path = write_experiment(("--epochs=20", "--sleep=0.05"), maxTrialCount=3, parallelTrialCount=2)
    workdir = tmp_path / "w"
    process = start_run(path, workdir)
    wait_for(lambda: len(running_pids(workdir)) == 2)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=30)
    assert process.returncode == 130
    stopped = read_state(workdir)["trials"]
    # Not run yet, as Katib would say; their Optuna trials stay open for the rerun.
    assert [(t["status"], t["optuna_state"]) for t in stopped] == [("Created", "RUNNING")] * 2

    result = run_cli(path, "--runner", "process", "--workdir", workdir, "--plain")
    assert result.returncode == 0, result.stderr
    assert "2 interrupted trial(s) to run again" in result.stdout
    after = read_state(workdir)["trials"]
    assert [t["optuna_state"] for t in after] == ["COMPLETE"] * 3
    for before, again in zip(stopped, after, strict=False):
        assert (again["name"], again["params"]) == (before["name"], before["params"])
        assert again["attempts"] == 2


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_stops_trials_and_exits_130(write_experiment, tmp_path, sig):
    path = write_experiment(("--epochs=50", "--sleep=0.2"), maxTrialCount=3, parallelTrialCount=2)
    workdir = tmp_path / "w"
    process = start_run(path, workdir)
    pids = wait_for(lambda: len(running_pids(workdir)) == 2 and running_pids(workdir))
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "interrupted" in stderr
    assert not any(alive(pid) for pid in pids)
    state = read_state(workdir)
    assert [t["status"] for t in state["trials"]] == ["Created", "Created"]
    items = read_trials(workdir)["items"]
    assert all(i["status"]["conditions"][-1]["type"] == "Created" for i in items)


def test_a_trial_ignoring_sigterm_is_killed_after_the_grace(write_experiment, tmp_path):
    path = write_experiment(
        ("--epochs=500", "--sleep=0.1", "--ignore-term"),
        maxTrialCount=1,
        parallelTrialCount=1,
        maxFailedTrialCount=1,
    )
    workdir = tmp_path / "w"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hpo_rig.cli",
            "run",
            str(path),
            "--runner",
            "process",
            "--workdir",
            str(workdir),
            "--plain",
            "--grace",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pids = wait_for(lambda: running_pids(workdir))
    # Once it prints, the trial has set SIGTERM aside: only SIGKILL after the grace ends it.
    wait_for(lambda: any("epoch=1" in log.read_text() for log in (workdir / "logs").iterdir()))
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=30)
    assert process.returncode == 130
    assert time.monotonic() - started >= 1
    assert not any(alive(pid) for pid in pids)


def test_two_runs_cannot_share_a_workdir(write_experiment, tmp_path):
    path = write_experiment(
        ("--epochs=20", "--sleep=0.2"), maxTrialCount=1, parallelTrialCount=1, maxFailedTrialCount=0
    )
    workdir = tmp_path / "w"
    process = start_run(path, workdir)
    try:
        wait_for(lambda: running_pids(workdir))
        result = run_cli(path, "--runner", "process", "--workdir", workdir)
        assert result.returncode == 1
        assert "another hpo-rig run is using" in result.stderr
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def test_raising_max_trial_count_extends_a_finished_run(write_experiment, tmp_path):
    workdir = tmp_path / "w"
    first = run_cli(write_experiment(maxTrialCount=2), "--runner", "process", "--workdir", workdir)
    assert first.returncode == 0, first.stderr
    before = read_state(workdir)["trials"]
    # The file's limit raised: the same study goes on.
    path = write_experiment(maxTrialCount=3)
    second = run_cli(path, "--runner", "process", "--workdir", workdir)
    assert second.returncode == 0, second.stderr
    assert "resuming: 2 finished trial(s) kept" in second.stdout
    after = read_state(workdir)["trials"]
    assert after[:2] == before
    assert len(after) == 3
    # And past the file's limit with --max-trials.
    third = run_cli(path, "--runner", "process", "--workdir", workdir, "--max-trials", "4")
    assert third.returncode == 0, third.stderr
    after = read_state(workdir)["trials"]
    assert after[:2] == before
    assert [t["optuna_state"] for t in after] == ["COMPLETE"] * 4
    assert len(read_trials(workdir)["items"]) == 4


def test_another_spec_is_refused_naming_the_fields_that_differ(write_experiment, tmp_path):
    workdir = tmp_path / "w"
    first = run_cli(write_experiment(maxTrialCount=2), "--runner", "process", "--workdir", workdir)
    assert first.returncode == 0, first.stderr
    path = write_experiment(
        maxTrialCount=5,
        parallelTrialCount=1,
        parameters=[
            {
                "name": "lr",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.01", "max": "0.9"},
            },
            {"name": "layers", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "5"}},
        ],
    )
    result = run_cli(path, "--runner", "process", "--workdir", workdir)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert "spec.parallelTrialCount, spec.parameters[0].feasibleSpace.max differ" in line
    assert "maxTrialCount" not in line.split("differ")[0]
    assert "use another --workdir" in line
    assert len(read_state(workdir)["trials"]) == 2

    other = yaml.safe_load(path.read_text())
    other["metadata"]["name"] = "another-experiment"
    path.write_text(yaml.safe_dump(other))
    result = run_cli(path, "--runner", "process", "--workdir", workdir)
    assert result.returncode == 1
    assert "holds a run of a different experiment ('engine-test')" in result.stderr


def test_optuna_reads_a_local_run(write_experiment, tmp_path):
    """The study is Optuna's own: its CLI (and optuna-dashboard) open the journal as it is."""
    workdir = tmp_path / "w"
    result = run_cli(write_experiment(maxTrialCount=3), "--runner", "process", "--workdir", workdir)
    assert result.returncode == 0, result.stderr
    journal = workdir / "optuna.journal"
    optuna_cli = Path(sys.executable).with_name("optuna")
    listed = subprocess.run(
        [optuna_cli, "trials", "--storage", journal, "--study-name", "engine-test", "-f", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(listed.stdout)
    assert [row["state"] for row in rows] == ["COMPLETE"] * 3
    katib = {item["metadata"]["name"]: item for item in read_trials(workdir)["items"]}
    for row in rows:
        record = row["user_attrs"]["hpo_rig"]
        item = katib[record["name"]]
        accuracy = item["status"]["observation"]["metrics"][0]
        # The value Optuna holds is Katib's objective value (strategy max when maximising).
        assert row["value"] == pytest.approx(float(accuracy["max"]))
        assert row["params"]["lr"] == pytest.approx(
            float(item["spec"]["parameterAssignments"][0]["value"])
        )


def test_a_work_directory_of_an_earlier_hpo_rig_is_refused_in_one_line(write_experiment, tmp_path):
    workdir = tmp_path / "w"
    workdir.mkdir()
    (workdir / "state.json").write_text('{"version": 1, "trials": []}\n')
    result = run_cli(write_experiment(), "--runner", "process", "--workdir", workdir)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert "holds a run of an earlier hpo-rig (state.json)" in line
    assert "use another --workdir" in line
    assert not (workdir / "optuna.journal").exists()


def test_relative_paths_in_a_trial_command_start_where_run_was_started(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "data.csv").write_text("0.75\n")
    (project / "script.py").write_text(
        "import sys\n"
        "data = sys.argv[1].split('=', 1)[1]\n"
        "print(f'accuracy={float(open(data).read())}')\n"
    )
    document = experiment_document(maxTrialCount=2, parallelTrialCount=1)
    container = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    # The script reads the first argument; the parameters follow, unused.
    container["command"][:2] = [sys.executable, "./script.py", "--data=./data.csv"]
    path = tmp_path / "experiments" / "relative.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(document))
    result = run_cli(path, "--runner", "process", "--workdir", tmp_path / "w", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    for item in read_trials(tmp_path / "w")["items"]:
        assert item["status"]["conditions"][-1]["type"] == "Succeeded"
        assert item["status"]["observation"]["metrics"][0]["latest"] == "0.75"


def test_grid_resumes_without_repeating_points(write_experiment, tmp_path):
    path = write_experiment(
        algorithm={"algorithmName": "grid"},
        maxTrialCount=6,
        parallelTrialCount=1,
        parameters=[
            {
                "name": "lr",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.1", "max": "0.3", "step": "0.1"},
            },
            {"name": "layers", "parameterType": "int", "feasibleSpace": {"min": "2", "max": "3"}},
        ],
    )
    workdir = tmp_path / "w"
    first = run_cli(path, "--runner", "process", "--workdir", workdir, "--max-trials", "3")
    assert first.returncode == 0, first.stderr
    second = run_cli(path, "--runner", "process", "--workdir", workdir)
    assert second.returncode == 0, second.stderr
    points = [
        tuple(a["value"] for a in item["spec"]["parameterAssignments"])
        for item in read_trials(workdir)["items"]
    ]
    assert sorted(points) == sorted(
        (lr, layers) for lr in ("0.1", "0.2", "0.3") for layers in ("2", "3")
    )


def test_sobol_resumes_where_its_sequence_stopped(write_experiment, tmp_path):
    """The Sobol position is Optuna's study state: a rerun continues the sequence."""
    workdir = tmp_path / "w"
    sobol = {"algorithmName": "sobol"}
    path = write_experiment(algorithm=sobol, maxTrialCount=5, parallelTrialCount=1)
    first = run_cli(path, "--runner", "process", "--workdir", workdir, "--max-trials", "3")
    assert first.returncode == 0, first.stderr
    second = run_cli(path, "--runner", "process", "--workdir", workdir)
    assert second.returncode == 0, second.stderr
    points = [
        tuple(a["value"] for a in item["spec"]["parameterAssignments"])
        for item in read_trials(workdir)["items"]
    ]
    assert len(points) == 5
    assert len(set(points)) == 5, points


V1ALPHA3 = """\
apiVersion: kubeflow.org/v1alpha3
kind: Experiment
metadata:
  namespace: kubeflow
  name: seed-random
spec:
  objective:
    type: minimize
    objectiveMetricName: loss
    additionalMetricNames: [accuracy]
  algorithm:
    algorithmName: random
  parallelTrialCount: 2
  maxTrialCount: 3
  maxFailedTrialCount: 1
  parameters:
    - name: --lr
      parameterType: double
      feasibleSpace: {min: "0.01", max: "0.5"}
    - name: --layers
      parameterType: int
      feasibleSpace: {min: "1", max: "5"}
  trialTemplate:
    goTemplate:
        rawTemplate: |-
          apiVersion: batch/v1
          kind: Job
          metadata:
            name: {{.Trial}}
            namespace: {{.NameSpace}}
          spec:
            template:
              spec:
                containers:
                - name: {{.Trial}}
                  image: hpo-rig/engine-test:latest
                  command:
                  - "PYTHON"
                  - "SCRIPT"
                  {{- with .HyperParameters}}
                  {{- range .}}
                  - "{{.Name}}={{.Value}}"
                  {{- end}}
                  {{- end}}
                restartPolicy: Never
"""


@pytest.mark.parametrize("version", ["v1alpha3", "v1alpha2"])
def test_a_seed_profile_experiment_runs_with_its_own_filter(tmp_path, version):
    path = tmp_path / "seed.yaml"
    path.write_text(
        V1ALPHA3.replace("PYTHON", sys.executable)
        .replace("SCRIPT", str(TRIAL_SCRIPT))
        .replace("kubeflow.org/v1alpha3", f"kubeflow.org/{version}")
    )
    result = run_cli(path, "--runner", "process", "--workdir", tmp_path / "w")
    assert result.returncode == 0, result.stderr
    items = read_trials(tmp_path / "w")["items"]
    assert len(items) == 3
    for item in items:
        assert item["metadata"]["labels"]["katib.kubeflow.org/experiment"] == "seed-random"
        values = {a["name"]: a["value"] for a in item["spec"]["parameterAssignments"]}
        assert set(values) == {"--lr", "--layers"}
        loss = {m["name"]: m for m in item["status"]["observation"]["metrics"]}["loss"]
        # Minimising: Katib's default strategy for the objective is min.
        assert item["spec"]["objective"]["metricStrategies"][0] == {"name": "loss", "value": "min"}
        assert float(loss["min"]) <= float(loss["latest"])


def test_best_export_and_report_read_a_local_run(write_experiment, tmp_path, capsys):
    path = write_experiment(maxTrialCount=3)
    workdir = tmp_path / "w"
    assert (
        main(["run", str(path), "--runner", "process", "--workdir", str(workdir), "--plain"]) == 0
    )
    trials = str(workdir / "trials.json")
    capsys.readouterr()
    assert main(["best", "--from", trials, "--experiment", str(path)]) == 0
    best = load_trials(trials)
    objective = load_experiment(path).objective
    winner = best_trial(best, objective)
    assert winner is not None
    assert f"best trial: {winner.name}" in capsys.readouterr().out
    assert main(["export", "--from", trials, "-o", "csv", "--file", str(tmp_path / "t.csv")]) == 0
    assert len((tmp_path / "t.csv").read_text().strip().splitlines()) == 4
    assert main(["report", "--from", trials, "--output-dir", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "engine-test.html").exists()
