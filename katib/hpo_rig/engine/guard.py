"""Keeps a trial from outliving the engine that started it.

Run as a script (``python guard.py ENGINE_PID [--container NAME] -- COMMAND...``; standard
library only, so it starts fast and imports nothing of the package). It asks the kernel for
SIGTERM when the engine dies (Linux ``prctl(PR_SET_PDEATHSIG)``, prctl(2)), starts the
trial's command in its own process group (the guard's, which the engine made a new
session), waits for it and exits as it did (a trial killed by a signal is reported killed
by that signal). When the engine is gone, a Docker trial's container is removed (``docker
rm -f``: killing the docker CLI would leave it running) and the whole group is killed.

prctl(2) sends the signal when the *thread* that forked the guard ends, so the engine starts
trials from its main thread (Engine._fill), which lives as long as the engine.

Why not ``preexec_fn``: the subprocess documentation says it is not safe in a program with
threads (the child may deadlock before exec), and the engine has reader threads. The guard
is a fresh single-threaded process, where prctl is safe.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from types import FrameType

# linux/prctl.h: #define PR_SET_PDEATHSIG 1
PR_SET_PDEATHSIG = 1


def _parent_death_signal(sig: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")


def main(argv: list[str]) -> int:
    engine = int(argv[0])
    rest = argv[1:]
    container = None
    if rest[:1] == ["--container"]:
        container, rest = rest[1], rest[2:]
    command = rest[1:] if rest[:1] == ["--"] else rest

    def engine_gone() -> None:
        if container is not None:
            subprocess.run(
                ["docker", "rm", "-f", container], capture_output=True, check=False, timeout=60
            )
        os.killpg(0, signal.SIGKILL)

    def on_term(signum: int, frame: FrameType | None) -> None:
        # The engine's own stop signals the whole group: the trial decides what to do, the
        # guard keeps waiting. Only a SIGTERM after the engine died ends everything.
        if os.getppid() != engine:
            engine_gone()

    signal.signal(signal.SIGTERM, on_term)
    _parent_death_signal(signal.SIGTERM)
    if os.getppid() != engine:  # the engine died before prctl took effect
        engine_gone()
    try:
        child = subprocess.Popen(command)
    except OSError as error:
        print(f"hpo-rig: cannot start {command[0]}: {error}", file=sys.stderr, flush=True)
        return 127
    code = child.wait()
    if code < 0:
        # End the same way, so the engine sees "killed by SIGKILL" and not an exit code.
        with contextlib.suppress(OSError, ValueError):  # SIGKILL's action cannot be set
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code  # a signal whose default is not to end the process
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
