#!/usr/bin/env python3
"""Run every check of hpo-rig; end with a table of wall times and `N passed, N failed`.

Runs with any Python 3.10+ (standard library only), so that it can start the
set-up of .venv/ and the test images side by side on a fresh machine. Jobs:

  setup          scripts/setup --dev: .venv/ with the pinned tools
  images         the Docker engine, then the offline test images (Debian 11, for the
                 trainer's seed-image test, after those Molecule needs)
  lint           yamllint, ansible-lint, the syntax check, ruff, mypy, vermin
  pytest         the repository's, katib/'s and trainer/'s tests (pytest-xdist)
  molecule       every scenario: converge, idempotence, verify, then a
                 --check pass on the converged host that must report changed=0

Jobs run as soon as what they need is done: CPU-bound ones (lint, pytest)
one at a time, Molecule scenarios --molecule-jobs at a time (their time goes
mostly to apt, systemd and waits, which leave a 2-core machine room). Each
job's full log lands in .cache/test-logs/. Exit status: 0 all passed, 1 a
check failed (or nothing ran), 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".cache" / "test-logs"
BIN = ROOT / ".venv" / "bin"
# Scenarios that need a real GPU host are run by hand (see molecule/gpu-host).
MANUAL_SCENARIOS = {"gpu-host"}
# Started first, being the longest (measured on a 2-core machine): the
# critical path then ends about when the short ones do.
SLOWEST_SCENARIOS = ["default", "nvidia_driver", "docker", "microk8s"]
# The repository's own tests, then each Python package's, from its folder.
PYTEST_SUITES = {"repo": ROOT, "katib": ROOT / "katib", "trainer": ROOT / "trainer"}
# The stand-ins' Python (the fake API server and its commands) is ruff-checked too.
FAKES_PYTHON = "molecule/resources/fakes/snapd"
PYTHON_DIRS = ["scripts", "tests", "katib", "trainer", FAKES_PYTHON]
# The seed image runs the trainer on Python 3.8: vermin finds newer standard library there.
VERMIN_ARGS = ["--target=3.8-", "--violations", "--no-tips", "trainer/hpo_rig_train"]
# Molecule's log line for a finished action: "INFO [docker > verify] Executed: Successful"
# (NO_COLOR), "docker ➜ verify: Executed: Successful" (a terminal).
PHASE_DONE = re.compile(r"(\w+)\]?:? Executed: Successful")
CHECKED_PHASES = ("converge", "idempotence", "verify")
RECAP = re.compile(r"(\S+)\s*:\s*ok=\d+\s+changed=(\d+)")
QUIET_ENV = {"NO_COLOR": "1", "PY_COLORS": "0", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
BUDGET_S = 45 * 60


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other: Tally) -> None:
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped


@dataclass
class Job:
    name: str
    stage: str
    work: Callable[[], Tally]
    needs: tuple[str, ...] = ()
    started: float = 0.0
    ended: float = 0.0
    tally: Tally | None = None

    @property
    def ok(self) -> bool:
        return self.tally is not None and self.tally.failed == 0

    @property
    def pool(self) -> str:
        """Set-up and images side by side; lint and pytest share the CPU."""
        return {"lint": "cpu", "pytest": "cpu"}.get(self.stage, self.stage)


@dataclass
class Runner:
    """Starts each job once its needs have passed, within its pool's slots."""

    jobs: list[Job]
    slots: dict[str, int]
    t0: float = field(default_factory=time.monotonic)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def run(self) -> None:
        pending = list(self.jobs)
        running: dict[str, str] = {}  # job name -> pool
        by_name = {job.name: job for job in self.jobs}
        with self.lock:
            while pending or running:
                for job in list(pending):
                    needs = [by_name[n] for n in job.needs if n in by_name]
                    if any(n.tally is not None and not n.ok for n in needs):
                        pending.remove(job)
                        job.tally = Tally(failed=1)
                        self.say(f"{job.name}: not run, as {', '.join(job.needs)} failed")
                        continue
                    if any(n.tally is None for n in needs):
                        continue
                    busy = sum(1 for pool in running.values() if pool == job.pool)
                    if busy >= self.slots[job.pool]:
                        continue
                    pending.remove(job)
                    running[job.name] = job.pool
                    threading.Thread(target=self.start, args=(job, running), daemon=True).start()
                self.lock.wait(timeout=5)

    def start(self, job: Job, running: dict[str, str]) -> None:
        job.started = time.monotonic()
        try:
            job.tally = job.work()
        except Exception as error:  # a bug in the runner itself: report it as a failure
            self.say(f"{job.name}: {type(error).__name__}: {error}")
            job.tally = Tally(failed=1)
        job.ended = time.monotonic()
        with self.lock:
            del running[job.name]
            self.lock.notify_all()

    def say(self, text: str) -> None:
        minutes, seconds = divmod(int(time.monotonic() - self.t0), 60)
        print(f"[{minutes:3d}:{seconds:02d}] {text}", flush=True)


RUNNER: Runner | None = None


def say(text: str) -> None:
    if RUNNER:
        RUNNER.say(text)
    else:
        print(text, flush=True)


def run(name: str, argv: list[str], cwd: Path = ROOT) -> tuple[bool, str]:
    """Run one command, log its output to a file, and report how it went."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{name}.log"
    say(f"{name}: {' '.join(argv)}")
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **QUIET_ENV},
            check=False,
        )
    text = log.read_text(errors="replace")
    ok = proc.returncode == 0
    seconds = time.monotonic() - started
    result = "ok" if ok else f"FAILED (exit {proc.returncode})"
    tail = "" if ok else "\n    last lines:\n" + "\n".join(text.splitlines()[-40:])
    say(f"{name}: {result} in {seconds:.0f}s (log: {log.relative_to(ROOT)}){tail}")
    return ok, text


def check(name: str, argv: list[str], cwd: Path = ROOT) -> Callable[[], Tally]:
    def work() -> Tally:
        ok, _ = run(name, argv, cwd)
        return Tally(passed=int(ok), failed=int(not ok))

    return work


def pytest_suite(name: str, folder: Path, workers: str) -> Callable[[], Tally]:
    def work() -> Tally:
        report = LOGS / f"pytest-{name}.xml"
        report.unlink(missing_ok=True)
        argv = [str(BIN / "pytest"), f"--junitxml={report}", "-n", workers]
        ok, _ = run(f"pytest-{name}", argv, cwd=folder)
        counts = junit_counts(report) if report.exists() else Tally()
        if not ok and counts.failed == 0:  # pytest failed outside any test: collection, usage
            counts.failed = 1
        return counts

    return work


def junit_counts(report: Path) -> Tally:
    counts = Tally()
    for suite in ET.parse(report).getroot().iter("testsuite"):
        tests, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        counts.add(Tally(passed=tests - skipped - failed, failed=failed, skipped=skipped))
    return counts


def scenario(name: str) -> Callable[[], Tally]:
    """`molecule test`, then the --check pass on the converged host, then destroy.

    Each of converge, idempotence, verify and the --check pass counts as one
    check: a scenario whose idempotence fails has still shown that it converges.
    """

    def work() -> Tally:
        molecule = tool("molecule")
        ok, text = run(f"molecule-{name}", [molecule, "test", "-s", name, "--destroy", "never"])
        done = set(PHASE_DONE.findall(text))
        tally = Tally(passed=sum(phase in done for phase in CHECKED_PHASES), failed=int(not ok))
        if ok:
            ok, text = run(f"molecule-{name}-check", [molecule, "check", "-s", name])
            changed = [(host, int(n)) for host, n in RECAP.findall(text) if int(n)]
            if ok and changed:
                say(f"molecule-{name}-check: FAILED: --check on a converged host changed {changed}")
                ok = False
            tally.add(Tally(passed=int(ok), failed=int(not ok)))
        run(f"molecule-{name}-destroy", [molecule, "destroy", "-s", name])
        return tally

    return work


def scenarios(selected: list[str]) -> list[str]:
    found = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))
    unknown = sorted(set(selected) - set(found))
    if unknown:
        sys.exit(f"error: no Molecule scenario {', '.join(unknown)} (have: {', '.join(found)})")
    rank = {name: i for i, name in enumerate(SLOWEST_SCENARIOS)}
    found.sort(key=lambda name: rank.get(name, len(rank)))
    return [s for s in found if s not in MANUAL_SCENARIOS and (not selected or s in selected)]


def tool(name: str) -> str:
    return str(BIN / name)


def tool_script(name: str) -> str:
    return str(ROOT / "scripts" / name)


def plan(only: str | None, selected: list[str], workers: str) -> list[Job]:
    jobs = [Job("setup", "setup", check("setup", [tool_script("setup"), "--dev"]))]
    if only in (None, "pytest", "molecule"):
        jobs += [
            Job("docker-engine", "images", check("docker-engine", [tool_script("ensure-docker")])),
            Job(
                "test-images",
                "images",
                check("test-images", [tool_script("build-test-images"), "debian12"]),
                needs=("docker-engine",),
            ),
            # After test-images (one images slot), so that Molecule never waits for it.
            Job(
                "seed-test-image",
                "images",
                check("seed-test-image", [tool_script("build-test-images"), "debian11"]),
                needs=("docker-engine",),
            ),
        ]
    if only in (None, "lint"):
        for name, argv in [
            ("yamllint", [tool("yamllint"), "--strict", "."]),
            ("ansible-lint", [tool("ansible-lint"), "--offline"]),
            ("syntax-check", [tool("ansible-playbook"), "--syntax-check", "site.yml"]),
            ("ruff-check", [tool("ruff"), "check", *PYTHON_DIRS]),
            ("ruff-format", [tool("ruff"), "format", "--check", *PYTHON_DIRS]),
            ("mypy", [tool("mypy")]),  # the paths are mypy.ini's `files`
            ("vermin", [tool("vermin"), *VERMIN_ARGS]),
        ]:
            jobs.append(Job(name, "lint", check(name, argv), needs=("setup",)))
    if only in (None, "pytest"):
        for name, folder in PYTEST_SUITES.items():
            # The trainer's image tests build on the offline base images.
            needs: tuple[str, ...] = ("setup",)
            if name == "trainer":
                needs += ("test-images", "seed-test-image")
            jobs.append(Job(f"pytest-{name}", "pytest", pytest_suite(name, folder, workers), needs))
    if only in (None, "molecule"):
        for name in scenarios(selected):
            needs = ("setup", "test-images")
            jobs.append(Job(f"molecule-{name}", "molecule", scenario(name), needs))
    return jobs


def table(jobs: list[Job], t0: float, total: float) -> str:
    """Every job's and every stage's wall time, and the total."""
    lines = [f"{'job':<28} {'stage':<9} {'start':>6} {'wall':>6}  result"]
    for job in sorted(jobs, key=lambda j: (j.started or float("inf"), j.name)):
        if not job.started:
            lines.append(f"{job.name:<28} {job.stage:<9} {'-':>6} {'-':>6}  not run")
            continue
        result = "ok" if job.ok else "FAILED"
        lines.append(
            f"{job.name:<28} {job.stage:<9} {clock(job.started - t0):>6} "
            f"{clock(job.ended - job.started):>6}  {result}"
        )
    lines.append("")
    lines.append(f"{'stage':<9} {'from':>6} {'to':>6} {'wall':>6} {'busy':>6}")
    for stage in dict.fromkeys(job.stage for job in jobs):
        ran = [j for j in jobs if j.stage == stage and j.started]
        if not ran:
            continue
        start, end = min(j.started for j in ran) - t0, max(j.ended for j in ran) - t0
        busy = sum(j.ended - j.started for j in ran)
        lines.append(
            f"{stage:<9} {clock(start):>6} {clock(end):>6} {clock(end - start):>6} {clock(busy):>6}"
        )
    lines.append(f"{'total':<9} {'':>6} {'':>6} {clock(total):>6}")
    if total > BUDGET_S:
        lines.append(
            f"OVER BUDGET: the suite took {clock(total)}, more than {BUDGET_S // 60} minutes "
            "(CI's hard limit is 90): make it faster before adding tests."
        )
    return "\n".join(lines)


def clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=["lint", "pytest", "molecule"], help="run one stage only")
    parser.add_argument(
        "--scenario", action="append", default=[], help="Molecule scenario to run (repeatable)"
    )
    parser.add_argument(
        "--molecule-jobs",
        type=int,
        default=int(os.environ.get("HPO_RIG_TEST_MOLECULE_JOBS", "2")),
        help="Molecule scenarios at once (default 2, or $HPO_RIG_TEST_MOLECULE_JOBS)",
    )
    parser.add_argument(
        "--pytest-workers",
        default=os.environ.get("HPO_RIG_TEST_PYTEST_WORKERS", "2"),
        help="pytest-xdist workers per suite (default 2, or $HPO_RIG_TEST_PYTEST_WORKERS)",
    )
    args = parser.parse_args()
    if args.molecule_jobs < 1:
        parser.error("--molecule-jobs must be 1 or more")

    global RUNNER
    jobs = plan(args.only, args.scenario, args.pytest_workers)
    RUNNER = Runner(jobs, slots={"setup": 1, "images": 1, "cpu": 1, "molecule": args.molecule_jobs})
    RUNNER.run()
    total = time.monotonic() - RUNNER.t0

    tally = Tally()
    for job in jobs:
        # The set-up is no check of the project's; counted only when it fails.
        if job.tally and (job.stage != "setup" or job.tally.failed):
            tally.add(job.tally)
    print("\n" + table(jobs, RUNNER.t0, total), flush=True)
    skipped = f", {tally.skipped} skipped" if tally.skipped else ""
    print(f"{tally.passed} passed, {tally.failed} failed{skipped}")
    return 1 if tally.failed or not tally.passed else 0


if __name__ == "__main__":
    sys.exit(main())
