"""Start one trial's primary container: as a Docker container, or as a host process.

Both runners hand back a :class:`TrialHandle` whose ``stdout`` carries the trial's stdout and
stderr together, as Katib's StdOut collector sees them (it runs ``command 2>&1 | tee``).
Trials run in their own process group, so a Ctrl-C at the terminal reaches the engine only
and the engine decides how to stop them, behind a guard (guard.py) that ends them when the
engine dies, even of SIGKILL.
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
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
        gpu: str | None = None,
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        self.process = process
        self.container = container
        self.gpu = gpu  # the device(s) the trial was given, e.g. "1" or "0,1"
        self._stop_command = stop_command
        self._timer: threading.Timer | None = None
        self._on_exit = on_exit

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
        if self._on_exit is not None:
            self._on_exit()
            self._on_exit = None
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

    def start(self, trial_name: str, run: TrialRun, cwd: Path) -> TrialHandle:
        """Start the trial; a host process runs in ``cwd``."""
        ...


def remove_leftovers(pid: int | None, pid_start: str | None, container: str | None) -> None:
    """Remove what a killed engine left of a trial: its container, its process group.

    The process group is killed only if its leader is still the process the engine started
    (same kernel start time), never a later process that reused the id.
    """
    if container is not None and shutil.which("docker") is not None:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
    if pid is not None and pid_start is not None and process_start_time(pid) == pid_start:
        _signal_group(pid, signal.SIGKILL)


# Started in front of every trial: it ends the trial when the engine dies (see guard.py).
GUARD = Path(__file__).with_name("guard.py")


def _popen(
    command: list[str], env: Mapping[str, str] | None, cwd: Path, container: str | None = None
) -> subprocess.Popen[str]:
    # -I: the trial's PYTHON* variables are the trial's, not the guard's.
    guard = [sys.executable, "-I", str(GUARD), str(os.getpid())]
    if container is not None:
        guard += ["--container", container]
    return subprocess.Popen(
        [*guard, "--", *command],
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
    """Runs the trial's command on the host, in the directory ``hpo-rig run`` was started in
    (relative paths in the command are relative to it); ``hpo-rig-train`` and friends come
    from PATH or from the directory of the Python running the engine (its virtualenv)."""

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

    def start(self, trial_name: str, run: TrialRun, cwd: Path) -> TrialHandle:
        command = [self.resolve(run.command[0]), *run.command[1:]]
        env = {**os.environ, **run.env, **UNBUFFERED}
        try:
            return TrialHandle(_popen(command, env, cwd))
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


def gpu_limit(resources: Mapping[str, Any]) -> int:
    """The trial's ``nvidia.com/gpu`` limit (0 without one)."""
    limits = resources.get("limits") or {}
    try:
        return int(limits.get("nvidia.com/gpu", 0))
    except (TypeError, ValueError):
        return 0


@dataclass
class GpuSlots:
    """Gives each trial its own GPU device(s), round-robin, ``trials_per_gpu`` trials at a
    time on each: trial 1 gets device 0, trial 2 device 1, ... and back to device 0."""

    devices: tuple[int, ...]
    trials_per_gpu: int = 1
    _next: int = 0
    _held: dict[str, tuple[int, ...]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def capacity(self) -> int:
        return len(self.devices) * self.trials_per_gpu

    def acquire(self, trial_name: str, count: int = 1) -> tuple[int, ...]:
        with self._lock:
            load = Counter(d for held in self._held.values() for d in held)
            picked: list[int] = []
            last = self._next
            for step in range(len(self.devices)):
                position = (self._next + step) % len(self.devices)
                device = self.devices[position]
                if load[device] < self.trials_per_gpu:
                    picked.append(device)
                    last = position
                    if len(picked) == count:
                        break
            if len(picked) < count:
                raise RunnerError(
                    f"no free GPU for {count} device(s): {len(self._held)} trial(s) already "
                    f"hold {len(self.devices)} GPU(s) x {self.trials_per_gpu} trial(s) per GPU"
                )
            self._next = (last + 1) % len(self.devices)
            self._held[trial_name] = tuple(picked)
            return tuple(picked)

    def release(self, trial_name: str) -> None:
        with self._lock:
            self._held.pop(trial_name, None)


def docker_gpus_value(devices: tuple[int, ...]) -> str:
    """``--gpus`` value for these devices. Docker's documentation ("Access an NVIDIA GPU",
    docs.docker.com run reference) writes one as ``device=1`` and several as
    ``'"device=1,2"'``: the double quotes keep the comma from splitting the option."""
    listed = ",".join(str(d) for d in devices)
    return f"device={listed}" if len(devices) == 1 else f'"device={listed}"'


def container_name(trial_name: str) -> str:
    return "hpo-rig-" + re.sub(r"[^a-zA-Z0-9_.-]", "-", trial_name)


@dataclass
class DockerRunner:
    """Runs the trial as ``docker run --rm`` of its image, command as entrypoint (Kubernetes'
    ``command`` replaces the image's ENTRYPOINT), through the docker CLI."""

    name: str = "docker"
    docker: str = "docker"
    # With GPU slots, a trial with a GPU limit gets its own device(s) (`--gpus device=K`)
    # instead of `--gpus N`, which would put every trial on the first GPU(s).
    gpu_slots: GpuSlots | None = None

    def command(
        self, trial_name: str, run: TrialRun, devices: tuple[int, ...] | None = None
    ) -> list[str]:
        if not run.image:
            raise RunnerError("the trial's primary container has no image")
        flags = docker_resource_flags(run.resources)
        if devices:
            at = flags.index("--gpus")
            flags[at + 1] = docker_gpus_value(devices)
        command = [
            self.docker,
            "run",
            "--rm",
            "--name",
            container_name(trial_name),
            "--label",
            f"hpo-rig.trial={trial_name}",
            *flags,
        ]
        if run.working_dir:
            # Kubernetes' workingDir is docker's --workdir; without one both use the image's.
            command += ["--workdir", run.working_dir]
        for key, value in {**run.env, **UNBUFFERED}.items():
            command += ["--env", f"{key}={value}"]
        return [*command, "--entrypoint", run.command[0], run.image, *run.command[1:]]

    def start(self, trial_name: str, run: TrialRun, cwd: Path) -> TrialHandle:
        """``cwd`` is only the docker CLI's: the container's relative paths are paths in
        its image, from the container's ``workingDir`` or else the image's WORKDIR."""
        if shutil.which(self.docker) is None:
            raise RunnerError(f"{self.docker!r} is not installed; use --runner process")
        # A container of the same name left by a killed run would block this one.
        remove_leftovers(None, None, container_name(trial_name))
        slots, wanted = self.gpu_slots, gpu_limit(run.resources)
        devices = slots.acquire(trial_name, wanted) if slots and wanted else None
        try:
            process = _popen(
                self.command(trial_name, run, devices), None, cwd, container_name(trial_name)
            )
        except BaseException:
            if slots is not None:
                slots.release(trial_name)
            raise
        return TrialHandle(
            process,
            [self.docker, "stop"],
            container_name(trial_name),
            gpu=",".join(map(str, devices)) if devices else None,
            on_exit=(lambda: slots.release(trial_name)) if slots and devices else None,
        )


# The docker CLI's own exit codes for a container it could not run (docker/cli
# cli/command/container/run.go runStartContainerErr: 125 daemon error, 126 cannot invoke,
# 127 not found); the container's own command never gets to run.
DOCKER_START_FAILURES = (125, 126, 127)


def docker_start_error(lines: list[str]) -> str | None:
    """What the docker CLI said when it could not start the container, e.g. ``Unable to find
    image 'x:latest' locally; docker: Error response from daemon: pull access denied ...``.

    docker/cli cli/command/container/create.go prints ``Unable to find image '%s' locally``
    before pulling; run.go reportError prints ``docker: <error>.`` then ``See 'docker run
    --help'.`` (older CLIs: ``Run 'docker run --help' for more information``), a hint that
    says nothing about the trial and is left out."""
    said = [line for line in lines if line.startswith(("docker: ", "Unable to find image "))]
    return "; ".join(said) if said else None


def detect_gpus(nvidia_smi: str = "nvidia-smi") -> int:
    """GPUs on this host as ``nvidia-smi -L`` lists them (one ``GPU N: ...`` line each);
    0 without nvidia-smi or when it fails."""
    if shutil.which(nvidia_smi) is None:
        return 0
    try:
        listing = subprocess.run(
            [nvidia_smi, "-L"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return 0
    if listing.returncode != 0:
        return 0
    return sum(1 for line in listing.stdout.splitlines() if line.startswith("GPU "))


def make_runner(kind: str, gpus: int = 0, trials_per_gpu: int = 1) -> Runner:
    if kind == "process":
        return ProcessRunner()
    if kind == "docker":
        slots = GpuSlots(tuple(range(gpus)), trials_per_gpu) if gpus > 0 else None
        return DockerRunner(gpu_slots=slots)
    raise ValueError(f"unknown runner {kind!r}")
