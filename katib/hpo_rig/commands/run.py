"""``hpo-rig run``: run a Katib Experiment on this machine, without a cluster."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hpo_rig.commands._output import add_live_arguments
from hpo_rig.experiment import V1BETA1
from hpo_rig.yamlio import InputFileError, parse_all, read_input

# The Katib release whose webhook and suggestion services hpo_rig.validate follows.
KATIB_RULES = {V1BETA1: f"Katib v0.19.0 ({V1BETA1})"}

DESCRIPTION = """\
Run a Katib Experiment locally: Optuna suggests the parameters (mapped from the Experiment's
algorithm), each trial runs as a container of the trialSpec's image (--runner docker) or as
a host process (--runner process), metrics are read from its output with Katib's StdOut
filter, and the results land in WORKDIR/trials.json in the form `kubectl get trials -o json`
prints, so `hpo-rig best/report/export --from WORKDIR/trials.json` read them.

The study is Optuna's own, in WORKDIR/optuna.journal (`optuna-dashboard WORKDIR/optuna.journal`
shows it). Run the same command again to resume an interrupted run; raise maxTrialCount (or
--max-trials) and run it again to extend a finished one (any other change of the spec is
refused). A host-process trial runs in the directory `hpo-rig run` is started in: relative
paths in its command are relative to it (a container's are paths in its image)."""

EPILOG = """\
exit status:
  0    the experiment succeeded (objective goal, trial limit or end of the grid reached)
  1    it failed (maxFailedTrialCount reached; timed-out trials count as Failed) or could
       not run (another run holds the workdir, or it holds a different experiment or spec,
       or a run of an earlier hpo-rig)
  2    usage error; an unreadable, malformed or oversized (over 10 MB) Experiment file;
       an Experiment Katib would refuse (judged as `hpo-rig validate` does, before any
       trial starts); an algorithm without a local equivalent
  130  interrupted by SIGINT, SIGTERM or SIGHUP (trials stopped, state kept; rerun the
       same command to resume); a second one kills the trials at once"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run an Experiment on this machine without a cluster",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("experiment", type=Path, help="Experiment YAML file")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where the study (optuna.journal), logs and trials.json go (default: "
        "hpo-rig-runs/<experiment name>)",
    )
    parser.add_argument(
        "--runner",
        choices=("docker", "process"),
        default="docker",
        help="run trials as docker containers of the trial image (default) or as host "
        "processes in the current directory (the command is looked up on PATH, e.g. "
        "hpo-rig-train)",
    )
    parser.add_argument(
        "--parallel", type=_positive, help="trials at once (default: spec.parallelTrialCount)"
    )
    parser.add_argument(
        "--max-trials",
        type=_positive,
        help="trial limit (default: spec.maxTrialCount); a higher one extends a finished run",
    )
    parser.add_argument(
        "--gpus",
        type=_count,
        help="docker runner: GPUs on this host, 0 for none (default: as many as "
        "`nvidia-smi -L` lists). A trial with a GPU limit gets its own device (--gpus "
        "device=K), round-robin, --trials-per-gpu at a time on each",
    )
    parser.add_argument(
        "--trials-per-gpu",
        type=_positive,
        default=1,
        help="docker runner: trials sharing one GPU (each with its own memory cap in its "
        "command) (default: 1); --parallel is capped at GPUs x this",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=10.0,
        help="seconds a stopped trial gets between SIGTERM and SIGKILL (default: 10)",
    )
    parser.add_argument(
        "--trial-timeout",
        type=_seconds,
        help="seconds a trial may run before it is stopped and marked Failed (reason "
        "DeadlineExceeded, as Katib marks a Job past spec.activeDeadlineSeconds, which is "
        "honoured too; the shorter one wins)",
    )
    add_live_arguments(
        parser,
        live="redraw a table in place (default on a terminal)",
        plain="print one line per trial event (default when not a terminal)",
    )
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _requests_gpu(experiment: Any) -> bool:
    """Whether the Experiment's trials carry a GPU limit (resolved with each parameter's
    first feasible value; a template that cannot be resolved so counts as one that does)."""
    from hpo_rig.engine.runners import gpu_limit
    from hpo_rig.experiment import ExperimentError

    sample = {p.name: (p.values[0] if p.values else p.min or "0") for p in experiment.parameters}
    try:
        return gpu_limit(experiment.resolve_trial(sample).resources) > 0
    except ExperimentError:
        return True


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _admitted(path: Path, text: str, documents: list[Any]) -> bool:
    """Judge the Experiment as `hpo-rig validate` does (the same code), before any trial
    starts: print each problem and warning; False if any problem would make Katib refuse it."""
    from hpo_rig.validate import errors, validate_text

    problems = validate_text(text)
    for problem in problems:
        print(f"hpo-rig run: {path}: {problem}", file=sys.stderr)
    refused = errors(problems)
    if refused:
        print(
            f"hpo-rig run: error: {path}: {len(refused)} problem(s) found as "
            f"{_judged_against(documents)} would; no trial started",
            file=sys.stderr,
        )
    return not refused


def _judged_against(documents: list[Any]) -> str:
    """Which Katib the rules came from (the API version of the file's Experiment)."""
    versions = [
        d.get("apiVersion")
        for d in documents
        if isinstance(d, dict) and d.get("kind") == "Experiment"
    ]
    version = str(versions[0]) if versions else V1BETA1
    return KATIB_RULES.get(version, f"Katib's {version} rules")


def run(args: argparse.Namespace) -> int:
    # Imported here: Optuna takes a moment to import, which other subcommands need not pay.
    from hpo_rig.engine import AlgorithmError, EarlyStoppingError, SearchSpaceError, StateError
    from hpo_rig.engine.core import RunOptions, run_experiment
    from hpo_rig.engine.runners import detect_gpus, make_runner
    from hpo_rig.engine.store import JOURNAL
    from hpo_rig.engine.view import make_view
    from hpo_rig.experiment import ExperimentError, load_experiment

    out = sys.stdout
    try:
        text = read_input(args.experiment)
        documents = parse_all(text, str(args.experiment))
    except InputFileError as error:
        print(f"hpo-rig run: error: {error}", file=sys.stderr)
        return 2
    if not _admitted(args.experiment, text, documents):
        return 2
    try:
        experiment = load_experiment(text)
    except ExperimentError as error:
        print(f"hpo-rig run: error: {args.experiment}: {error}", file=sys.stderr)
        return 2
    workdir = args.workdir or Path("hpo-rig-runs") / experiment.name
    parallel = args.parallel
    gpus = 0
    if args.runner == "docker":
        gpus = detect_gpus() if args.gpus is None else args.gpus
        capacity = gpus * args.trials_per_gpu
        wanted = parallel or experiment.parallel_trial_count
        if capacity and wanted > capacity and _requests_gpu(experiment):
            print(
                f"hpo-rig run: note: {wanted} parallel trials capped at {capacity} "
                f"({gpus} GPU(s) x {args.trials_per_gpu} trial(s) per GPU)",
                file=sys.stderr,
            )
            parallel = capacity
    options = RunOptions(
        workdir=workdir,
        parallel=parallel,
        max_trials=args.max_trials,
        grace_seconds=args.grace,
        trial_timeout=args.trial_timeout,
    )
    try:
        runner = make_runner(args.runner, gpus, args.trials_per_gpu)
        # Leaving the block stops the live table (and gives the cursor back) on any exit.
        with make_view(out, experiment, args.live) as view:
            result = run_experiment(experiment, runner, options, view)
    except (AlgorithmError, EarlyStoppingError, SearchSpaceError, ExperimentError) as error:
        print(f"hpo-rig run: error: {error}", file=sys.stderr)
        return 2
    except StateError as error:
        print(f"hpo-rig run: error: {error}", file=sys.stderr)
        return 1
    stream = out if result.exit_code == 0 else sys.stderr
    print(f"{result.reason}: {result.message}", file=stream)
    print(
        f"trials: {workdir / 'trials.json'}  logs: {workdir / 'logs'}  study: {workdir / JOURNAL}",
        file=out,
    )
    return result.exit_code
