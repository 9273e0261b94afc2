"""Every command that talks to the cluster ends an API failure in one line and its code,
against the real kubernetes client and a stand-in API server (tests/fakes.py)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from hpo_rig import exitcodes
from hpo_rig.cli import main
from tests.fakes import StandInApiServer, kubeconfig_text, refused_port

RANDOM = Path(__file__).parent / "fixtures" / "examples" / "v1beta1-random.yaml"

COMMANDS = {
    "submit": ["submit", str(RANDOM)],
    "watch": ["watch", "random", "--once"],
    "export": ["export", "random"],
    "best": ["best", "random"],
    "report": ["report", "random"],
}
EXPECTED = {
    "forbidden": (
        exitcodes.CLUSTER,
        'Error from server (Forbidden): experiments.kubeflow.org "random" is forbidden',
    ),
    "no-crd": (
        exitcodes.NOT_FOUND,
        'the server doesn\'t have a resource type "experiments" in kubeflow.org/v1beta1: '
        "is Katib installed?",
    ),
    "missing": (
        exitcodes.NOT_FOUND,
        'Error from server (NotFound): experiments.kubeflow.org "random" not found',
    ),
    "error": (exitcodes.CLUSTER, "Error from server (InternalError): Internal error occurred"),
    "hang": (exitcodes.CLUSTER, "Unable to connect to the server 127.0.0.1:"),
}


@pytest.fixture(params=sorted(EXPECTED))
def server(request: pytest.FixtureRequest) -> Iterator[StandInApiServer]:
    stand_in = StandInApiServer(request.param)
    yield stand_in
    stand_in.close()


def _one_line_error(capsys: pytest.CaptureFixture[str], command: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"hpo-rig {command}: error: ")
    return lines[0]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_api_failures_end_in_one_line_and_their_exit_code(
    command: str,
    server: StandInApiServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = server.kubeconfig(tmp_path / "kubeconfig")
    argv = [*COMMANDS[command], "--kubeconfig", str(config), "--request-timeout", "300ms"]
    if command == "report":
        argv += ["--output-dir", str(tmp_path / "reports")]
    code = main(argv)
    if command == "submit" and server.mode == "missing":
        # No such Experiment yet: submit creates it (the stand-in answers 201).
        assert code == exitcodes.OK
        assert "experiment kubeflow/random created" in capsys.readouterr().out
        return
    expected_code, expected_text = EXPECTED[server.mode]
    assert code == expected_code
    line = _one_line_error(capsys, command)
    assert expected_text in line
    if server.mode == "hang":
        assert "timed out" in line


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_refused_connection_ends_in_kubectls_line(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = refused_port()
    config = tmp_path / "kubeconfig"
    config.write_text(kubeconfig_text(f"http://127.0.0.1:{port}"))
    argv = [*COMMANDS[command], "--kubeconfig", str(config), "--request-timeout", "2s"]
    if command == "report":
        argv += ["--output-dir", str(tmp_path / "reports")]
    assert main(argv) == exitcodes.CLUSTER
    line = _one_line_error(capsys, command)
    assert (
        f"The connection to the server 127.0.0.1:{port} was refused - "
        "did you specify the right host or port?"
    ) in line


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_documents_the_exit_codes(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "exit codes: 0 ok;" in text
    assert "4 not found" in text


def test_the_real_cli_prints_only_the_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    config = tmp_path / "kubeconfig"
    config.write_text(kubeconfig_text(f"http://127.0.0.1:{refused_port()}"))
    result = subprocess.run(
        [sys.executable, "-m", "hpo_rig.cli", "best", "random", "--kubeconfig", str(config)],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(Path(__file__).parents[1])},
        check=False,
    )
    assert result.returncode == exitcodes.CLUSTER
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "was refused" in result.stderr


def test_a_hung_server_costs_two_request_timeouts_at_most(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    stand_in = StandInApiServer("hang")
    try:
        config = stand_in.kubeconfig(tmp_path / "kubeconfig")
        started = time.monotonic()
        code = main(["best", "random", "--kubeconfig", str(config), "--request-timeout", "1s"])
        elapsed = time.monotonic() - started
    finally:
        stand_in.close()
    assert code == exitcodes.CLUSTER
    assert elapsed < 3.5
    assert "timed out" in _one_line_error(capsys, "best")


def test_a_plain_text_404_means_the_resource_type_is_missing() -> None:
    from kubernetes.client.exceptions import ApiException

    from hpo_rig.apierrors import NotFoundError, translate

    # Older API servers answer an unserved path with text, not a Status.
    error = ApiException(status=404, reason="Not Found")
    error.body = "404 page not found\n"
    failure = translate(error, "experiments", "kubeflow.org/v1beta1")
    assert isinstance(failure, NotFoundError)
    assert failure.missing_type
    assert failure.exit_code == exitcodes.NOT_FOUND


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("10m", 600.0), ("1h", 3600.0), ("1h30m", 5400.0), ("500ms", 0.5), ("5", 5.0)],
)
def test_durations_read_as_kubectl_does(text: str, seconds: float) -> None:
    from hpo_rig.duration import parse_duration

    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10 minutes", "m", "1d", "-5s"])
def test_bad_durations_are_refused(text: str) -> None:
    from hpo_rig.duration import parse_duration

    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)
