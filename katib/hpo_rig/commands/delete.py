"""`hpo-rig delete`: delete Experiments, asking first as `kubectl delete --interactive` does.

Katib sets a controller owner reference from each Trial and the Suggestion to their Experiment
and from each trial's Job to its Trial (controllerutil.SetControllerReference in
pkg/controller.v1beta1/experiment/experiment_controller_util.go, experiment/suggestion/
suggestion.go, trial/trial_controller.go, v0.19.0), so the garbage collector removes them with
it; the delete asks for foreground propagation (cluster.delete_experiment).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from hpo_rig import cluster
from hpo_rig.commands._kubectl import (
    RESOURCE,
    RESOURCES,
    add_cluster_arguments,
    namespace_of,
    not_found,
)
from hpo_rig.commands._output import add_output_argument

EXIT_CODES = (
    "exit status: 0 every experiment deleted; 1 one was not found, the cluster refused, or the "
    "deletion was not confirmed; 2 usage error, or stdin is not a terminal and --yes is missing"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "delete",
        help="delete experiments and their trials",
        description="Delete the named Experiments; their Trials (and the trials' Jobs and "
        "Pods) go with them through their owner references. On a terminal it lists what it "
        "will delete and asks first; --yes skips the question, and without a terminal --yes "
        "is required.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("names", nargs="+", metavar="NAME", help="Experiment name(s)")
    add_cluster_arguments(parser)
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_output_argument(
        parser, ("name",), "a line per deleted experiment; name: experiment.kubeflow.org/NAME"
    )
    parser.set_defaults(func=run)


def run(
    args: argparse.Namespace,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    err = err or sys.stderr
    names = list(dict.fromkeys(args.names))
    namespace = namespace_of(args)
    if not args.yes:
        if not stdin.isatty():
            print(
                "hpo-rig delete: error: stdin is not a terminal, so nobody can confirm; "
                "pass --yes to delete without asking",
                file=err,
            )
            return 2
        out.write(f"You are about to delete the following {len(names)} resource(s):\n")
        for name in names:
            out.write(f"{RESOURCE}/{name} (namespace {namespace}) and its trials\n")
        out.write("Do you want to continue? (y/n): ")
        out.flush()
        answer = stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            print("deletion is cancelled", file=err)
            return 1
    api = cluster.connect(args.kubeconfig, args.context)
    version = cluster.version_of(args.api_version)
    status = 0
    for name in names:
        try:
            if cluster.get_experiment(api, namespace, name, version) is None:
                # kubectl reports each missing object and goes on with the others.
                print(not_found(RESOURCES, name), file=err)
                status = 1
                continue
            cluster.delete_experiment(api, namespace, name, version)
        except cluster.ClusterError as error:
            print(f"hpo-rig delete: error: {error}", file=err)
            status = 1
            continue
        # kubectl delete's lines (-o name: resource/name only).
        out.write(f"{RESOURCE}/{name}\n" if args.output else f'{RESOURCE} "{name}" deleted\n')
    return status
