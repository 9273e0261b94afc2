"""Start one trial's primary container: as a Docker container, or as a host process.

Both runners hand back a :class:`TrialHandle` whose ``stdout`` carries the trial's stdout and
stderr together, as Katib's StdOut collector sees them (it runs ``command 2>&1 | tee``).
Trials run in their own process group, so a Ctrl-C at the terminal reaches the engine only
and the engine decides how to stop them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from hpo_rig.experiment import TrialRun

# Streams metrics line by line instead of when a pipe buffer fills, so early stopping and the
# live view see values as they are printed.
UNBUFFERED = {"PYTHONUNBUFFERED": "1"}


class RunnerError(RuntimeError):
    """The trial cannot be started (e.g. its command is not installed)."""


class TrialHandle:
    """A started trial: its output stream, and how to stop it."""

    def __init__(
        self,
        process: subprocess.Popen[str],
        stop_command: list[str] | None = None,
        container: str | None = None,
    ) -> None:
        self.process = process
        self.container = container
        self._stop_command = stop_command
        self._timer: threading.Timer | None = None

    @property
    def stdout(self) -> IO[str]:
        assert self.process.stdout is not None
        return self.process.stdout

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, grace: float) -> None:
        """Ask the trial to stop (SIGTERM), and kill it if it is still there after ``grace``."""
        if self.process.poll() is not None:
            return
        if self._stop_command is not None:
            # `docker stop` sends SIGTERM, then SIGKILL after its timeout, to the container.
            threading.Thread(
                target=subprocess.run,
                args=([*self._stop_command, "--time", str(max(1, int(grace))), self.container],),
                kwargs={"capture_output": True, "check": False},
                daemon=True,
            ).start()
        else:
            _signal_group(self.process.pid, signal.SIGTERM)
        self._timer = threading.Timer(grace + 5 if self._stop_command else grace, self.kill)
        self._timer.daemon = True
        self._timer.start()

    def kill(self) -> None:
        if self.process.poll() is None:
            if self.container is not None:
                subprocess.run(
                    ["docker", "rm", "-f", self.container], capture_output=True, check=False
                )
            _signal_group(self.process.pid, signal.SIGKILL)

    def wait(self) -> int:
        code = self.process.wait()
        if self._timer is not None:
            self._timer.cancel()
        return code


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (to tell it from a later process reusing the id)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; fields after its closing parenthesis.
    return stat.rsplit(")", 1)[1].split()[19]


class Runner(Protocol):
    name: str

    def start(self, trial_name: str, run: TrialRun, workdir: Path) -> TrialHandle: ...


def remove_leftovers(pid: int | None, pid_start: str | None, container: str | None) -> None:
    """Remove what a killed engine left of a trial: its container, its process group.

    The process group is killed only if its leader is still the process the engine started
    (same kernel start time), never a later process that reused the id.
    """
    if container is not None and shutil.which("docker") is not None:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
    if pid is not None and pid_start is not None and process_start_time(pid) == pid_start:
        _signal_group(pid, signal.SIGKILL)


def _popen(command: list[str], env: Mapping[str, str] | None, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        bufsize=1,
        cwd=cwd,
        env=None if env is None else dict(env),
        start_new_session=True,
    )


@dataclass
class ProcessRunner:
    """Runs the trial's command on the host; ``hpo-rig-train`` and friends come from PATH
    or from the directory of the Python running the engine (its virtualenv)."""

    name: str = "process"

    def resolve(self, program: str) -> str:
        if os.sep in program:
            return program
        search = os.pathsep.join([os.environ.get("PATH", ""), str(Path(sys.executable).parent)])
        found = shutil.which(program, path=search)
        if found is None:
            raise RunnerError(
                f"{program!r} is not installed on this host (not on PATH nor beside "
                f"{sys.executable}); install it or use --runner docker"
            )
        return found

    def start(self, trial_name: str, run: TrialRun, workdir: Path) -> TrialHandle:
        command = [self.resolve(run.command[0]), *run.command[1:]]
        env = {**os.environ, **run.env, **UNBUFFERED}
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            return TrialHandle(_popen(command, env, workdir))
        except OSError as error:
            raise RunnerError(f"cannot start {command[0]}: {error}") from error


_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEMORY_UNITS = {"Ki": "k", "Mi": "m", "Gi": "g", "K": "k", "M": "m", "G": "g", "": "b"}


def _docker_cpus(quantity: str) -> str | None:
    match = _CPU.match(quantity)
    if not match:
        return None
    value = float(match.group(1)) / (1000 if match.group(2) else 1)
    return f"{value:g}"


def _docker_memory(quantity: str) -> str | None:
    match = re.match(r"^(\d+)(Ki|Mi|Gi|K|M|G|)$", quantity)
    if not match:
        return None
    return f"{match.group(1)}{_MEMORY_UNITS[match.group(2)]}"


def docker_resource_flags(resources: Mapping[str, Any]) -> list[str]:
    """Kubernetes container limits as ``docker run`` flags.

    A GPU limit becomes ``--gpus N``; without one the container gets no ``--gpus`` flag and
    sees what the nvidia default runtime gives it. GPU memory per trial is the trial's own
    business (its command carries the memory cap), as on the cluster.
    """
    limits = resources.get("limits") or {}
    flags: list[str] = []
    gpus = limits.get("nvidia.com/gpu")
    if gpus is not None:
        flags += ["--gpus", str(gpus)]
    cpus = _docker_cpus(str(limits["cpu"])) if "cpu" in limits else None
    if cpus:
        flags += ["--cpus", cpus]
    memory = _docker_memory(str(limits["memory"])) if "memory" in limits else None
    if memory:
        flags += ["--memory", memory]
    return flags


def container_name(trial_name: str) -> str:
    return "hpo-rig-" + re.sub(r"[^a-zA-Z0-9_.-]", "-", trial_name)


@dataclass
class DockerRunner:
    """Runs the trial as ``docker run --rm`` of its image, command as entrypoint (Kubernetes'
    ``command`` replaces the image's ENTRYPOINT), through the docker CLI."""

    name: str = "docker"
    docker: str = "docker"

    def command(self, trial_name: str, run: TrialRun) -> list[str]:
        if not run.image:
            raise RunnerError("the trial's primary container has no image")
        command = [
            self.docker,
            "run",
            "--rm",
            "--name",
            container_name(trial_name),
            "--label",
            f"hpo-rig.trial={trial_name}",
            *docker_resource_flags(run.resources),
        ]
        for key, value in {**run.env, **UNBUFFERED}.items():
            command += ["--env", f"{key}={value}"]
        return [*command, "--entrypoint", run.command[0], run.image, *run.command[1:]]

    def start(self, trial_name: str, run: TrialRun, workdir: Path) -> TrialHandle:
        if shutil.which(self.docker) is None:
            raise RunnerError(f"{self.docker!r} is not installed; use --runner process")
        # A container of the same name left by a killed run would block this one.
        remove_leftovers(None, None, container_name(trial_name))
        workdir.mkdir(parents=True, exist_ok=True)
        process = _popen(self.command(trial_name, run), None, workdir)
        return TrialHandle(process, [self.docker, "stop"], container_name(trial_name))


def make_runner(kind: str) -> Runner:
    if kind == "process":
        return ProcessRunner()
    if kind == "docker":
        return DockerRunner()
    raise ValueError(f"unknown runner {kind!r}")
