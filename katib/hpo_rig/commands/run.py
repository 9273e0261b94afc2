"""``hpo-rig run``: run a Katib Experiment on this machine, without a cluster."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DESCRIPTION = """\
Run a Katib Experiment locally: Optuna suggests the parameters (mapped from the Experiment's
algorithm), each trial runs as a container of the trialSpec's image (--runner docker) or as
a host process (--runner process), metrics are read from its output with Katib's StdOut
filter, and the results land in WORKDIR/trials.json in the form `kubectl get trials -o json`
prints, so `hpo-rig best/report/export --from WORKDIR/trials.json` read them. Run the same
command again to resume an interrupted run."""

EPILOG = """\
exit status: 0 the experiment succeeded (goal or trial limit reached), 1 it failed
(maxFailedTrialCount reached) or could not run, 2 usage error or an algorithm without a
local equivalent, 130 interrupted (state kept; rerun to resume)."""


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
        help="where state, logs and trials.json go (default: hpo-rig-runs/<experiment name>)",
    )
    parser.add_argument(
        "--runner",
        choices=("docker", "process"),
        default="docker",
        help="run trials as docker containers of the trial image (default) or as host "
        "processes (the command is looked up on PATH, e.g. hpo-rig-train)",
    )
    parser.add_argument(
        "--parallel", type=_positive, help="trials at once (default: spec.parallelTrialCount)"
    )
    parser.add_argument(
        "--max-trials", type=_positive, help="trial limit (default: spec.maxTrialCount)"
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=10.0,
        help="seconds a stopped trial gets between SIGTERM and SIGKILL (default: 10)",
    )
    view = parser.add_mutually_exclusive_group()
    view.add_argument(
        "--live",
        dest="live",
        action="store_true",
        default=None,
        help="redraw a table in place (default on a terminal)",
    )
    view.add_argument(
        "--plain",
        dest="live",
        action="store_false",
        help="print one line per trial event (default when not a terminal)",
    )
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    # Imported here: Optuna takes a moment to import, which other subcommands need not pay.
    from hpo_rig.engine import AlgorithmError, EarlyStoppingError, SearchSpaceError, StateError
    from hpo_rig.engine.core import RunOptions, run_experiment
    from hpo_rig.engine.runners import make_runner
    from hpo_rig.engine.view import make_view
    from hpo_rig.experiment import ExperimentError, load_experiment

    out = sys.stdout
    try:
        experiment = load_experiment(args.experiment)
    except (ExperimentError, OSError) as error:
        print(f"hpo-rig run: error: {error}", file=sys.stderr)
        return 2
    workdir = args.workdir or Path("hpo-rig-runs") / experiment.name
    options = RunOptions(
        workdir=workdir,
        parallel=args.parallel,
        max_trials=args.max_trials,
        grace_seconds=args.grace,
    )
    view = make_view(out, experiment.objective.metric, args.live)
    try:
        result = run_experiment(experiment, make_runner(args.runner), options, view)
    except (AlgorithmError, EarlyStoppingError, SearchSpaceError, ExperimentError) as error:
        print(f"hpo-rig run: error: {error}", file=sys.stderr)
        return 2
    except StateError as error:
        print(f"hpo-rig run: error: {error}", file=sys.stderr)
        return 1
    stream = out if result.exit_code == 0 else sys.stderr
    print(f"{result.reason}: {result.message}", file=stream)
    print(f"trials: {workdir / 'trials.json'}  logs: {workdir / 'logs'}", file=out)
    return result.exit_code
