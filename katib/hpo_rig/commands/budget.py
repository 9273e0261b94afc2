"""`hpo-rig budget`: change a running or finished Experiment's trial budget (katib#891).

Katib v0.19.0's validating webhook (pkg/webhook/v1beta1/experiment/validator/validator.go
ValidateExperiment) allows an update of spec.maxTrialCount, spec.parallelTrialCount and
spec.maxFailedTrialCount only, and refuses it when

- a count is out of range (maxTrialCount and parallelTrialCount > 0, maxFailedTrialCount >= 0,
  both others <= maxTrialCount);
- the Experiment is completed (Succeeded or Failed) and not restartable: restartable means
  Succeeded with reason ExperimentMaxTrialsReached and spec.resumePolicy LongRunning or
  FromVolume (pkg/controller.v1beta1/experiment/util/status_util.go
  IsCompletedExperimentRestartable); resumePolicy defaults to Never;
- the new maxTrialCount is not greater than status.trials.

hpo-rig checks the same before sending, with Katib's messages, and then sends a merge patch.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from hpo_rig import cluster
from hpo_rig.commands._kubectl import (
    RESOURCE,
    RESOURCES,
    add_cluster_arguments,
    namespace_of,
    not_found,
)
from hpo_rig.commands._output import add_output_argument, dump

EXIT_CODES = (
    "exit status: 0 budget updated (or already so); 1 Katib would refuse the change (the "
    "reason is printed); 2 usage error; 3 the cluster refused or is unreachable; 4 the "
    "experiment was not found, or Katib is not installed"
)
RESTARTABLE_POLICIES = ("LongRunning", "FromVolume")  # experimentsv1beta1.LongRunning, FromVolume
MAX_TRIALS_REACHED = "ExperimentMaxTrialsReached"  # status_util.go ExperimentMaxTrialsReachedReason
RESTART_MESSAGE = (
    "Experiment can be restarted if it is in succeeded state by reaching max trials and "
    "spec.resumePolicy = LongRunning or spec.resumePolicy = FromVolume, when experiment is "
    "completed"
)


class BudgetRefused(ValueError):
    """Katib's webhook would refuse this update."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "budget",
        help="raise an experiment's trial budget",
        description="Set spec.maxTrialCount (and optionally spec.parallelTrialCount and "
        "spec.maxFailedTrialCount), the only fields Katib lets you change on an existing "
        "Experiment. A running experiment goes on with the new budget; a Succeeded one "
        "restarts only if it stopped by reaching maxTrialCount and its resumePolicy is "
        "LongRunning or FromVolume (with the default resumePolicy Never it cannot be "
        "restarted: submit a new experiment). Katib's rules are checked before sending.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("name", metavar="NAME", help="the Experiment's name")
    parser.add_argument("--max-trials", type=int, required=True, metavar="N")
    parser.add_argument("--parallel", type=int, metavar="N", help="new parallelTrialCount")
    parser.add_argument("--max-failed", type=int, metavar="N", help="new maxFailedTrialCount")
    add_cluster_arguments(parser)
    add_output_argument(
        parser,
        ("json", "yaml", "name"),
        "a line saying what changed; json|yaml: the Experiment after the change, "
        "name: experiment.kubeflow.org/NAME, as kubectl patch -o prints",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    api = cluster.connect_admin(args.kubeconfig, args.context)
    version = cluster.version_of(args.api_version)
    namespace = namespace_of(args)
    experiment = cluster.get_experiment(api, namespace, args.name, version)
    if experiment is None:
        print(not_found(RESOURCES, args.name), file=sys.stderr)
        return 1
    change = {"maxTrialCount": args.max_trials}
    if args.parallel is not None:
        change["parallelTrialCount"] = args.parallel
    if args.max_failed is not None:
        change["maxFailedTrialCount"] = args.max_failed
    try:
        patch = check_update(experiment, change)
    except BudgetRefused as error:
        print(
            f"hpo-rig budget: Katib would refuse {RESOURCE}/{args.name}: {error}", file=sys.stderr
        )
        return 1
    if patch:
        experiment = cluster.patch_experiment(api, namespace, args.name, version, {"spec": patch})
    if args.output == "name":
        out.write(f"{RESOURCE}/{args.name}\n")
    elif args.output:
        out.write(dump(experiment, args.output))
    elif patch:
        summary = ", ".join(f"{key}={value}" for key, value in patch.items())
        out.write(f"{RESOURCE}/{args.name} patched ({summary})\n")
    else:
        out.write(f"{RESOURCE}/{args.name} unchanged\n")
    return 0


def check_update(experiment: dict[str, Any], change: dict[str, int]) -> dict[str, int]:
    """The fields that change, after validator.go's rules for an update; BudgetRefused if not."""
    spec = experiment.get("spec") or {}
    status = experiment.get("status") or {}
    merged: dict[str, int | None] = {
        key: change.get(key, _int_or_none(spec.get(key)))
        for key in ("maxTrialCount", "parallelTrialCount", "maxFailedTrialCount")
    }
    max_trials, parallel, max_failed = (
        merged["maxTrialCount"],
        merged["parallelTrialCount"],
        merged["maxFailedTrialCount"],
    )
    errors = []
    if max_failed is not None and max_failed < 0:
        errors.append(_invalid("maxFailedTrialCount", max_failed, "should not be less than 0"))
    if max_trials is not None and max_trials <= 0:
        errors.append(_invalid("maxTrialCount", max_trials, "must be greater than 0"))
    if parallel is not None and parallel <= 0:
        errors.append(_invalid("parallelTrialCount", parallel, "must be greater than 0"))
    if max_trials is not None:
        bound = "should be less than or equal to spec.maxTrialCount"
        if max_failed is not None and max_failed > max_trials:
            errors.append(_invalid("maxFailedTrialCount", max_failed, bound))
        if parallel is not None and parallel > max_trials:
            errors.append(_invalid("parallelTrialCount", parallel, bound))
    patch = {key: value for key, value in change.items() if spec.get(key) != value}
    if patch:  # validator.go checks the restart rules only when the spec changes
        if _completed(status) and not _restartable(spec, status):
            policy = spec.get("resumePolicy") or "Never"
            errors.append(f'spec.resumePolicy: Invalid value: "{policy}": {RESTART_MESSAGE}')
        trials = int(status.get("trials") or 0)
        if max_trials is not None and max_trials <= trials:
            errors.append(
                _invalid("maxTrialCount", max_trials, "must be greater than status.trials count")
            )
    if errors:
        # field.ErrorList's aggregate form: "[a, b]" for several, the error alone for one.
        raise BudgetRefused(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    return patch


def _invalid(key: str, value: int, detail: str) -> str:
    # k8s.io/apimachinery field.Invalid's Error(): "<path>: Invalid value: <value>: <detail>".
    return f"spec.{key}: Invalid value: {value}: {detail}"


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _condition_true(status: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == kind:
            return condition if str(condition.get("status")) == "True" else None
    return None


def _completed(status: dict[str, Any]) -> bool:
    return bool(_condition_true(status, "Succeeded") or _condition_true(status, "Failed"))


def _restartable(spec: dict[str, Any], status: dict[str, Any]) -> bool:
    succeeded = _condition_true(status, "Succeeded")
    return (
        succeeded is not None
        and succeeded.get("reason") == MAX_TRIALS_REACHED
        and spec.get("resumePolicy") in RESTARTABLE_POLICIES
    )
