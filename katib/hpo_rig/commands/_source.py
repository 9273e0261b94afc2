"""Where the read-only commands (watch, export, best, report) get trials and the Experiment.

Either a live cluster (``EXPERIMENT`` with ``-n``) or a file in the ``kubectl get trials -o
json`` form (``--from FILE``, e.g. a local engine's trials.json), optionally with the
Experiment's YAML (``--experiment FILE``) for the objective, parameter order and the trial
command.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from hpo_rig import cluster
from hpo_rig.commands._kubectl import add_cluster_arguments, namespace_of
from hpo_rig.duration import duration_argument
from hpo_rig.experiment import Experiment, Objective, load_experiment
from hpo_rig.trials import Trial, fetch_trials, load_trials


@dataclass(frozen=True)
class Snapshot:
    """What is known about one experiment at one moment."""

    name: str
    trials: list[Trial]
    objective: Objective
    experiment: Experiment | None
    finished: bool | None  # None: the source cannot say (a file without the Experiment)


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "experiment_name",
        nargs="?",
        metavar="EXPERIMENT",
        help="the Experiment's name in the cluster (omit with --from)",
    )
    parser.add_argument(
        "--from",
        dest="from_file",
        type=Path,
        metavar="FILE",
        help="read trials from FILE (kubectl get trials -o json form) instead of the cluster",
    )
    parser.add_argument(
        "--experiment",
        dest="experiment_file",
        type=Path,
        metavar="FILE",
        help="the Experiment YAML, for the objective and trial command when using --from",
    )
    add_cluster_arguments(parser)
    add_request_timeout(parser)


def add_request_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--request-timeout",
        type=duration_argument,
        default=cluster.DEFAULT_REQUEST_TIMEOUT,
        metavar="DURATION",
        help="how long one API request may take, as kubectl's (e.g. 30s, 1m; 0: no limit; "
        "default: %(default)gs)",
    )


def check_source(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors (exit 2) for a missing or doubled source."""
    if (args.experiment_name is None) == (args.from_file is None):
        parser.error("give either EXPERIMENT (from the cluster) or --from FILE")


def snapshot(args: argparse.Namespace) -> Snapshot:
    if args.from_file is not None:
        return _from_file(args.from_file, args.experiment_file)
    api = cluster.connect(args.kubeconfig, args.context, args.request_timeout)
    namespace = namespace_of(args)
    document = cluster.get_experiment(
        api, namespace, args.experiment_name, cluster.version_of(args.api_version)
    )
    if document is None:
        raise cluster.NotFoundError(
            f'Error from server (NotFound): experiments.kubeflow.org "{args.experiment_name}" '
            f"not found in namespace {namespace}",
            missing_type=False,
        )
    experiment = load_experiment(document)
    trials = fetch_trials(
        api, namespace, args.experiment_name, cluster.version_of(args.api_version)
    )
    return Snapshot(
        experiment.name,
        trials,
        experiment.objective,
        experiment,
        cluster.experiment_finished(document),
    )


def _from_file(path: Path, experiment_file: Path | None) -> Snapshot:
    trials = load_trials(path)
    experiment = load_experiment(experiment_file) if experiment_file is not None else None
    objective = experiment.objective if experiment is not None else _objective_of(trials)
    name = experiment.name if experiment else next((t.experiment for t in trials), path.stem)
    return Snapshot(name, trials, objective, experiment, None)


def _objective_of(trials: list[Trial]) -> Objective:
    # Katib copies the Experiment's objective into every Trial's spec.
    for trial in trials:
        spec = (trial.raw.get("spec") or {}).get("objective") or {}
        if spec.get("objectiveMetricName") and spec.get("type"):
            return Objective(
                type=str(spec["type"]),
                metric=str(spec["objectiveMetricName"]),
                goal=float(spec["goal"]) if spec.get("goal") is not None else None,
                additional_metrics=tuple(spec.get("additionalMetricNames") or ()),
            )
    raise ValueError("the trials carry no objective: give the Experiment with --experiment FILE")
