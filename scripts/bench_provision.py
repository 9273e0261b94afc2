#!/usr/bin/env python3
"""Provisioning benchmark: converge, idempotent rerun and one-role rerun.

Converges site.yml on a fresh Molecule `default` instance, then reruns it
unchanged, then reruns one role by tag, all in one run, and prints the times
side by side with their ratios, and the slowest tasks of the rerun (from
ansible.posix.profile_tasks). Each step's log is kept in .cache/bench-provision/.
The instance is destroyed at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOGS = ROOT / ".cache" / "bench-provision"
# profile_tasks' summary lines: "role : task name ---- 12.34s".
TASK_TIME = re.compile(r"^(?P<task>.+?) -{3,} (?P<seconds>\d+\.\d+)s$")


def molecule(log: str, *args: str) -> float:
    """Run one molecule command quietly into LOGS/<log>.log; return its wall time in seconds."""
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "NO_COLOR": "1",
        # Molecule runs ansible-playbook without the repository's ansible.cfg callbacks.
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
        "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "30",
    }
    LOGS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    proc = subprocess.run(
        ["molecule", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    (LOGS / f"{log}.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode:
        sys.exit(f"molecule {' '.join(args)} failed:\n{proc.stdout[-4000:]}{proc.stderr[-2000:]}")
    return time.monotonic() - started


def slowest_tasks(log: str, count: int = 10) -> list[tuple[float, str]]:
    """The slowest tasks profile_tasks listed in LOGS/<log>.log, slowest first."""
    times = [
        (float(m["seconds"]), m["task"].strip())
        for line in (LOGS / f"{log}.log").read_text().splitlines()
        if (m := TASK_TIME.match(line.strip()))
    ]
    return sorted(times, reverse=True)[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="default", help="Molecule scenario to converge")
    parser.add_argument("--tag", default="docker", help="role to rerun alone")
    args = parser.parse_args()
    s = ["-s", args.scenario]

    print(f"preparing a fresh {args.scenario} instance...", flush=True)
    molecule("destroy", "destroy", *s)
    molecule("create", "create", *s)
    molecule("prepare", "prepare", *s)
    try:
        print("converging site.yml...", flush=True)
        converge = molecule("converge", "converge", *s)
        print("rerunning site.yml unchanged...", flush=True)
        rerun = molecule("rerun", "converge", *s)
        print(f"rerunning --tags {args.tag}...", flush=True)
        one_role = molecule("one-role", "converge", *s, "--", f"--tags={args.tag}")
    finally:
        molecule("destroy", "destroy", *s)

    print()
    print(f"{'converge (fresh host)':<32}{converge:8.1f} s")
    print(f"{'idempotent rerun':<32}{rerun:8.1f} s   rerun/converge = {rerun / converge:.2f}")
    label = f"rerun --tags {args.tag}"
    print(f"{label:<32}{one_role:8.1f} s   one-role/converge = {one_role / converge:.2f}")
    print(f"\nslowest tasks of the rerun (logs in {LOGS.relative_to(ROOT)}/):")
    for seconds, task in slowest_tasks("rerun"):
        print(f"{seconds:8.1f} s  {task}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
