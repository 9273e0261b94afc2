"""`hpo-rig list`: the Experiments of a namespace, as `kubectl get experiments` lists them.

Katib v0.19.0's CRD (manifests/v1beta1/components/crd/experiment.yaml) prints Type
(``.status.conditions[-1:].type``), Status and Age; hpo-rig shows the condition type as STATUS
and adds what `kubectl get` cannot: the optimal objective value and the trial counts.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from typing import Any, TextIO

from hpo_rig import cluster
from hpo_rig.commands._kubectl import (
    EXIT_CODES,
    RESOURCE,
    add_cluster_arguments,
    age,
    namespace_of,
    tabulate,
)
from hpo_rig.commands._output import add_output_argument, dump, v1_list
from hpo_rig.experiment import Objective
from hpo_rig.table import format_value
from hpo_rig.trials import Metric, metric_strategy

NONE = "<none>"  # kubectl's cell for an absent value
OUTPUTS = ("wide", "json", "yaml", "name", "csv")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "list",
        help="list experiments (like kubectl get experiments)",
        description="List the Experiments of a namespace (-n) or of all namespaces (-A) with "
        "NAME, STATUS (the type of Katib's latest condition), OPTIMAL (the objective value of "
        "status.currentOptimalTrial under the objective's metric strategy), the succeeded, "
        "running and failed trial counts and AGE. -o wide adds the pending, killed, "
        "early-stopped and total counts, maxTrialCount, the algorithm and the optimal trial; "
        "-o json|yaml print a List of the objects, -o name prints experiment.kubeflow.org/NAME, "
        "-o csv a header row and one row per experiment with the wide columns, the namespace "
        "and the creation time.",
        epilog=EXIT_CODES,
    )
    add_cluster_arguments(parser)
    parser.add_argument(
        "-A",
        "--all-namespaces",
        action="store_true",
        help="list the experiments of every namespace (ignores -n)",
    )
    add_output_argument(parser, OUTPUTS, "a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    api = cluster.connect_admin(args.kubeconfig, args.context)
    namespace = None if args.all_namespaces else namespace_of(args)
    items = cluster.list_experiments(api, namespace, cluster.version_of(args.api_version))
    if args.output in ("json", "yaml"):
        # kubectl get -o json|yaml of several objects: a v1 List.
        out.write(dump(v1_list(items), args.output))
        return 0
    if args.output == "csv":
        out.write(to_csv(items))
        return 0
    if not items:
        # kubectl's message on stderr, exit status 0.
        where = "" if namespace is None else f" in {namespace} namespace"
        print(f"No resources found{where}.", file=err)
        return 0
    if args.output == "name":
        for item in items:
            out.write(f"{RESOURCE}/{item['metadata']['name']}\n")
        return 0
    header, rows = table(items, wide=args.output == "wide", all_namespaces=namespace is None)
    out.write(tabulate(header, rows) + "\n")
    return 0


def table(
    items: list[dict[str, Any]], *, wide: bool, all_namespaces: bool
) -> tuple[list[str], list[list[str]]]:
    header = ["NAME", "STATUS", "OPTIMAL", "SUCCEEDED", "RUNNING", "FAILED", "AGE"]
    if wide:
        header += [
            "PENDING",
            "KILLED",
            "EARLYSTOPPED",
            "TRIALS",
            "MAX",
            "ALGORITHM",
            "OPTIMAL TRIAL",
        ]
    if all_namespaces:
        header.insert(0, "NAMESPACE")
    rows = []
    for item in items:
        metadata = item.get("metadata") or {}
        spec = item.get("spec") or {}
        status = item.get("status") or {}
        row = [
            str(metadata.get("name", "")),
            condition_type(status),
            optimal_value(item),
            _count(status, "trialsSucceeded"),
            _count(status, "trialsRunning"),
            _count(status, "trialsFailed"),
            age(metadata.get("creationTimestamp")),
        ]
        if wide:
            row += [
                _count(status, "trialsPending"),
                _count(status, "trialsKilled"),
                _count(status, "trialsEarlyStopped"),
                _count(status, "trials"),
                str(spec["maxTrialCount"]) if spec.get("maxTrialCount") is not None else NONE,
                str((spec.get("algorithm") or {}).get("algorithmName") or NONE),
                str((status.get("currentOptimalTrial") or {}).get("bestTrialName") or NONE),
            ]
        if all_namespaces:
            row.insert(0, str(metadata.get("namespace", "")))
        rows.append(row)
    return header, rows


def to_csv(items: list[dict[str, Any]]) -> str:
    """The wide table's columns with the namespace, for spreadsheets: the creation time instead
    of AGE, empty cells instead of ``<none>``, quoted by the csv module."""
    header, rows = table(items, wide=True, all_namespaces=True)
    age_column = header.index("AGE")
    header[age_column] = "CREATED"
    for row, item in zip(rows, items, strict=True):
        row[age_column] = str((item.get("metadata") or {}).get("creationTimestamp") or "")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([name.lower().replace(" ", "_") for name in header])
    writer.writerows([["" if cell == NONE else cell for cell in row] for row in rows])
    return buffer.getvalue()


def condition_type(status: dict[str, Any]) -> str:
    """The CRD's Type column: ``.status.conditions[-1:].type``."""
    conditions = status.get("conditions") or []
    return str(conditions[-1].get("type") or NONE) if conditions else NONE


def optimal_value(experiment: dict[str, Any]) -> str:
    """The objective metric of status.currentOptimalTrial, read as Katib reads a trial's value
    (pkg/controller.v1beta1/experiment/util/status_util.go getObjectiveMetricValue, v0.19.0):
    the strategy's min/max, falling back to latest when that is ``unavailable`` (the same
    ``Metric.value`` that values every trial shown by watch, run, best and report)."""
    spec = (experiment.get("spec") or {}).get("objective") or {}
    objective = Objective(str(spec.get("type")), str(spec.get("objectiveMetricName")))
    optimal = (experiment.get("status") or {}).get("currentOptimalTrial") or {}
    for item in (optimal.get("observation") or {}).get("metrics") or []:
        if item.get("name") == objective.metric:
            metric = Metric(
                objective.metric,
                *(str(item.get(key, "")) for key in ("min", "max", "latest")),
            )
            value = metric.value(metric_strategy(objective, spec))
            return NONE if value is None else format_value(value)
    return NONE


def _count(status: dict[str, Any], key: str) -> str:
    # The counters are omitempty: absent means 0.
    return str(status.get(key) or 0)
