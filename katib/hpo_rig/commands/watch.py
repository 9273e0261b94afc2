"""`hpo-rig watch`: a live table of an experiment's trials until it finishes."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TextIO

from hpo_rig.commands._source import Snapshot, add_source_arguments, check_source, snapshot
from hpo_rig.exitcodes import EPILOG
from hpo_rig.table import summary, trial_table
from hpo_rig.trials import FAILED, FINISHED_STATES, best_trial

CLEAR_SCREEN = "\x1b[H\x1b[2J"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "watch",
        help="show a live table of trials until the experiment finishes",
        description="Refresh a table of the trials (state, parameters, objective) with the "
        "progress toward maxTrialCount and the best trial so far, until the experiment "
        "finishes. With --from FILE the file is re-read each time (e.g. a local run's "
        "trials.json); it counts as finished once maxTrialCount trials (known from "
        "--experiment) have finished, or, without it, once no trial is left unfinished.",
        epilog=EPILOG,
    )
    add_source_arguments(parser)
    parser.add_argument(
        "-i", "--interval", type=float, default=10.0, help="seconds between refreshes"
    )
    parser.add_argument("--once", action="store_true", help="print the table once and exit")
    parser.set_defaults(func=lambda args: run(args, parser))


def run(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    out: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    check_source(parser, args)
    out = out or sys.stdout
    clear = out.isatty()
    while True:
        view = snapshot(args)
        maximum = view.experiment.max_trial_count if view.experiment else None
        if clear:
            out.write(CLEAR_SCREEN)
        out.write(summary(view.name, view.trials, view.objective, maximum) + "\n")
        out.write(trial_table(view.trials, view.objective, view.experiment) + "\n\n")
        out.flush()
        if args.once or is_complete(view):
            return 0
        sleep(args.interval)


def is_complete(view: Snapshot) -> bool:
    if view.finished is not None:
        return view.finished
    done = [t for t in view.trials if t.state in FINISHED_STATES]
    if goal_reached(view):
        return True
    experiment = view.experiment
    if experiment is None or experiment.max_trial_count is None:
        return bool(view.trials) and len(done) == len(view.trials)
    failed = sum(t.state == FAILED for t in view.trials)
    too_many_failed = (
        experiment.max_failed_trial_count is not None and failed > experiment.max_failed_trial_count
    )
    return len(done) >= experiment.max_trial_count or too_many_failed


def goal_reached(view: Snapshot) -> bool:
    goal = view.objective.goal
    best = best_trial(view.trials, view.objective)
    value = best.objective_value(view.objective) if best else None
    if goal is None or value is None:
        return False
    return value >= goal if view.objective.type == "maximize" else value <= goal
