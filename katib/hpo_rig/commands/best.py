"""`hpo-rig best`: the optimal trial, its parameters and the command line to rerun it."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from hpo_rig.commands._output import add_output_argument, dump
from hpo_rig.commands._source import Snapshot, add_source_arguments, check_source, snapshot
from hpo_rig.exitcodes import EPILOG
from hpo_rig.experiment import ExperimentError
from hpo_rig.table import format_value
from hpo_rig.trials import Trial, best_trial, run_spec_command

TRAINER = "hpo-rig-train"
FROM_STATUS = "from status.currentOptimalTrial"
COMPUTED = "computed as Katib does"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "best",
        help="show the optimal trial and how to rerun it",
        description="Show the Experiment's optimal trial. From a cluster (or an --experiment "
        "file carrying a status) it is status.currentOptimalTrial, as Katib's UI and SDK show "
        "it; otherwise it is computed by Katib's own rule: every trial with a numeric "
        "objective observation, Running ones included, valued under its metric strategy "
        "(max when maximizing, min when minimizing unless metricStrategies says otherwise). "
        "The output says which source was used. The command is the trial's own, from its "
        "spec.runSpec (primary container command and args); without a runSpec it is filled "
        "in from the Experiment's trial template (cluster or --experiment), else hpo-rig-train "
        "with one --flag=value per parameter, and the output says so.",
        epilog=EPILOG,
    )
    add_source_arguments(parser)
    add_output_argument(parser, ("json", "yaml"), "text")
    parser.set_defaults(func=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    check_source(parser, args)
    view = snapshot(args)
    trial, source = optimal_trial(view)
    if trial is None:
        print(
            f"experiment {view.name}: no trial with a numeric {view.objective.metric} "
            "observation yet",
            file=sys.stderr,
        )
        return 1
    result = describe(view, trial)
    result["source"] = source
    if args.output:
        sys.stdout.write(dump(result, args.output))
        return 0
    print(f"best trial: {trial.name} ({trial.state}), {source}")
    print(f"{view.objective.type} {view.objective.metric}: {format_value(result['objective'])}")
    print("parameters:")
    for name, value in trial.assignments.items():
        print(f"  {name} = {value}")
    print("metrics (min / max / latest):")
    for metric in trial.metrics.values():
        print(f"  {metric.name}: {metric.min} / {metric.max} / {metric.latest}")
    if result["image"]:
        print(f"image: {result['image']}")
    print(f"rerun ({result['command_source']}):")
    print(f"  {shlex.join(result['command'])}")
    return 0


def optimal_trial(view: Snapshot) -> tuple[Trial | None, str]:
    """The trial Katib names in status.currentOptimalTrial, else the one its rule picks.

    Katib's Python SDK (v0.19.0 sdk/python/v1beta1/kubeflow/katib/api/katib_client.py,
    get_optimal_hyperparameters) takes status.currentOptimalTrial once its observation has
    metrics; the controller fills it in updateTrialsSummary
    (pkg/controller.v1beta1/experiment/util/status_util.go), which best_trial follows.
    """
    status = (view.experiment.raw.get("status") if view.experiment else None) or {}
    optimal = status.get("currentOptimalTrial") or {}
    name = optimal.get("bestTrialName")
    if name and (optimal.get("observation") or {}).get("metrics"):
        named = next((t for t in view.trials if t.name == name), None)
        if named is not None:
            return named, FROM_STATUS
        print(
            f"note: status.currentOptimalTrial names {name}, which is not among the trials; "
            "computing it instead",
            file=sys.stderr,
        )
    return best_trial(view.trials, view.objective), COMPUTED


def describe(view: Snapshot, trial: Trial) -> dict[str, Any]:
    image = ""
    command = rerun_command(trial.assignments)
    command_source = (
        "no spec.runSpec, so not the trial's own command: hpo-rig-train with the "
        "parameters as flags"
    )
    from_run_spec = run_spec_command(trial)
    if from_run_spec is not None:
        image, command = from_run_spec
        command_source = "the trial's spec.runSpec"
    elif view.experiment is not None:
        try:
            run = view.experiment.resolve_trial(trial.assignments, trial_name=trial.name)
        except ExperimentError as error:
            print(
                f"note: trial template not usable ({error}); guessing the command", file=sys.stderr
            )
        else:
            image, command = run.image, list(run.command)
            command_source = (
                "no spec.runSpec, so not the trial's own command: filled in from the "
                "Experiment's trial template"
            )
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
        "command_source": command_source,
    }


def rerun_command(assignments: dict[str, str]) -> list[str]:
    """hpo-rig-train with each parameter as a flag (v1alpha names already are flags)."""
    flags = [
        (name if name.startswith("-") else "--" + name.replace("_", "-")) + "=" + value
        for name, value in assignments.items()
    ]
    return [TRAINER, *flags]
