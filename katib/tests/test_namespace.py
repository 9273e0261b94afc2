"""Without -n, every cluster command uses the kubeconfig context's namespace, as kubectl does
(k8s.io/client-go tools/clientcmd/client_config.go, DirectClientConfig.Namespace)."""

from pathlib import Path

import pytest
import yaml

from hpo_rig import cluster
from hpo_rig.cli import main
from tests.fakes import FakeCustomObjectsApi
from tests.kubeconfig import write_kubeconfig

RANDOM = Path(__file__).parent / "fixtures" / "examples" / "v1beta1-random.yaml"
CONTEXTS: dict[str, str | None] = {"rig": "team-a", "other": "team-b", "bare": None}

COMMANDS = {
    "list": ["list"],
    "delete": ["delete", "random", "--yes"],
    "budget": ["budget", "random", "--max-trials", "5"],
    "logs": ["logs", "random-1"],
    "best": ["best", "random"],
    "watch": ["watch", "random", "--once"],
    "export": ["export", "random"],
    "report": ["report", "random"],
}


@pytest.fixture
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    return write_kubeconfig(tmp_path / "kubeconfig", CONTEXTS, "rig")


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeCustomObjectsApi:
    fake = FakeCustomObjectsApi()
    monkeypatch.setattr(cluster, "connect", lambda *args, **kwargs: fake)
    return fake


def test_the_current_contexts_namespace(kubeconfig: Path) -> None:
    assert cluster.default_namespace(str(kubeconfig)) == "team-a"


def test_context_picks_another_contexts_namespace(kubeconfig: Path) -> None:
    assert cluster.default_namespace(str(kubeconfig), "other") == "team-b"


def test_a_context_without_a_namespace_means_default(kubeconfig: Path) -> None:
    assert cluster.default_namespace(str(kubeconfig), "bare") == "default"


def test_kubeconfig_env_is_read_when_asked(
    kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client reads $KUBECONFIG once, when it is imported; hpo-rig reads it per command.
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    assert cluster.default_namespace() == "team-a"


def test_no_kubeconfig_means_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert cluster.default_namespace(str(tmp_path / "missing")) == "default"


def test_in_a_pod_without_kubeconfig_the_pods_namespace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.delenv("POD_NAMESPACE", raising=False)
    namespace_file = tmp_path / "namespace"
    namespace_file.write_text("katib-jobs\n")
    monkeypatch.setattr(cluster, "SERVICE_ACCOUNT_NAMESPACE", namespace_file)
    assert cluster.default_namespace(str(tmp_path / "missing")) == "katib-jobs"
    monkeypatch.setenv("POD_NAMESPACE", "from-downward-api")
    assert cluster.default_namespace(str(tmp_path / "missing")) == "from-downward-api"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], "team-a"),
        (["--context", "other"], "team-b"),
        (["--context", "bare"], "default"),
        (["--context", "other", "-n", "explicit"], "explicit"),
    ],
    ids=["current context", "--context", "context without namespace", "-n wins"],
)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_cluster_command_uses_kubectls_namespace(
    command: str,
    flags: list[str],
    expected: str,
    kubeconfig: Path,
    api: FakeCustomObjectsApi,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    main([*COMMANDS[command], "--kubeconfig", str(kubeconfig), *flags])
    assert api.calls, "the command sent no request"
    assert {call[2] for call in api.calls} == {expected}


def test_submit_puts_an_experiment_without_namespace_in_the_contexts(
    kubeconfig: Path,
    api: FakeCustomObjectsApi,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = yaml.safe_load(RANDOM.read_text())
    del document["metadata"]["namespace"]
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(document))
    assert main(["submit", str(path), "--kubeconfig", str(kubeconfig)]) == 0
    assert ("create", "v1beta1", "team-a", "experiments", "random") in api.calls
    assert "experiment team-a/random created" in capsys.readouterr().out


def test_submit_keeps_an_experiments_own_namespace(
    kubeconfig: Path, api: FakeCustomObjectsApi
) -> None:
    assert main(["submit", str(RANDOM), "--kubeconfig", str(kubeconfig)]) == 0
    assert ("create", "v1beta1", "kubeflow", "experiments", "random") in api.calls
