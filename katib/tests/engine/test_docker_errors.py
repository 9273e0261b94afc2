"""A trial whose container docker cannot start fails with docker's own error line.

The stand-in ``docker`` prints what the real CLI prints and exits as it does: docker/cli
cli/command/container/create.go ("Unable to find image '%s' locally" before pulling),
run.go reportError ("docker: " + the error with a final ".", then "See 'docker run
--help'.") and runStartContainerErr (exit 125 for a daemon error); the daemon's words for a
missing image come from moby distribution/errors.go ("pull access denied for %s, repository
does not exist or may require 'docker login'") and the registry's "denied: requested
access to the resource is denied".
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import experiment_document, read_trials

NO_IMAGE = (
    "Unable to find image 'hpo-rig/engine-test:latest' locally\n"
    "docker: Error response from daemon: pull access denied for hpo-rig/engine-test, "
    "repository does not exist or may require 'docker login': denied: requested access to "
    "the resource is denied.\n"
    "See 'docker run --help'.\n"
)
NO_DAEMON = (
    "docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
    "Is the docker daemon running?.\n"
    "See 'docker run --help'.\n"
)
STAND_IN = """#!/bin/sh
# Stand-in for the docker CLI: `run` fails as the real one does; rm/stop succeed.
if [ "$1" = run ]; then
    cat "{said}" >&2
    exit 125
fi
exit 0
"""


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        (
            NO_IMAGE,
            "exit code 125: Unable to find image 'hpo-rig/engine-test:latest' locally; "
            "docker: Error response from daemon: pull access denied for hpo-rig/engine-test, "
            "repository does not exist",
        ),
        (NO_DAEMON, "exit code 125: docker: Cannot connect to the Docker daemon at unix://"),
    ],
    ids=["no-image", "no-daemon"],
)
def test_docker_error_is_the_trial_message(tmp_path: Path, said: str, expected: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "said").write_text(said)
    docker = bin_dir / "docker"
    docker.write_text(STAND_IN.format(said=tmp_path / "said"))
    docker.chmod(0o755)
    document = experiment_document(maxTrialCount=1, parallelTrialCount=1, maxFailedTrialCount=1)
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(document))
    workdir = tmp_path / "w"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [sys.executable, "-m", "hpo_rig.cli", "run", str(path), "--runner", "docker",
         "--gpus", "0", "--workdir", str(workdir), "--plain"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    message = read_trials(workdir)["items"][0]["status"]["conditions"][-1]["message"]
    assert expected in message
    assert "--help" not in message
