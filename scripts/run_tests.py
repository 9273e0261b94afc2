#!/usr/bin/env python3
"""Run every check of hpo-rig and end with one summary line: `N passed, N failed`.

Stages, in order: the Docker engine and the offline test images, the linters
and the syntax check, pytest (the repository, katib/ and trainer/), then every
Molecule scenario (converge, idempotence, verify, then a --check pass that must
report changed=0). Each stage's full log lands in .cache/test-logs/.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".cache" / "test-logs"
BIN = Path(sys.executable).parent
# Scenarios that need a real GPU host are run by hand (see molecule/gpu-host).
MANUAL_SCENARIOS = {"gpu-host"}
# The repository's own tests, then each Python package's, from its folder.
PYTEST_SUITES = {"repo": ROOT, "katib": ROOT / "katib", "trainer": ROOT / "trainer"}
RECAP = re.compile(r"(\S+)\s*:\s*ok=\d+\s+changed=(\d+)")
QUIET_ENV = {"NO_COLOR": "1", "PY_COLORS": "0", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other: Tally) -> None:
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped


def run(name: str, argv: list[str], cwd: Path = ROOT) -> tuple[bool, str]:
    """Run one command, log its output to a file, and report how it went."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{name}.log"
    print(f"--- {name}: {' '.join(argv)}", flush=True)
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **QUIET_ENV},
            check=False,
        )
    text = log.read_text(errors="replace")
    ok = proc.returncode == 0
    seconds = time.monotonic() - started
    print(
        f"    {'ok' if ok else 'FAILED'} in {seconds:.0f}s (log: {log.relative_to(ROOT)})",
        flush=True,
    )
    if not ok:
        tail = "\n".join(text.splitlines()[-40:])
        print(f"    last lines:\n{tail}", flush=True)
    return ok, text


def check(name: str, argv: list[str]) -> Tally:
    ok, _ = run(name, argv)
    return Tally(passed=int(ok), failed=int(not ok))


def stage_images() -> Tally:
    tally = check("docker-engine", [str(ROOT / "scripts/ensure-docker")])
    if tally.failed:
        return tally
    tally.add(check("test-images", [str(ROOT / "scripts/build-test-images")]))
    return tally


def stage_lint() -> Tally:
    tally = Tally()
    python_dirs = ["scripts", "tests", "katib", "trainer"]
    for name, argv in [
        ("yamllint", ["yamllint", "--strict", "."]),
        ("ansible-lint", ["ansible-lint", "--offline"]),
        ("syntax-check", ["ansible-playbook", "--syntax-check", "site.yml"]),
        ("ruff-check", ["ruff", "check", *python_dirs]),
        ("ruff-format", ["ruff", "format", "--check", *python_dirs]),
        (
            "mypy",
            ["mypy", "scripts", "tests", "katib/hpo_rig", "trainer/hpo_rig_train", "trainer/tests"],
        ),
    ]:
        tally.add(check(name, argv))
    return tally


def stage_pytest() -> Tally:
    """One pytest run per test suite, each from its own folder and settings."""
    total = Tally()
    for name, folder in PYTEST_SUITES.items():
        report = LOGS / f"pytest-{name}.xml"
        report.unlink(missing_ok=True)
        ok, _ = run(f"pytest-{name}", ["pytest", f"--junitxml={report}"], cwd=folder)
        counts = junit_counts(report) if report.exists() else Tally()
        if not ok and counts.failed == 0:  # pytest failed outside any test: collection, usage
            counts.failed = 1
        total.add(counts)
    return total


def junit_counts(report: Path) -> Tally:
    counts = Tally()
    for suite in ET.parse(report).getroot().iter("testsuite"):
        tests, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        counts.add(Tally(passed=tests - skipped - failed, failed=failed, skipped=skipped))
    return counts


def scenarios(selected: list[str]) -> list[str]:
    found = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))
    # The whole-site scenario last: it is the slowest and builds on every role.
    found.sort(key=lambda name: name == "default")
    return [s for s in found if s not in MANUAL_SCENARIOS and (not selected or s in selected)]


def stage_molecule(selected: list[str]) -> Tally:
    tally = Tally()
    for scenario in scenarios(selected):
        ok, _ = run(
            f"molecule-{scenario}", ["molecule", "test", "-s", scenario, "--destroy", "never"]
        )
        if ok:
            ok, text = run(f"molecule-{scenario}-check", ["molecule", "check", "-s", scenario])
            changed = [(host, int(n)) for host, n in RECAP.findall(text) if int(n)]
            if ok and changed:
                print(f"    FAILED: --check on the converged host reports changes: {changed}")
                ok = False
        run(f"molecule-{scenario}-destroy", ["molecule", "destroy", "-s", scenario])
        tally.add(Tally(passed=int(ok), failed=int(not ok)))
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=["lint", "pytest", "molecule"], help="run one stage only")
    parser.add_argument(
        "--scenario", action="append", default=[], help="Molecule scenario to run (repeatable)"
    )
    args = parser.parse_args()

    total = Tally()
    if args.only in (None, "lint"):
        total.add(stage_lint())
    if args.only in (None, "pytest", "molecule"):
        images = stage_images()
        total.add(images)
        if args.only in (None, "pytest"):
            total.add(stage_pytest())
        if args.only in (None, "molecule") and not images.failed:
            total.add(stage_molecule(args.scenario))
    skipped = f", {total.skipped} skipped" if total.skipped else ""
    print(f"{total.passed} passed, {total.failed} failed{skipped}")
    return 1 if total.failed or not total.passed else 0


if __name__ == "__main__":
    sys.exit(main())
