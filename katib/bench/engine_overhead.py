"""Benchmark of ``hpo-rig run``'s engine, from one invocation.

1. overhead: N trials one after another through the engine, against the same N trial commands
   run directly one after another (ratio of wall times, and seconds added per trial);
2. parallelism: the same N trials with parallelTrialCount P, against one after another
   (speed-up ratio);
3. start-up: what a user waits for after typing ``hpo-rig run``: from starting the command
   (a fresh Python process, as the user runs it) to its first trial's first line of output,
   less the time the same trial command takes to print that line when started directly
   (so the trial's own interpreter start is not counted). Always with host-process trials:
   it measures the engine, not Docker.

The trial is a cheap Python one-liner that prints Katib metrics and sleeps, so the numbers
measure the engine (suggestion, process start, output parsing, state writes), not training.

    python bench/engine_overhead.py [--trials 8] [--parallel 4] [--sleep 0.5]
        [--runner process|docker] [--image hpo-rig/debian12:latest] [--repeat 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hpo_rig.engine.core import RunOptions, run_experiment
from hpo_rig.engine.runners import make_runner
from hpo_rig.engine.view import View
from hpo_rig.experiment import load_experiment

TRIAL_CODE = (
    "import sys, time\n"
    "lr = float(sys.argv[1].split('=')[1]); pause = float(sys.argv[2].split('=')[1])\n"
    "for epoch in range(1, 4):\n"
    "    time.sleep(pause / 3)\n"
    "    print(f'epoch={epoch} accuracy={1 - (lr - 0.1) ** 2:.6f} loss={(lr - 0.1) ** 2:.6f}',"
    " flush=True)\n"
)


def experiment(trials: int, parallel: int, sleep: float, python: str, image: str) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Experiment",
        "metadata": {"name": f"bench-p{parallel}", "namespace": "default"},
        "spec": {
            "objective": {"type": "maximize", "objectiveMetricName": "accuracy"},
            "algorithm": {
                "algorithmName": "random",
                "algorithmSettings": [{"name": "random_state", "value": "1"}],
            },
            "parallelTrialCount": parallel,
            "maxTrialCount": trials,
            "parameters": [
                {
                    "name": "lr",
                    "parameterType": "double",
                    "feasibleSpace": {"min": "0.01", "max": "0.5"},
                }
            ],
            "trialTemplate": {
                "primaryContainerName": "training-container",
                "trialParameters": [{"name": "lr", "reference": "lr"}],
                "trialSpec": {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "spec": {
                        "template": {
                            "spec": {
                                "restartPolicy": "Never",
                                "containers": [
                                    {
                                        "name": "training-container",
                                        "image": image,
                                        "command": [
                                            python,
                                            "-c",
                                            TRIAL_CODE,
                                            "--lr=${trialParameters.lr}",
                                            f"--sleep={sleep}",
                                        ],
                                    }
                                ],
                            }
                        }
                    },
                },
            },
        },
    }


def engine_wall(document: dict[str, Any], runner: str, workdir: Path) -> float:
    started = time.perf_counter()
    loaded = load_experiment(document)
    result = run_experiment(
        loaded,
        make_runner(runner),
        RunOptions(workdir=workdir, refresh_seconds=0.05),
        View(io.StringIO(), loaded),
    )
    elapsed = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(f"engine run failed: {result.reason}: {result.message}")
    return elapsed


def direct_wall(document: dict[str, Any], runner: str, trials: int) -> float:
    """The same trial commands, run one after another without the engine."""
    container = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    command = [part.replace("${trialParameters.lr}", "0.1") for part in container["command"]]
    if runner == "docker":
        entrypoint, *args = command
        command = ["docker", "run", "--rm", "--entrypoint", entrypoint, container["image"], *args]
    started = time.perf_counter()
    for _ in range(trials):
        subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


CLI = [sys.executable, "-m", "hpo_rig.cli"]
# The start-up trial prints the moment it runs, then the objective (so the run succeeds).
STARTED_CODE = "import time; print(f'started={time.time():.6f}'); print('accuracy=0.5')"


def _started_at(output: str) -> float:
    line = next(line for line in output.splitlines() if line.startswith("started="))
    return float(line.split("=", 1)[1])


def startup_wall(root: Path, python: str) -> float:
    """Seconds from starting `hpo-rig run` to its first trial's first line, less the same
    trial command's own start-up when run directly."""
    document = experiment(1, 1, 0.0, python, "unused")
    container = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    container["command"] = [python, "-c", STARTED_CODE, "--lr=${trialParameters.lr}"]
    root.mkdir(parents=True, exist_ok=True)
    path = root / "startup.yaml"
    path.write_text(json.dumps(document))  # JSON is YAML
    workdir = root / "startup-run"
    started = time.time()
    subprocess.run(
        [*CLI, "run", str(path), "--runner", "process", "--workdir", str(workdir), "--plain"],
        check=True,
        capture_output=True,
    )
    (log,) = (workdir / "logs").iterdir()
    engine = _started_at(log.read_text()) - started
    started = time.time()
    direct = subprocess.run(
        [python, "-c", STARTED_CODE], check=True, capture_output=True, text=True
    )
    return engine - (_started_at(direct.stdout) - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=8, help="trials per run (default: 8)")
    parser.add_argument("--parallel", type=int, default=4, help="parallelTrialCount (default: 4)")
    parser.add_argument("--sleep", type=float, default=0.5, help="seconds per trial (default: 0.5)")
    parser.add_argument("--runner", choices=("process", "docker"), default="process")
    parser.add_argument(
        "--image", default="hpo-rig/debian12:latest", help="image for --runner docker"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="measure each case this many times, interleaved, and keep the fastest "
        "(the least disturbed by other load; default: 3)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    args = parser.parse_args(argv)
    python = sys.executable if args.runner == "process" else "python3"

    with tempfile.TemporaryDirectory(prefix="hpo-rig-bench-") as scratch:
        root = Path(scratch)
        one = experiment(args.trials, 1, args.sleep, python, args.image)
        many = experiment(args.trials, args.parallel, args.sleep, python, args.image)
        timings: dict[str, list[float]] = {
            "direct": [],
            "sequential": [],
            "parallel": [],
            "startup": [],
        }
        for attempt in range(args.repeat):
            timings["direct"].append(direct_wall(one, args.runner, args.trials))
            timings["sequential"].append(engine_wall(one, args.runner, root / f"s{attempt}"))
            timings["parallel"].append(engine_wall(many, args.runner, root / f"p{attempt}"))
            timings["startup"].append(startup_wall(root / f"u{attempt}", sys.executable))
        direct, sequential, parallel, startup = (min(timings[k]) for k in timings)

    results = {
        "runner": args.runner,
        "trials": args.trials,
        "parallel": args.parallel,
        "trial_sleep_s": args.sleep,
        "repeat": args.repeat,
        "direct_s": round(direct, 3),
        "engine_sequential_s": round(sequential, 3),
        "engine_parallel_s": round(parallel, 3),
        "overhead_ratio": round(sequential / direct, 3),
        "overhead_per_trial_s": round((sequential - direct) / args.trials, 3),
        "parallel_speedup": round(sequential / parallel, 3),
        "startup_to_first_trial_s": round(startup, 3),
    }
    print(
        f"{args.trials} trials ({args.runner}, {args.sleep}s each): direct {direct:.2f}s, "
        f"engine one at a time {sequential:.2f}s -> overhead ratio "
        f"{results['overhead_ratio']} ({results['overhead_per_trial_s']}s per trial); "
        f"engine {args.parallel} at once {parallel:.2f}s -> speed-up "
        f"{results['parallel_speedup']}x; start-up (`hpo-rig run` to its first trial) "
        f"{startup:.2f}s"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
