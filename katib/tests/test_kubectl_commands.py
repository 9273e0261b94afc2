"""hpo-rig list, delete, logs and budget against a fake Kubernetes API."""

import copy
import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from hpo_rig import cluster
from hpo_rig.cli import main
from hpo_rig.commands import _kubectl, budget, delete, logs
from hpo_rig.engine import state as engine_state
from hpo_rig.engine.katib_format import trial_list
from hpo_rig.experiment import load_experiment
from tests.fakes import FakeCustomObjectsApi
from tests.kubeconfig import write_kubeconfig

RANDOM = Path(__file__).parent / "fixtures" / "examples" / "v1beta1-random.yaml"


@pytest.fixture(autouse=True)
def kubeflow_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$KUBECONFIG: a current context whose namespace is kubeflow (the namespace these tests'
    Experiments live in), so no test reads the developer's ~/.kube/config."""
    config = write_kubeconfig(tmp_path / "kubeconfig", {"rig": "kubeflow"}, "rig")
    monkeypatch.setenv("KUBECONFIG", str(config))


class AdminApi(FakeCustomObjectsApi):
    """The fake with listing by namespace (no label selector), across namespaces, and patch."""

    def __init__(self) -> None:
        super().__init__()
        self.patches: list[tuple[str, str, Any]] = []

    def list_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, **kwargs: Any
    ) -> Any:
        self.calls.append(("list", version, namespace, plural, ""))
        items = [
            copy.deepcopy(d)
            for (ns, kind, _), d in self.objects.items()
            if (ns, kind) == (namespace, plural)
        ]
        return {"kind": "ExperimentList", "items": items}

    def list_cluster_custom_object(
        self, group: str, version: str, plural: str, **kwargs: Any
    ) -> Any:
        self.calls.append(("list-all", version, plural))
        items = [copy.deepcopy(d) for (_, kind, _), d in self.objects.items() if kind == plural]
        return {"kind": "ExperimentList", "items": items}

    def patch_namespaced_custom_object(
        self,
        group: str,
        version: str,
        namespace: str,
        plural: str,
        name: str,
        body: Any,
        **kwargs: Any,
    ) -> Any:
        self.patches.append((namespace, name, copy.deepcopy(body)))
        document = self.objects[(namespace, plural, name)]
        document["spec"].update(body["spec"])
        return copy.deepcopy(document)


class FakeResponse:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.released = False

    def stream(self, amount: int) -> Any:
        for start in range(0, len(self.data), amount):
            yield self.data[start : start + amount]

    def release_conn(self) -> None:
        self.released = True


class FakeCoreApi:
    def __init__(self) -> None:
        self.pods: list[Any] = []
        self.logs: dict[tuple[str, str], bytes] = {}
        self.calls: list[tuple[str, Any]] = []

    def add_pod(
        self, name: str, phase: str, labels: dict[str, str], containers: dict[str, bytes]
    ) -> None:
        self.pods.append(
            SimpleNamespace(
                metadata=SimpleNamespace(name=name, labels=labels),
                status=SimpleNamespace(phase=phase),
            )
        )
        for container, text in containers.items():
            self.logs[(name, container)] = text

    def list_namespaced_pod(self, namespace: str, **kwargs: Any) -> Any:
        self.calls.append(("list", kwargs["label_selector"]))
        wanted = dict(pair.split("=", 1) for pair in kwargs["label_selector"].split(","))
        items = [
            p for p in self.pods if all(p.metadata.labels.get(k) == v for k, v in wanted.items())
        ]
        return SimpleNamespace(items=items)

    def read_namespaced_pod_log(self, name: str, namespace: str, **kwargs: Any) -> Any:
        self.calls.append(("log", name, kwargs))
        data = self.logs[(name, kwargs.get("container", "training-container"))]
        if "tail_lines" in kwargs:
            lines = data.splitlines(keepends=True)
            data = (
                b"".join(lines[len(lines) - kwargs["tail_lines"] :])
                if kwargs["tail_lines"]
                else b""
            )
        return FakeResponse(data)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> AdminApi:
    fake = AdminApi()
    monkeypatch.setattr(cluster, "connect", lambda kubeconfig=None, context=None: fake)
    return fake


@pytest.fixture
def core(monkeypatch: pytest.MonkeyPatch) -> FakeCoreApi:
    fake = FakeCoreApi()
    monkeypatch.setattr(cluster, "connect_core", lambda kubeconfig=None, context=None: fake)
    return fake


def experiment(name: str = "random", namespace: str = "kubeflow", **status: Any) -> dict[str, Any]:
    document = yaml.safe_load(RANDOM.read_text())
    document["metadata"].update(name=name, namespace=namespace)
    document["metadata"]["creationTimestamp"] = (
        datetime.now(UTC) - timedelta(hours=2, seconds=20)
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    document["spec"]["objective"]["metricStrategies"] = [
        {"name": "Validation-accuracy", "value": "max"}
    ]
    document["status"] = status
    return document


def succeeded(reason: str = "ExperimentMaxTrialsReached") -> list[dict[str, str]]:
    return [
        {"type": "Created", "status": "True", "reason": "ExperimentCreated"},
        {"type": "Running", "status": "False", "reason": "ExperimentRunning"},
        {"type": "Succeeded", "status": "True", "reason": reason},
    ]


def optimal(best: str, latest: str) -> dict[str, Any]:
    return {
        "bestTrialName": "random-abc",
        "observation": {
            "metrics": [
                {"name": "Validation-accuracy", "min": "0.5", "max": best, "latest": latest}
            ]
        },
    }


# --- kubectl's printing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-3, "<invalid>"),
        (-1, "0s"),
        (119, "119s"),
        (120, "2m"),
        (330, "5m30s"),
        (600, "10m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600, "3h"),
        (7 * 3600 + 60 * 59, "7h59m"),
        (47 * 3600, "47h"),
        (3 * 86400 + 4 * 3600, "3d4h"),
        (8 * 86400, "8d"),
        (365 * 3 * 86400 + 86400 * 5, "3y5d"),
        (365 * 9 * 86400, "9y"),
    ],
)
def test_age_is_kubectls_human_duration(seconds: int, expected: str) -> None:
    assert _kubectl.human_duration(seconds) == expected


def test_table_pads_like_kubectls_tabwriter() -> None:
    assert _kubectl.tabulate(["NAME", "AGE"], [["a", "5m"]]) == "NAME   AGE\na      5m"


# --- list ---------------------------------------------------------------------------------------


def test_list_prints_status_optimal_counts_and_age(
    api: AdminApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add(
        "experiments",
        experiment(
            conditions=succeeded(),
            currentOptimalTrial=optimal("0.97", "0.95"),
            trialsSucceeded=11,
            trialsFailed=1,
        ),
    )
    api.add("experiments", experiment("fresh"))
    api.add("experiments", experiment("elsewhere", namespace="team-a"))
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "NAME",
        "STATUS",
        "OPTIMAL",
        "SUCCEEDED",
        "RUNNING",
        "FAILED",
        "AGE",
    ]
    assert lines[1].split() == ["random", "Succeeded", "0.97", "11", "0", "1", "120m"]
    assert lines[2].split() == ["fresh", "<none>", "<none>", "0", "0", "0", "120m"]
    assert len(lines) == 3


def test_list_optimal_follows_the_metric_strategy(
    api: AdminApi, capsys: pytest.CaptureFixture[str]
) -> None:
    document = experiment(currentOptimalTrial=optimal("0.97", "0.95"))
    document["spec"]["objective"]["metricStrategies"] = [
        {"name": "Validation-accuracy", "value": "latest"}
    ]
    api.add("experiments", document)
    unavailable = experiment("early", currentOptimalTrial=optimal("unavailable", "0.4"))
    api.add("experiments", unavailable)
    assert main(["list"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert rows[0][2] == "0.95"
    assert rows[1][2] == "0.4"  # Katib falls back to latest when max is unavailable


def test_list_all_namespaces_wide(api: AdminApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.add(
        "experiments",
        experiment(conditions=succeeded(), currentOptimalTrial=optimal("0.97", "0.95"), trials=12),
    )
    api.add("experiments", experiment("elsewhere", namespace="team-a"))
    assert main(["list", "-A", "-o", "wide"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("NAMESPACE   NAME ")
    assert lines[0].endswith("ALGORITHM   OPTIMAL TRIAL")
    assert lines[1].split()[:2] == ["kubeflow", "random"]
    assert lines[1].split()[-5:] == ["0", "12", "12", "random", "random-abc"]
    assert lines[2].split()[:2] == ["team-a", "elsewhere"]
    assert ("list-all", "v1beta1", "experiments") in api.calls


def test_list_name_json_yaml(api: AdminApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("experiments", experiment())
    assert main(["list", "-o", "name"]) == 0
    assert capsys.readouterr().out == "experiment.kubeflow.org/random\n"
    assert main(["list", "-o", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert (listing["kind"], listing["apiVersion"]) == ("List", "v1")
    assert [item["metadata"]["name"] for item in listing["items"]] == ["random"]
    assert main(["list", "-o", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == listing


def test_list_empty_namespace_says_so_on_stderr(
    api: AdminApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", "-n", "empty"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "No resources found in empty namespace.\n"


def test_list_refused_is_one_line(
    api: AdminApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise ApiException(status=403, reason="Forbidden")

    monkeypatch.setattr(api, "list_namespaced_custom_object", forbidden)
    assert main(["list"]) == 3
    assert capsys.readouterr().err == (
        "hpo-rig list: error: listing experiments in namespace kubeflow: "
        "Error from server (Forbidden): Forbidden\n"
    )


# --- delete -------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def delete_args(*names: str, yes: bool = False) -> Any:
    return SimpleNamespace(
        names=list(names),
        yes=yes,
        namespace="kubeflow",
        api_version="v1beta1",
        kubeconfig=None,
        context=None,
        output=None,
    )


def test_delete_refuses_without_yes_when_stdin_is_not_a_terminal(api: AdminApi) -> None:
    api.add("experiments", experiment())
    err = io.StringIO()
    assert (
        delete.run(delete_args("random"), stdin=io.StringIO("y\n"), out=io.StringIO(), err=err) == 2
    )
    assert "stdin is not a terminal" in err.getvalue()
    assert "--yes" in err.getvalue()
    assert not any(call[0] == "delete" for call in api.calls)


def test_delete_asks_on_a_terminal(api: AdminApi) -> None:
    api.add("experiments", experiment())
    out, err = io.StringIO(), io.StringIO()
    assert delete.run(delete_args("random"), stdin=Terminal("n\n"), out=out, err=err) == 1
    assert "experiment.kubeflow.org/random" in out.getvalue()
    assert err.getvalue() == "deletion is cancelled\n"
    assert not any(call[0] == "delete" for call in api.calls)
    out = io.StringIO()
    assert delete.run(delete_args("random"), stdin=Terminal("y\n"), out=out, err=err) == 0
    assert out.getvalue().endswith('experiment.kubeflow.org "random" deleted\n')
    assert ("delete", "v1beta1", "kubeflow", "experiments", "random") in api.calls


def test_delete_yes_reports_each_missing_one_and_deletes_the_rest(
    api: AdminApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add("experiments", experiment())
    assert main(["delete", "gone", "random", "--yes"]) == 1
    captured = capsys.readouterr()
    assert (
        captured.err == 'Error from server (NotFound): experiments.kubeflow.org "gone" not found\n'
    )
    assert captured.out == 'experiment.kubeflow.org "random" deleted\n'


def test_delete_goes_on_after_a_refusal(
    api: AdminApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add("experiments", experiment())
    api.add("experiments", experiment("other"))
    original = api.get_namespaced_custom_object

    def get(group: str, version: str, namespace: str, plural: str, name: str, **kw: Any) -> Any:
        if name == "random":
            raise ApiException(status=403, reason="Forbidden")
        return original(group, version, namespace, plural, name, **kw)

    monkeypatch.setattr(api, "get_namespaced_custom_object", get)
    assert main(["delete", "random", "other", "--yes"]) == 1
    captured = capsys.readouterr()
    assert captured.err == ("hpo-rig delete: error: Error from server (Forbidden): Forbidden\n")
    assert captured.out == 'experiment.kubeflow.org "other" deleted\n'


def test_delete_help_lists_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("list", "delete", "logs", "budget", "metrics"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert re.search(r"exit (status|codes): 0", capsys.readouterr().out)


# --- logs ---------------------------------------------------------------------------------------


def trial(name: str = "random-abc", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Trial",
        "metadata": {"name": name, "namespace": "kubeflow"},
        "spec": spec,
    }


def test_logs_reads_the_primary_container_of_the_running_pod(
    api: AdminApi, core: FakeCoreApi, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    api.add(
        "trials",
        trial(
            primaryContainerName="pytorch",
            primaryPodLabels={"training.kubeflow.org/replica-type": "master"},
        ),
    )
    labels = {
        "katib.kubeflow.org/trial": "random-abc",
        "training.kubeflow.org/replica-type": "master",
    }
    core.add_pod("random-abc-master-0", "Failed", labels, {"pytorch": b"first attempt\n"})
    core.add_pod(
        "random-abc-master-1",
        "Running",
        labels,
        {"pytorch": b"epoch 1\nloss=0.5\n", "metrics-logger-and-collector": b"x"},
    )
    core.add_pod(
        "random-abc-worker-0",
        "Running",
        {"katib.kubeflow.org/trial": "random-abc"},
        {"pytorch": b"worker\n"},
    )
    assert main(["logs", "random-abc", "--tail", "1"]) == 0
    assert capsysbinary.readouterr().out == b"loss=0.5\n"
    assert core.calls[0] == (
        "list",
        "katib.kubeflow.org/trial=random-abc,training.kubeflow.org/replica-type=master",
    )
    assert core.calls[1] == (
        "log",
        "random-abc-master-1",
        {"follow": False, "_preload_content": False, "container": "pytorch", "tail_lines": 1},
    )


def test_logs_falls_back_to_a_failed_pod_and_explains_pending(
    api: AdminApi, core: FakeCoreApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add("trials", trial(primaryContainerName="training-container"))
    core.add_pod("p0", "Pending", {"katib.kubeflow.org/trial": "random-abc"}, {})
    assert main(["logs", "random-abc"]) == 1
    assert "Pending or Unknown" in capsys.readouterr().err
    core.add_pod(
        "p1",
        "Failed",
        {"katib.kubeflow.org/trial": "random-abc"},
        {"training-container": b"Traceback\n"},
    )
    assert main(["logs", "random-abc"]) == 0
    assert capsys.readouterr().out == "Traceback\n"


def test_logs_missing_trial_and_missing_pod(
    api: AdminApi, core: FakeCoreApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", "nope"]) == 1
    assert (
        capsys.readouterr().err == "hpo-rig logs: error: Error from server (NotFound): "
        'trials.kubeflow.org "nope" not found\n'
    )
    api.add("trials", trial())
    assert main(["logs", "random-abc"]) == 1
    assert "retain: true" in capsys.readouterr().err


def local_trials(status: str) -> dict[str, object]:
    """A local run's trials.json (as engine/katib_format.py writes it) with one trial."""
    record = engine_state.TrialRecord(
        name="digits-1",
        index=1,
        assignments={},
        created=engine_state.now(),
        log="logs/digits-1.log",
    )
    record.transition(status)
    examples = Path(__file__).parents[1] / "examples"
    return trial_list([record], load_experiment(examples / "digits-random.yaml"))


def local_run(tmp_path: Path, status: str = engine_state.SUCCEEDED) -> Path:
    engine_state.write_json_atomic(tmp_path / "trials.json", local_trials(status))
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "digits-1.log").write_text("a\nb\nc\n")
    return tmp_path


def test_logs_of_a_local_run(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    workdir = local_run(tmp_path)
    assert main(["logs", "digits-1", "--workdir", str(workdir)]) == 0
    assert capsysbinary.readouterr().out == b"a\nb\nc\n"
    assert main(["logs", "digits-1", "--workdir", str(workdir), "--tail", "2"]) == 0
    assert capsysbinary.readouterr().out == b"b\nc\n"
    assert main(["logs", "digits-9", "--workdir", str(workdir)]) == 1
    assert b"no trial digits-9" in capsysbinary.readouterr().err
    assert main(["logs", "digits-1", "--workdir", str(tmp_path / "none")]) == 1
    assert b"no local run there" in capsysbinary.readouterr().err


def test_logs_follow_a_local_trial_until_it_finishes(tmp_path: Path) -> None:
    workdir = local_run(tmp_path, status=engine_state.RUNNING)
    log_file = workdir / "logs" / "digits-1.log"
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        with log_file.open("a") as stream:
            stream.write("d\n")
        engine_state.write_json_atomic(
            workdir / "trials.json", local_trials(engine_state.SUCCEEDED)
        )

    chunks = list(logs.local_log(workdir, "digits-1", follow=True, sleep=sleep))
    assert b"".join(chunks) == b"a\nb\nc\nd\n"
    assert len(sleeps) == 1


# --- budget -------------------------------------------------------------------------------------


def test_budget_raises_a_running_experiment(
    api: AdminApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add("experiments", experiment(conditions=[{"type": "Running", "status": "True"}], trials=5))
    assert main(["budget", "random", "--max-trials", "20", "--parallel", "4"]) == 0
    assert api.patches == [
        ("kubeflow", "random", {"spec": {"maxTrialCount": 20, "parallelTrialCount": 4}})
    ]
    assert (
        capsys.readouterr().out
        == "experiment.kubeflow.org/random patched (maxTrialCount=20, parallelTrialCount=4)\n"
    )


def test_budget_restarts_a_long_running_experiment_that_reached_max_trials(api: AdminApi) -> None:
    document = experiment(conditions=succeeded(), trials=12)
    document["spec"]["resumePolicy"] = "LongRunning"
    api.add("experiments", document)
    assert main(["budget", "random", "--max-trials", "20"]) == 0
    assert api.patches == [("kubeflow", "random", {"spec": {"maxTrialCount": 20}})]


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        ("Never", "ExperimentMaxTrialsReached"),
        (None, "ExperimentMaxTrialsReached"),
        ("LongRunning", "ExperimentGoalReached"),
    ],
)
def test_budget_refuses_what_katib_cannot_restart(
    api: AdminApi, capsys: pytest.CaptureFixture[str], policy: str | None, reason: str
) -> None:
    document = experiment(conditions=succeeded(reason), trials=12)
    if policy:
        document["spec"]["resumePolicy"] = policy
    api.add("experiments", document)
    assert main(["budget", "random", "--max-trials", "20"]) == 1
    err = capsys.readouterr().err
    assert (
        f'spec.resumePolicy: Invalid value: "{policy or "Never"}": '
        "Experiment can be restarted if it is in succeeded state by reaching max trials" in err
    )
    assert api.patches == []


def test_budget_refuses_counts_katib_refuses(
    api: AdminApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add("experiments", experiment(conditions=[{"type": "Running", "status": "True"}], trials=8))
    assert main(["budget", "random", "--max-trials", "8"]) == 1
    assert (
        "spec.maxTrialCount: Invalid value: 8: must be greater than status.trials count"
        in capsys.readouterr().err
    )
    assert (
        main(["budget", "random", "--max-trials", "10", "--parallel", "11", "--max-failed", "-1"])
        == 1
    )
    err = capsys.readouterr().err
    assert (
        "[spec.maxFailedTrialCount: Invalid value: -1: should not be less than 0, "
        "spec.parallelTrialCount: Invalid value: 11: should be less than or equal to "
        "spec.maxTrialCount]" in err
    )
    assert api.patches == []


def test_budget_unchanged_sends_nothing_even_when_finished(
    api: AdminApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add("experiments", experiment(conditions=succeeded(), trials=12))
    assert main(["budget", "random", "--max-trials", "12"]) == 0
    assert capsys.readouterr().out == "experiment.kubeflow.org/random unchanged\n"
    assert api.patches == []


def test_budget_of_a_missing_experiment(api: AdminApi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["budget", "nope", "--max-trials", "3"]) == 1
    assert (
        capsys.readouterr().err
        == 'Error from server (NotFound): experiments.kubeflow.org "nope" not found\n'
    )


def test_budget_check_is_validator_go_order() -> None:
    document = experiment(conditions=[{"type": "Failed", "status": "True"}], trials=3)
    with pytest.raises(budget.BudgetRefused, match=r"^spec.resumePolicy"):
        budget.check_update(document, {"maxTrialCount": 30})


def test_list_csv_has_a_header_and_a_quoted_row_per_experiment(
    api: AdminApi, capsys: pytest.CaptureFixture[str]
) -> None:
    document = experiment(
        conditions=[{"type": "Running", "status": "True"}],
        trialsSucceeded=2,
        trials=3,
        currentOptimalTrial={
            "bestTrialName": "random-1",
            "observation": {"metrics": [{"name": "Validation-accuracy", "max": "0.9"}]},
        },
    )
    document["spec"]["algorithm"]["algorithmName"] = 'tpe, "tuned"'  # a cell that needs quotes
    api.add("experiments", document)
    assert main(["list", "-o", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == [
        "namespace",
        "name",
        "status",
        "optimal",
        "succeeded",
        "running",
        "failed",
        "created",
        "pending",
        "killed",
        "earlystopped",
        "trials",
        "max",
        "algorithm",
        "optimal_trial",
    ]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["namespace"] == "kubeflow"
    assert row["status"] == "Running"
    assert row["optimal"] == "0.9"
    assert (row["succeeded"], row["trials"]) == ("2", "3")
    assert row["created"] == document["metadata"]["creationTimestamp"]
    assert row["algorithm"] == 'tpe, "tuned"'
    assert row["optimal_trial"] == "random-1"


def test_list_csv_leaves_absent_values_empty(
    api: AdminApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add("experiments", experiment())
    assert main(["list", "-o", "csv"]) == 0
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert (row["status"], row["optimal"], row["optimal_trial"]) == ("", "", "")


def test_delete_output_name(api: AdminApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("experiments", experiment())
    assert main(["delete", "random", "--yes", "-o", "name"]) == 0
    assert capsys.readouterr().out == "experiment.kubeflow.org/random\n"


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_budget_prints_the_patched_experiment(
    output: str, api: AdminApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add("experiments", experiment(conditions=[{"type": "Running", "status": "True"}]))
    assert main(["budget", "random", "--max-trials", "20", "-o", output]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)  # JSON is YAML too
    assert printed["metadata"]["name"] == "random"
    assert printed["spec"]["maxTrialCount"] == 20


def test_budget_output_name(api: AdminApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("experiments", experiment(conditions=[{"type": "Running", "status": "True"}]))
    assert main(["budget", "random", "--max-trials", "20", "-o", "name"]) == 0
    assert capsys.readouterr().out == "experiment.kubeflow.org/random\n"
