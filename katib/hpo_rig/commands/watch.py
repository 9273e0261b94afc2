"""`hpo-rig watch`: a live table of an experiment's trials until it finishes."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from hpo_rig import exitcodes
from hpo_rig.cluster import experiment_outcome
from hpo_rig.commands._output import add_live_arguments, add_output_argument, dump
from hpo_rig.commands._source import Snapshot, add_source_arguments, check_source, snapshot
from hpo_rig.duration import duration_argument
from hpo_rig.exitcodes import EPILOG
from hpo_rig.table import summary, trial_rows, trial_table
from hpo_rig.trials import (
    FAILED,
    FINISHED_STATES,
    METRICS_UNAVAILABLE,
    best_trial,
    trial_list_document,
)

if TYPE_CHECKING:
    from hpo_rig.live import LiveTable

ONCE_FORMATS = ("json", "yaml")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "watch",
        help="show a live table of trials until the experiment finishes",
        description="Refresh a table of the trials (state, parameters, objective) with the "
        "progress toward maxTrialCount and the best trial so far, until the experiment "
        "finishes. With --from FILE the file is re-read each time (e.g. a local run's "
        "trials.json); it counts as finished once maxTrialCount trials (known from "
        "--experiment) have finished, or, without it, once no trial is left unfinished. "
        "The objective column is each trial's value under its metric strategy (named in the "
        "header, e.g. 'accuracy (max)'), the figure best and report use. On a terminal the "
        "table is redrawn in place; otherwise (or with --plain) the summary and the table are "
        "printed as text at each refresh. "
        "The exit code says how it ended: 0 Succeeded, 1 Failed, 5 --timeout ran out.",
        epilog=EPILOG,
    )
    add_source_arguments(parser)
    parser.add_argument(
        "-i",
        "--interval",
        type=duration_argument,
        default=10.0,
        metavar="DURATION",
        help="time between refreshes, seconds or a duration such as 5s or 1m "
        "(default: %(default)gs)",
    )
    parser.add_argument(
        "--timeout",
        type=duration_argument,
        metavar="DURATION",
        help="give up (exit 5) when the experiment has not finished after DURATION, "
        "kubectl-style: 30s, 10m, 1h (default: wait until it finishes)",
    )
    parser.add_argument("--once", action="store_true", help="print the table once and exit")
    add_output_argument(
        parser, ONCE_FORMATS, "the table; with --once, json|yaml print the trials instead"
    )
    add_live_arguments(
        parser,
        live="redraw the table in place (default on a terminal, except with --once)",
        plain="print the summary and the table as text at each refresh (default when not a "
        "terminal)",
    )
    parser.set_defaults(func=lambda args: run(args, parser))


def run(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    out: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    check_source(parser, args)
    if args.output and not args.once:
        parser.error(f"-o {args.output} needs --once")
    out = out or sys.stdout
    live = getattr(args, "live", None)
    if live is None:
        live = out.isatty() and not args.once
    table: LiveTable | None = None
    if live:
        from hpo_rig.live import LiveTable  # rich only when a table is drawn

        table = LiveTable(out)
    try:
        code, message = _follow(args, out, table, sleep, clock)
    finally:
        if table is not None:
            table.close()
    # Said once the live table has stopped, so that it stays on stderr and below the table.
    if message:
        print(message, file=sys.stderr)
    return code


def _follow(
    args: argparse.Namespace,
    out: TextIO,
    table: LiveTable | None,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> tuple[int, str]:
    """Refresh until the experiment ends or time runs out: the exit code and what to say."""
    timeout = getattr(args, "timeout", None)
    deadline = clock() + timeout if timeout else None
    while True:
        view = snapshot(args)
        if args.output:
            # The trials as `kubectl get trials -o json|yaml` prints them; the exit status
            # still says how the experiment stands.
            out.write(dump(trial_list_document(view.trials), args.output))
            ending = outcome(view)
            return (exitcodes.FAILED if ending and ending[0] == "Failed" else exitcodes.OK), ""
        maximum = view.experiment.max_trial_count if view.experiment else None
        title = summary(view.name, view.trials, view.objective, maximum)
        if table is not None:
            table.show(title, *trial_rows(view.trials, view.objective, view.experiment))
        else:
            out.write(title + "\n")
            out.write(trial_table(view.trials, view.objective, view.experiment) + "\n\n")
            out.flush()
        ending = outcome(view)
        if ending is not None:
            state, message = ending
            if state == "Failed":
                return exitcodes.FAILED, f"experiment {view.name} Failed: {message}".rstrip(": ")
            return exitcodes.OK, ""
        if args.once:
            return exitcodes.OK, ""
        if deadline is not None and clock() >= deadline:
            return exitcodes.TIMEOUT, (
                f"hpo-rig watch: error: timed out waiting for experiment {view.name} to finish "
                f"after {timeout:g}s"
            )
        wait = args.interval if deadline is None else min(args.interval, deadline - clock())
        sleep(max(wait, 0.0))


def outcome(view: Snapshot) -> tuple[str, str] | None:
    """How the experiment ended (``Succeeded``/``Failed`` and why), or None while it runs.

    From a cluster, Katib's own condition. From a file, Katib's rule
    (v0.19.0 pkg/controller.v1beta1/experiment/util/status_util.go,
    UpdateExperimentStatusCondition): the goal reached succeeds; Failed plus
    MetricsUnavailable trials reaching maxFailedTrialCount fail; maxTrialCount completed
    trials succeed.
    """
    if view.finished is not None:
        raw = view.experiment.raw if view.experiment else {}
        return experiment_outcome(raw) if view.finished else None
    if goal_reached(view):
        return "Succeeded", "Experiment has succeeded because Objective goal has reached"
    done = [t for t in view.trials if t.state in FINISHED_STATES]
    experiment = view.experiment
    if experiment is None or experiment.max_trial_count is None:
        finished = bool(view.trials) and len(done) == len(view.trials)
        return ("Succeeded", "") if finished else None
    failed = sum(t.state in (FAILED, METRICS_UNAVAILABLE) for t in view.trials)
    limit = experiment.max_failed_trial_count
    if limit is not None and failed != 0 and failed >= limit:
        return "Failed", "Experiment has failed because max failed count has reached"
    if len(done) >= experiment.max_trial_count:
        return "Succeeded", "Experiment has succeeded because max trial count has reached"
    return None


def goal_reached(view: Snapshot) -> bool:
    goal = view.objective.goal
    best = best_trial(view.trials, view.objective)
    value = best.objective_value(view.objective) if best else None
    if goal is None or value is None:
        return False
    return value >= goal if view.objective.type == "maximize" else value <= goal
