#!/usr/bin/env python3
"""Provisioning benchmark: converge, idempotent rerun and one-role rerun.

Converges site.yml on a fresh Molecule `default` instance, then reruns it
unchanged, then reruns one role by tag, all in one run, and prints the times
side by side with their ratios. The instance is destroyed at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def molecule(*args: str) -> float:
    """Run one molecule command quietly; return its wall time in seconds."""
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "NO_COLOR": "1"}
    started = time.monotonic()
    proc = subprocess.run(
        ["molecule", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode:
        sys.exit(f"molecule {' '.join(args)} failed:\n{proc.stdout[-4000:]}{proc.stderr[-2000:]}")
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="default", help="Molecule scenario to converge")
    parser.add_argument("--tag", default="docker", help="role to rerun alone")
    args = parser.parse_args()
    s = ["-s", args.scenario]

    print(f"preparing a fresh {args.scenario} instance...", flush=True)
    molecule("destroy", *s)
    molecule("create", *s)
    molecule("prepare", *s)
    try:
        print("converging site.yml...", flush=True)
        converge = molecule("converge", *s)
        print("rerunning site.yml unchanged...", flush=True)
        rerun = molecule("converge", *s)
        print(f"rerunning --tags {args.tag}...", flush=True)
        one_role = molecule("converge", *s, "--", f"--tags={args.tag}")
    finally:
        molecule("destroy", *s)

    print()
    print(f"{'converge (fresh host)':<32}{converge:8.1f} s")
    print(f"{'idempotent rerun':<32}{rerun:8.1f} s   rerun/converge = {rerun / converge:.2f}")
    label = f"rerun --tags {args.tag}"
    print(f"{label:<32}{one_role:8.1f} s   one-role/rerun = {one_role / rerun:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
