"""GPU acceptance run: does packing N memory-capped trials on one GPU pay, and do caps hold?

Started by ``scripts/gpu-acceptance`` on a bare GPU host (no Docker, no network), with the
JAX or PyTorch backend (the GPU check machine has those, not TensorFlow). From one run it
prints:

- trials per hour for N capped trials at once (N = 1, 2, 4, 8) against the same trial run
  one after another (the N = 1 run, timed ``--sequential-runs`` times),
- GPU utilisation sampled through NVML every ``--sample-s`` seconds during each
  (nvmlDeviceGetUtilizationRates().gpu: the percentage of time a kernel was running, the
  "sm" column of ``nvidia-smi dmon``),
- each trial's peak GPU memory (NVML's per-process usedGpuMemory, CUDA context included, and
  the framework's own peak that the trainer prints) against its cap,
- a trial capped far below what it needs, which must fail cleanly: exit 1, an out-of-memory
  message, no hang.

Goals (issue 15): >= 1.8x the sequential trials/hour and >= 90 % utilisation at the best N.
``--dry-run`` runs the same orchestration on the CPU with tiny trials (no NVML needed).

Exit codes: 0 run complete (goals are reported, not enforced), 1 a check failed (a trial
failed, the over-cap trial did not fail cleanly), 2 bad arguments or missing data.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_rig_train.gpu import MIB

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
SPEEDUP_GOAL = 1.8
UTILISATION_GOAL = 90.0
HEADROOM = 0.9  # N trials share 90 % of the GPU: CUDA contexts live outside the caps


@dataclass
class TrialResult:
    index: int
    exit_code: int
    seconds: float
    cap_mb: int | None
    framework_peak_mb: int | None = None
    nvml_peak_mb: int | None = None
    stderr_tail: str = ""


@dataclass
class Round:
    trials: int
    seconds: float
    results: list[TrialResult]
    utilisation: list[float] = field(default_factory=list)

    @property
    def trials_per_hour(self) -> float:
        return self.trials * 3600.0 / self.seconds if self.seconds > 0 else 0.0

    @property
    def mean_utilisation(self) -> float | None:
        return sum(self.utilisation) / len(self.utilisation) if self.utilisation else None


def parse_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated integers, got {text!r}"
        ) from None
    if not counts or any(n < 1 or n > 64 for n in counts):
        raise argparse.ArgumentTypeError(f"each count must be in [1, 64], got {text!r}")
    return sorted(set(counts))


def cap_fraction(trials: int) -> float:
    """Memory share of each of ``trials`` trials on one GPU, rounded down to 4 places."""
    return math.floor(HEADROOM / trials * 10_000) / 10_000


class Sampler:
    """Samples GPU utilisation and per-process memory through NVML in a thread."""

    def __init__(self, interval: float, nvml: Any | None) -> None:
        self.interval = interval
        self.nvml = nvml
        self.utilisation: list[float] = []
        self.peak_mb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        if self.nvml is not None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        nvml = self.nvml
        assert nvml is not None
        handle = nvml.nvmlDeviceGetHandleByIndex(0)
        while not self._stop.wait(self.interval):
            try:
                self.utilisation.append(float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu))
                for proc in nvml.nvmlDeviceGetComputeRunningProcesses(handle):
                    used = getattr(proc, "usedGpuMemory", None)
                    if used:
                        mb = int(used) // MIB
                        self.peak_mb[proc.pid] = max(self.peak_mb.get(proc.pid, 0), mb)
            except Exception:  # a sample lost is not a failed run
                continue


def trainer_command(
    args: argparse.Namespace, fraction: float | None, memory_mb: int | None = None
) -> list[str]:
    command = [
        sys.executable, "-m", "hpo_rig_train",
        f"--backend={args.backend}",
        f"--device={'cpu' if args.dry_run else 'gpu'}",
        f"--epochs={args.epochs}",
        f"--batch-size={args.batch_size}",
        f"--model={args.model}",
        f"--hidden-units={args.hidden_units}",
    ]  # fmt: skip
    if args.data is not None:
        command += ["--dataset=npz", f"--data-path={args.data}"]
    if memory_mb is not None:
        command.append(f"--gpu-memory-mb={memory_mb}")
    elif fraction is not None:
        command.append(f"--gpu-memory-fraction={fraction}")
    return command


def framework_peak(stderr: str) -> int | None:
    for line in reversed(stderr.splitlines()):
        if "peak GPU memory" in line:
            try:
                return int(line.split("peak GPU memory")[1].split()[0])
            except (IndexError, ValueError):
                return None
    return None


def run_round(
    args: argparse.Namespace, trials: int, total_mb: int | None, nvml: Any | None
) -> Round:
    """``trials`` trials at once, each capped at its share; returns timings and samples."""
    fraction = cap_fraction(trials)
    cap_mb = int(total_mb * fraction) if total_mb else None
    started = time.monotonic()
    with Sampler(args.sample_s, nvml) as sampler, tempfile.TemporaryDirectory() as tmp:
        procs = []
        for i in range(trials):
            err = (Path(tmp) / f"{i}.err").open("w+", encoding="utf-8")
            command = trainer_command(args, fraction)
            proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, text=True)
            procs.append((i, proc, err, time.monotonic()))
        results = []
        for i, proc, err, t0 in procs:
            try:
                code = proc.wait(timeout=args.trial_timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            err.seek(0)
            text = err.read()
            err.close()
            results.append(
                TrialResult(
                    i, code, time.monotonic() - t0, cap_mb, framework_peak(text),
                    sampler.peak_mb.get(proc.pid), "\n".join(text.strip().splitlines()[-3:]),
                )
            )  # fmt: skip
    return Round(trials, time.monotonic() - started, results, sampler.utilisation)


def over_cap_check(args: argparse.Namespace) -> tuple[bool, str]:
    """A trial capped at 32 MiB with a large batch must exit 1 with an out-of-memory message."""
    if args.dry_run:
        return True, "skipped on CPU (--dry-run)"
    command = [
        *trainer_command(args, None, memory_mb=32),
        "--batch-size=8192",
        "--hidden-units=4096",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=args.trial_timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return False, f"hung: no exit within {args.trial_timeout_s} s"
    clean = result.returncode == 1 and "out of memory" in result.stderr
    last = (result.stderr.strip().splitlines() or [""])[-1]
    return clean, f"exit {result.returncode}: {last[:200]}"


def open_nvml(dry_run: bool) -> tuple[Any | None, int | None, str]:
    if dry_run:
        return None, None, "CPU dry run"
    try:
        import pynvml

        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        name = pynvml.nvmlDeviceGetName(handle)
        total = int(pynvml.nvmlDeviceGetMemoryInfo(handle).total)
    except Exception as err:
        raise SystemExit(
            f"gpu-acceptance: error: NVML unavailable ({err}); is this a GPU host?"
        ) from None
    label = name.decode() if isinstance(name, bytes) else str(name)
    return pynvml, total // MIB, f"{label}, {total // MIB} MiB"


def report(
    rounds: list[Round], sequential_s: float, out: Callable[[str], None]
) -> tuple[float, float | None]:
    seq_per_hour = 3600.0 / sequential_s if sequential_s > 0 else 0.0
    out(f"sequential: one trial {sequential_s:.1f} s -> {seq_per_hour:.0f} trials/h")
    out(f"{'N':>3} {'cap MiB':>8} {'wall s':>8} {'trials/h':>9} {'speedup':>8} {'util %':>7}  "
        "peak MiB per trial (NVML incl. context / framework)")  # fmt: skip
    best_speedup, best_util = 0.0, None
    for r in rounds:
        speedup = r.trials_per_hour / seq_per_hour if seq_per_hour else 0.0
        util = r.mean_utilisation
        cap = r.results[0].cap_mb if r.results else None
        peaks = ", ".join(
            f"{t.nvml_peak_mb or '-'}/{t.framework_peak_mb or '-'}" for t in r.results
        )
        out(f"{r.trials:>3} {cap or '-':>8} {r.seconds:>8.1f} {r.trials_per_hour:>9.0f} "
            f"{speedup:>7.2f}x {'-' if util is None else f'{util:.0f}':>7}  {peaks}")  # fmt: skip
        if speedup > best_speedup:
            best_speedup, best_util = speedup, util
    return best_speedup, best_util


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gpu-acceptance",
        description="Measure N memory-capped trials on one GPU against sequential trials.",
        epilog="exit codes: 0 run complete (goals reported), 1 a check failed, 2 bad arguments",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--backend", choices=("torch", "jax", "tensorflow"), default="torch")
    parser.add_argument("--trials", type=parse_counts, default=[1, 2, 4, 8],
                        help="trial counts to run at once (default: 1,2,4,8)")  # fmt: skip
    parser.add_argument("--data", type=Path, help="MNIST as .npz (x_train, y_train, ...); "
                        "default: digits (small, for --dry-run)")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--model", choices=("mlp", "cnn"), default="cnn")
    parser.add_argument("--hidden-units", type=int, default=256)
    parser.add_argument(
        "--sequential-runs",
        type=int,
        default=2,
        help="times the single trial is timed for the baseline (default: 2)",
    )
    parser.add_argument("--sample-s", type=float, default=0.2)
    parser.add_argument("--trial-timeout-s", type=float, default=240.0)
    parser.add_argument(
        "--budget-s",
        type=float,
        default=450.0,
        help="skip larger N once this much time is spent (default: 450)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="CPU only: tiny trials, no NVML; checks the orchestration",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.data is not None and not args.data.is_file():
        parser.error(f"argument --data: no such file: {args.data}")
    if args.epochs < 1 or args.batch_size < 1 or args.sequential_runs < 1:
        parser.error("--epochs, --batch-size and --sequential-runs must be at least 1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    nvml, total_mb, device = open_nvml(args.dry_run)
    print(f"gpu-acceptance: {device}; backend {args.backend}; trials {args.trials}", flush=True)
    started = time.monotonic()
    failed: list[str] = []

    singles = [run_round(args, 1, total_mb, nvml) for _ in range(args.sequential_runs)]
    sequential_s = min(r.seconds for r in singles)
    rounds: list[Round] = [singles[0]] if 1 in args.trials else []
    for n in [n for n in args.trials if n > 1]:
        spent = time.monotonic() - started
        projected = spent + max(r.seconds for r in [*singles, *rounds]) * 1.5
        if projected > args.budget_s:
            print(f"gpu-acceptance: N={n} skipped: {spent:.0f} s spent of {args.budget_s:.0f}")
            continue
        rounds.append(run_round(args, n, total_mb, nvml))
    for r in {id(r): r for r in [*singles, *rounds]}.values():
        for t in r.results:
            if t.exit_code != 0:
                failed.append(f"N={r.trials} trial {t.index} exit {t.exit_code}: {t.stderr_tail}")

    best_speedup, best_util = report(rounds, sequential_s, print)
    clean, detail = over_cap_check(args)
    print(f"over-cap trial (32 MiB): {'fails cleanly' if clean else 'NOT CLEAN'} ({detail})")
    if not clean:
        failed.append("over-cap trial did not fail cleanly")
    util_text = "n/a" if best_util is None else f"{best_util:.0f} %"
    print(f"goal speedup >= {SPEEDUP_GOAL}x: {'met' if best_speedup >= SPEEDUP_GOAL else 'missed'} "
          f"({best_speedup:.2f}x); goal utilisation >= {UTILISATION_GOAL:.0f} %: "
          f"{'met' if best_util is not None and best_util >= UTILISATION_GOAL else 'missed'} "
          f"({util_text}); total {time.monotonic() - started:.0f} s")  # fmt: skip
    for line in failed:
        print(f"gpu-acceptance: failed: {line}", file=sys.stderr)
    return EXIT_CHECK_FAILED if failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
