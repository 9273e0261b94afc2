"""`hpo-rig best`: the optimal trial, its parameters and the command line to rerun it."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any

from hpo_rig.commands._source import Snapshot, add_source_arguments, check_source, snapshot
from hpo_rig.experiment import ExperimentError
from hpo_rig.table import format_value
from hpo_rig.trials import Trial, best_trial

TRAINER = "hpo-rig-train"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "best",
        help="show the optimal trial and how to rerun it",
        description="Pick the best Succeeded or EarlyStopped trial under the objective "
        "(maximize/minimize, with the trial's metric strategy) and print its parameters and "
        "the trainer command line. The command comes from the Experiment's trial template "
        "when it is known (cluster, or --experiment); otherwise it is hpo-rig-train with one "
        "--flag=value per parameter.",
    )
    add_source_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    check_source(parser, args)
    view = snapshot(args)
    trial = best_trial(view.trials, view.objective)
    if trial is None:
        print(
            f"experiment {view.name}: no completed trial with {view.objective.metric} yet",
            file=sys.stderr,
        )
        return 1
    result = describe(view, trial)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"best trial: {trial.name} ({trial.state})")
    print(f"{view.objective.type} {view.objective.metric}: {format_value(result['objective'])}")
    print("parameters:")
    for name, value in trial.assignments.items():
        print(f"  {name} = {value}")
    print("metrics (min / max / latest):")
    for metric in trial.metrics.values():
        print(f"  {metric.name}: {metric.min} / {metric.max} / {metric.latest}")
    if result["image"]:
        print(f"image: {result['image']}")
    print("rerun:")
    print(f"  {shlex.join(result['command'])}")
    return 0


def describe(view: Snapshot, trial: Trial) -> dict[str, Any]:
    image = ""
    command = rerun_command(trial.assignments)
    if view.experiment is not None:
        try:
            run = view.experiment.resolve_trial(trial.assignments, trial_name=trial.name)
        except ExperimentError as error:
            print(
                f"note: trial template not usable ({error}); guessing the command", file=sys.stderr
            )
        else:
            image, command = run.image, list(run.command)
    return {
        "experiment": view.name,
        "trial": trial.name,
        "state": trial.state,
        "objective_metric": view.objective.metric,
        "objective": trial.objective_value(view.objective),
        "parameters": dict(trial.assignments),
        "metrics": {
            m.name: {"min": m.min, "max": m.max, "latest": m.latest} for m in trial.metrics.values()
        },
        "image": image,
        "command": command,
    }


def rerun_command(assignments: dict[str, str]) -> list[str]:
    """hpo-rig-train with each parameter as a flag (v1alpha names already are flags)."""
    flags = [
        (name if name.startswith("-") else "--" + name.replace("_", "-")) + "=" + value
        for name, value in assignments.items()
    ]
    return [TRAINER, *flags]
