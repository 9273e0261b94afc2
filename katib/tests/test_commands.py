import copy
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest
import yaml

from hpo_rig import cluster
from hpo_rig.cli import COMMANDS, main
from hpo_rig.commands import submit, watch
from tests.fakes import FakeCustomObjectsApi
from tests.kubeconfig import write_kubeconfig

ROOT = Path(__file__).parents[1]
EXAMPLES = Path(__file__).parent / "fixtures" / "examples"
TRIALS = Path(__file__).parent / "fixtures" / "trials" / "random-trials.json"
RANDOM = EXAMPLES / "v1beta1-random.yaml"
VALUES = ROOT / "examples" / "values-mnist-tpe.yaml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def kubeflow_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$KUBECONFIG: a current context whose namespace is kubeflow (the namespace these tests'
    Experiments live in), so no test reads the developer's ~/.kube/config."""
    config = write_kubeconfig(tmp_path / "kubeconfig", {"rig": "kubeflow"}, "rig")
    monkeypatch.setenv("KUBECONFIG", str(config))


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeCustomObjectsApi:
    fake = FakeCustomObjectsApi()
    monkeypatch.setattr(cluster, "connect", lambda *args, **kwargs: fake)
    monkeypatch.setattr(submit.time, "sleep", lambda seconds: None)
    return fake


def trials_document() -> dict[str, Any]:
    document = json.loads(TRIALS.read_text())
    assert isinstance(document, dict)
    return document


def experiment_document(conditions: list[dict[str, str]] | None = None) -> dict[str, Any]:
    document = yaml.safe_load(RANDOM.read_text())
    if conditions is not None:
        document["status"] = {"conditions": conditions}
    assert isinstance(document, dict)
    return document


def running() -> list[dict[str, str]]:
    return [{"type": "Created", "status": "True"}, {"type": "Running", "status": "True"}]


def succeeded() -> list[dict[str, str]]:
    return [{"type": "Running", "status": "False"}, {"type": "Succeeded", "status": "True"}]


def test_help_lists_the_commands_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    present = [name for name in COMMANDS if re.search(rf"^    {name} ", text, re.MULTILINE)]
    assert present[:8] == [
        "render",
        "validate",
        "submit",
        "watch",
        "export",
        "best",
        "report",
        "run",
    ]


def test_render_then_validate_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", str(VALUES)]) == 0
    text = capsys.readouterr().out
    (document,) = yaml.safe_load_all(text)
    assert document["metadata"]["name"] == "mnist-tpe"
    output = tmp_path / "experiment.yaml"
    assert main(["render", str(VALUES), "--file", str(output)]) == 0
    assert yaml.safe_load(output.read_text()) == document
    assert main(["validate", str(output)]) == 0
    assert capsys.readouterr().out.endswith(f"{output}: ok\n")


def test_render_emits_a_stream_for_an_experiments_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = yaml.safe_load(VALUES.read_text())
    values.pop("early_stopping")
    values.pop("name")
    values["experiments"] = [
        {"name": "seed-random", "algorithm": "random", "algorithm_settings": {}},
        {"name": "seed-tpe"},
    ]
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    assert main(["render", str(path), "--api-version", "v1alpha3"]) == 0
    documents = list(yaml.safe_load_all(capsys.readouterr().out))
    assert [(d["apiVersion"], d["metadata"]["name"]) for d in documents] == [
        ("kubeflow.org/v1alpha3", "seed-random"),
        ("kubeflow.org/v1alpha3", "seed-tpe"),
    ]
    raw = documents[0]["spec"]["trialTemplate"]["goTemplate"]["rawTemplate"]
    assert "{{- range .}}" in raw


def test_render_reports_missing_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "values.yaml"
    path.write_text("name: x\nalgorithm: random\n")
    assert main(["render", str(path)]) == 1
    assert "missing required variable 'objective.type'" in capsys.readouterr().err


def test_validate_prints_problems_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = experiment_document()
    bad["spec"]["parameters"][0]["feasibleSpace"] = {"min": "0.5", "max": "0.1"}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    assert main(["validate", str(RANDOM), str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{RANDOM}: ok",
        f"{path}: spec.parameters[0].feasibleSpace.min: must be less than max (got 0.5 >= 0.1)"
        " (Katib admits this; the Experiment fails later)",
    ]


def test_validate_lists_every_katib_refusal_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = experiment_document()
    bad["metadata"]["name"] = "a" * 41
    bad["spec"]["paralelTrialCount"] = 2
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[1] for line in out] == ["spec.paralelTrialCount", "metadata.name"]
    assert out[0].endswith("did you mean 'parallelTrialCount'?")


def test_submit_creates_a_validated_experiment(
    api: FakeCustomObjectsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submit", str(RANDOM)]) == 0
    assert ("kubeflow", "experiments", "random") in api.objects
    assert api.calls[-1] == ("create", "v1beta1", "kubeflow", "experiments", "random")
    assert "experiment kubeflow/random created" in capsys.readouterr().out


def test_submit_refuses_a_running_experiment_without_replace(
    api: FakeCustomObjectsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add("experiments", experiment_document(running()))
    assert main(["submit", str(RANDOM)]) == 1
    assert "already exists (running); use --replace" in capsys.readouterr().err
    assert not [call for call in api.calls if call[0] in ("create", "delete")]


def test_submit_replace_deletes_waits_and_recreates(api: FakeCustomObjectsApi) -> None:
    api.add("experiments", experiment_document(running()))
    api.linger["random"] = 2
    assert main(["submit", "--replace", str(RANDOM)]) == 0
    kinds = [call[0] for call in api.calls]
    assert kinds == ["get", "delete", "get", "get", "get", "create"]
    assert "status" not in api.objects[("kubeflow", "experiments", "random")]


def test_submit_validates_before_touching_the_cluster(
    api: FakeCustomObjectsApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = experiment_document()
    bad["spec"]["algorithm"]["algorithmName"] = "annealing"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    assert main(["submit", str(path)]) == 1
    assert "unknown algorithm 'annealing'" in capsys.readouterr().err
    assert api.calls == []


def test_submit_reports_the_webhook_refusal(
    api: FakeCustomObjectsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.refuse_create = "admission webhook denied the request: spec.trialTemplate invalid"
    assert main(["submit", str(RANDOM), "-n", "hpo"]) == 1
    err = capsys.readouterr().err
    assert "creating experiment hpo/random" in err
    assert "admission webhook denied the request" in err


def _args(**values: Any) -> Any:
    import argparse

    defaults = {
        "experiment_name": None,
        "from_file": None,
        "experiment_file": None,
        "namespace": "kubeflow",
        "api_version": "v1beta1",
        "kubeconfig": None,
        "context": None,
        "request_timeout": 30.0,
        "interval": 0.0,
        "timeout": None,
        "once": False,
        "output": None,
        "live": None,
    }
    return argparse.Namespace(**(defaults | values))


def test_watch_rereads_a_file_until_every_trial_finished(tmp_path: Path) -> None:
    path = tmp_path / "trials.json"
    path.write_text(TRIALS.read_text())
    sleeps: list[float] = []

    def finish_running_trial(seconds: float) -> None:
        sleeps.append(seconds)
        document = trials_document()
        last = document["items"][-1]
        last["status"]["conditions"].append(
            {"type": "Succeeded", "status": "True", "reason": "TrialSucceeded", "message": ""}
        )
        last["status"]["observation"] = {
            "metrics": [
                {"name": "Validation-accuracy", "min": "0.95", "max": "0.98", "latest": "0.98"}
            ]
        }
        path.write_text(json.dumps(document))

    out = io.StringIO()
    parser = watch.argparse.ArgumentParser()
    assert watch.run(_args(from_file=path, interval=5.0), parser, out, finish_running_trial) == 0
    assert sleeps == [5.0]
    text = out.getvalue()
    assert text.count("TRIAL ") == 2
    assert "1 Running" in text
    assert "best Validation-accuracy=0.9712 (random-4xkqj7lw)" in text
    assert "best Validation-accuracy=0.98 (random-zq5w7rty)" in text


def test_watch_follows_the_cluster_until_the_experiment_succeeds(
    api: FakeCustomObjectsApi,
) -> None:
    api.add("experiments", experiment_document(running()))
    for item in trials_document()["items"]:
        api.add("trials", item)

    def experiment_finishes(seconds: float) -> None:
        api.add("experiments", experiment_document(succeeded()))

    out = io.StringIO()
    parser = watch.argparse.ArgumentParser()
    assert watch.run(_args(experiment_name="random"), parser, out, experiment_finishes) == 0
    text = out.getvalue()
    assert text.count("experiment random: 6/12 trials") == 2
    assert ("list", "v1beta1", "kubeflow", "trials", "katib.kubeflow.org/experiment=random") in (
        api.calls
    )


def test_watch_exits_1_when_the_experiment_ends_failed(
    api: FakeCustomObjectsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = [
        {"type": "Running", "status": "False"},
        {
            "type": "Failed",
            "status": "True",
            "reason": "ExperimentFailed",
            "message": "Experiment has failed because max failed count has reached",
        },
    ]
    api.add("experiments", experiment_document(failed))
    for item in trials_document()["items"]:
        api.add("trials", item)
    assert main(["watch", "random", "-i", "0"]) == 1
    assert (
        "experiment random Failed: Experiment has failed because max failed count has reached"
        in capsys.readouterr().err
    )


def test_watch_from_a_file_fails_as_katib_at_max_failed_trials(tmp_path: Path) -> None:
    # Katib v0.19.0 status_util.go: Failed + MetricsUnavailable (here 1 + 1) >= 2 fails it.
    experiment = experiment_document()
    experiment["spec"]["maxFailedTrialCount"] = 2
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(experiment))
    args = _args(from_file=TRIALS, experiment_file=path)
    assert watch.run(args, watch.argparse.ArgumentParser(), io.StringIO(), pytest.fail) == 1


def test_watch_times_out_with_exit_5(
    api: FakeCustomObjectsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add("experiments", experiment_document(running()))
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    args = _args(experiment_name="random", interval=4.0, timeout=10.0)
    parser = watch.argparse.ArgumentParser()
    assert watch.run(args, parser, io.StringIO(), sleep, lambda: now[0]) == 5
    assert sleeps == [4.0, 4.0, 2.0]
    assert "timed out waiting for experiment random to finish after 10s" in (
        capsys.readouterr().err
    )


def test_watch_help_shows_the_interval_default_and_takes_durations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["watch", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 10s)" in text
    assert "5 --timeout ran out" in text
    parser = watch.argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    watch.register(subparsers)
    parsed = parser.parse_args(["watch", "x", "--timeout", "1h30m", "-i", "500ms"])
    assert (parsed.timeout, parsed.interval) == (5400.0, 0.5)
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["watch", "x", "--timeout", "10 minutes"])
    assert exit_info.value.code == 2


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip().startswith("random-")]


def test_watch_names_the_strategy_and_shows_one_value_per_trial(tmp_path: Path) -> None:
    out = io.StringIO()
    assert watch.run(_args(from_file=TRIALS, once=True), watch.argparse.ArgumentParser(), out) == 0
    text = out.getvalue()
    header = next(line for line in text.splitlines() if line.startswith("TRIAL"))
    assert "Validation-accuracy (max)" in header
    # random-4xkqj7lw: min 0.9101, max 0.9712, latest 0.9688; the strategy (max) is shown.
    (row,) = [line for line in _table_lines(text) if "random-4xkqj7lw" in line]
    assert "0.9712" in row
    assert "0.9688" not in row
    assert "0.9101" not in row

    document = trials_document()
    for item in document["items"]:
        item["spec"]["objective"]["metricStrategies"][0]["value"] = "latest"
    path = tmp_path / "trials.json"
    path.write_text(json.dumps(document))
    out = io.StringIO()
    assert watch.run(_args(from_file=path, once=True), watch.argparse.ArgumentParser(), out) == 0
    assert "Validation-accuracy (latest)" in out.getvalue()
    (row,) = [line for line in _table_lines(out.getvalue()) if "random-4xkqj7lw" in line]
    assert "0.9688" in row
    assert "0.9712" not in row


def test_watch_on_a_terminal_redraws_a_live_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")  # rich's width for a terminal it cannot measure
    path = tmp_path / "trials.json"
    path.write_text(TRIALS.read_text())

    def finish_running_trial(seconds: float) -> None:
        document = trials_document()
        document["items"][-1]["status"]["conditions"].append(
            {"type": "Succeeded", "status": "True", "reason": "TrialSucceeded", "message": ""}
        )
        path.write_text(json.dumps(document))

    out = Terminal()
    parser = watch.argparse.ArgumentParser()
    assert watch.run(_args(from_file=path), parser, out, finish_running_trial) == 0
    text = out.getvalue()
    assert "\x1b[H\x1b[2J" not in text  # no clearing of the whole screen
    assert re.search(r"\x1b\[\d*A", text)  # the cursor moves up to redraw in place
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert "Validation-accuracy (max)" in plain
    assert plain.count("experiment random: 6 trials") == 3  # two drawings, the last one kept
    assert not plain.rstrip().endswith("TRIAL")


def test_watch_plain_on_a_terminal_and_once_print_text(tmp_path: Path) -> None:
    for args in (
        _args(from_file=TRIALS, once=True),
        _args(from_file=TRIALS, live=False, once=True),
    ):
        out = Terminal()
        assert watch.run(args, watch.argparse.ArgumentParser(), out) == 0
        assert "\x1b" not in out.getvalue()
        assert out.getvalue().splitlines()[1].startswith("TRIAL")


def test_watch_stops_when_the_goal_is_reached(tmp_path: Path) -> None:
    experiment = experiment_document()
    experiment["spec"]["objective"]["goal"] = 0.97
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(experiment))
    out = io.StringIO()
    parser = watch.argparse.ArgumentParser()

    def never(seconds: float) -> None:
        pytest.fail("watch should have stopped at the goal")

    assert watch.run(_args(from_file=TRIALS, experiment_file=path), parser, out, never) == 0


def test_source_is_required_exactly_once(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["export"], ["best", "random", "--from", str(TRIALS)]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    assert "give either EXPERIMENT" in capsys.readouterr().err


def test_export_json_keeps_katib_form(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--from", str(TRIALS)]) == 0
    exported = json.loads(capsys.readouterr().out)
    original = trials_document()
    assert exported["kind"] == "List"
    assert exported["items"] == original["items"]


def test_export_from_cluster_matches_file(api: FakeCustomObjectsApi, tmp_path: Path) -> None:
    api.add("experiments", experiment_document(running()))
    for item in trials_document()["items"]:
        api.add("trials", copy.deepcopy(item))
    output = tmp_path / "trials.json"
    assert main(["export", "random", "-n", "kubeflow", "--file", str(output)]) == 0
    assert json.loads(output.read_text())["items"] == trials_document()["items"]


def test_export_csv_has_a_column_per_parameter_and_metric(tmp_path: Path) -> None:
    output = tmp_path / "trials.csv"
    assert main(["export", "--from", str(TRIALS), "--file", str(output)]) == 0
    rows = list(csv.DictReader(output.read_text().splitlines()))
    assert list(rows[0]) == [
        "name",
        "status",
        "created",
        "started",
        "completed",
        "duration_s",
        "lr",
        "num-layers",
        "optimizer",
        "Validation-accuracy",
        "Train-accuracy",
    ]
    by_name = {row["name"]: row for row in rows}
    assert by_name["random-4xkqj7lw"]["Validation-accuracy"] == "0.9712"
    assert by_name["random-4xkqj7lw"]["Train-accuracy"] == "0.985"
    assert by_name["random-b2mzc6tn"]["status"] == "Failed"
    assert by_name["random-b2mzc6tn"]["Validation-accuracy"] == ""
    assert by_name["random-zq5w7rty"]["completed"] == ""
    assert by_name["random-m3p8q1vz"]["Validation-accuracy"] == ""


def test_best_prints_parameters_and_the_rerun_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["best", "--from", str(TRIALS), "--experiment", str(RANDOM)]) == 0
    out = capsys.readouterr().out
    assert "best trial: random-4xkqj7lw (Succeeded)" in out
    assert "maximize Validation-accuracy: 0.9712" in out
    assert "  lr = 0.0251" in out
    assert (
        "  python3 /opt/mxnet-mnist/mnist.py --batch-size=64 --lr=0.0251 --num-layers=3 "
        "--optimizer=adam" in out
    )


def test_best_without_experiment_guesses_the_trainer_flags(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["best", "--from", str(TRIALS), "-o", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["trial"] == "random-4xkqj7lw"
    assert result["command"] == [
        "hpo-rig-train",
        "--lr=0.0251",
        "--num-layers=3",
        "--optimizer=adam",
    ]


def test_best_fails_without_a_completed_trial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = trials_document()
    document["items"] = [document["items"][2], document["items"][5]]  # failed, running
    path = tmp_path / "trials.json"
    path.write_text(json.dumps(document))
    assert main(["best", "--from", str(path)]) == 1
    assert "no trial with a numeric Validation-accuracy observation yet" in (
        capsys.readouterr().err
    )


def _running_leader() -> dict[str, Any]:
    """The fixture with the Running trial holding the best observation so far, and its
    rendered Job in spec.runSpec as Katib v0.19.0 stores it."""
    document = trials_document()
    running_trial = document["items"][5]
    assert running_trial["metadata"]["name"] == "random-zq5w7rty"
    running_trial["status"]["observation"] = {
        "metrics": [{"name": "Validation-accuracy", "min": "0.90", "max": "0.99", "latest": "0.95"}]
    }
    running_trial["spec"]["runSpec"] = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "random-zq5w7rty", "namespace": "kubeflow"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "sidecar", "image": "busybox", "command": ["sleep", "1"]},
                        {
                            "name": running_trial["spec"]["primaryContainerName"],
                            "image": "docker.io/kubeflowkatib/mxnet-mnist:v0.19.0",
                            "command": ["python3", "/opt/mxnet-mnist/mnist.py"],
                            "args": ["--lr=0.0333", "--num-layers=4"],
                        },
                    ]
                }
            }
        },
    }
    return document


def test_best_from_a_file_counts_a_running_trial_as_katib_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "trials.json"
    path.write_text(json.dumps(_running_leader()))
    assert main(["best", "--from", str(path)]) == 0
    out = capsys.readouterr().out
    assert "best trial: random-zq5w7rty (Running), computed as Katib does" in out
    assert "maximize Validation-accuracy: 0.99" in out
    assert "rerun (the trial's spec.runSpec):" in out
    assert "  python3 /opt/mxnet-mnist/mnist.py --lr=0.0333 --num-layers=4" in out
    assert "image: docker.io/kubeflowkatib/mxnet-mnist:v0.19.0" in out


def test_best_on_a_cluster_reads_status_current_optimal_trial(
    api: FakeCustomObjectsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    experiment = experiment_document(running())
    # Katib's pick differs from a naive max over the trials here (e.g. a trial whose
    # observation changed after the last reconcile): status is what the UI and SDK show.
    experiment["status"]["currentOptimalTrial"] = {
        "bestTrialName": "random-8f9d2wqp",
        "parameterAssignments": [],
        "observation": {"metrics": [{"name": "Validation-accuracy", "latest": "0.9325"}]},
    }
    api.add("experiments", experiment)
    for item in _running_leader()["items"]:
        api.add("trials", item)
    assert main(["best", "random", "-o", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["trial"] == "random-8f9d2wqp"
    assert result["source"] == "from status.currentOptimalTrial"
    assert result["command_source"].startswith("no spec.runSpec, so not the trial's own command")
    assert result["command"][:2] == ["python3", "/opt/mxnet-mnist/mnist.py"]


def test_best_computes_when_the_status_has_no_optimal_trial(
    api: FakeCustomObjectsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add("experiments", experiment_document(running()))
    for item in _running_leader()["items"]:
        api.add("trials", item)
    assert main(["best", "random"]) == 0
    assert "best trial: random-zq5w7rty (Running), computed as Katib does" in (
        capsys.readouterr().out
    )


def test_report_writes_real_pngs_and_a_self_contained_page(tmp_path: Path) -> None:
    assert (
        main(
            [
                "report",
                "--from",
                str(TRIALS),
                "--experiment",
                str(RANDOM),
                "--output-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    for suffix in ("objective", "parameters", "parallel"):
        data = (tmp_path / f"random-{suffix}.png").read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 10_000
        pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
        assert pixels.shape[0] >= 300
        assert pixels.shape[1] >= 600
        assert float(np.std(pixels)) > 0.05  # drawn, not a blank canvas
    page = (tmp_path / "random.html").read_text()
    assert page.count('src="data:image/png;base64,') == 5
    assert not re.search(r"(https?:)?//[\w.-]+\.\w", page.replace("data:image/png", ""))
    assert "<link" not in page
    assert "<script" not in page
    for name, state in (("random-b2mzc6tn", "Failed"), ("random-zq5w7rty", "Running")):
        assert f"<td>{name}</td><td>{state}</td>" in page
    assert '<tr class="best"><td>random-4xkqj7lw</td>' in page


def test_report_without_scored_trials_still_draws(tmp_path: Path) -> None:
    document = trials_document()
    document["items"] = [document["items"][5]]
    path = tmp_path / "trials.json"
    path.write_text(json.dumps(document))
    assert main(["report", "--from", str(path), "--output-dir", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "random-objective.png").read_bytes().startswith(PNG_SIGNATURE)
