"""`hpo-rig submit`: create Experiments in the cluster after validating them."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any

from hpo_rig import cluster
from hpo_rig.commands._kubectl import add_kubeconfig_arguments, add_namespace_argument, namespace_of
from hpo_rig.commands._source import add_request_timeout
from hpo_rig.exitcodes import EPILOG
from hpo_rig.validate import errors, validate_experiment
from hpo_rig.yamlio import parse_all, read_input

LOG = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "submit",
        help="validate and create Experiments in the cluster",
        description="Create each Experiment of the files with the Kubernetes API. An existing "
        "Experiment of the same name is only deleted and recreated with --replace.",
        epilog=EPILOG,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="Experiment YAML ('-': stdin)")
    add_namespace_argument(
        parser,
        "put every Experiment in this namespace (default: its metadata.namespace, else the "
        "kubeconfig context's, else default)",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="delete an existing Experiment of the same name (running or not) first",
    )
    parser.add_argument(
        "--wait-deleted",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="how long --replace waits for the old Experiment to go (default: %(default)s)",
    )
    add_kubeconfig_arguments(parser)
    add_request_timeout(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    documents = _experiments(args.files, args.namespace, namespace_of(args))
    findings = [
        (doc["metadata"].get("name"), p) for doc in documents for p in validate_experiment(doc)
    ]
    for name, problem in findings:
        print(f"{name}: {problem}", file=sys.stderr)
    if errors([problem for _name, problem in findings]):
        print("nothing submitted: fix the problems above", file=sys.stderr)
        return 1
    api = cluster.connect(args.kubeconfig, args.context, args.request_timeout)
    status = 0
    for document in documents:
        if not _submit(api, document, args.replace, args.wait_deleted):
            status = 1
    return status


def _experiments(
    files: list[str], namespace: str | None, default_namespace: str
) -> list[dict[str, Any]]:
    """The Experiments of the files, each with its namespace: ``-n``, else its own, else
    the kubeconfig context's (kubectl create's rule for an object that names none)."""
    documents: list[dict[str, Any]] = []
    for name in files:
        text = sys.stdin.read() if name == "-" else read_input(name)
        for document in parse_all(text, name):
            if isinstance(document, dict) and document.get("kind") == "Experiment":
                document.setdefault("metadata", {})
                if namespace:
                    document["metadata"]["namespace"] = namespace
                elif not document["metadata"].get("namespace"):
                    document["metadata"]["namespace"] = default_namespace
                documents.append(document)
    if not documents:
        raise ValueError("no Experiment in the given files")
    return documents


def _submit(
    api: cluster.CustomObjectsApi, document: dict[str, Any], replace: bool, wait_s: float
) -> bool:
    metadata = document["metadata"]
    name, namespace = str(metadata.get("name")), str(metadata.get("namespace") or "default")
    version = cluster.version_of(str(document["apiVersion"]))
    existing = cluster.get_experiment(api, namespace, name, version)
    if existing is not None:
        state = "finished" if cluster.experiment_finished(existing) else "running"
        if not replace:
            print(
                f"experiment {namespace}/{name} already exists ({state}); "
                "use --replace to delete and recreate it",
                file=sys.stderr,
            )
            return False
        LOG.info("deleting the %s experiment %s/%s", state, namespace, name)
        cluster.delete_experiment(api, namespace, name, version)
        deadline = time.monotonic() + wait_s
        while cluster.get_experiment(api, namespace, name, version) is not None:
            if time.monotonic() > deadline:
                print(
                    f"experiment {namespace}/{name} still exists after {wait_s:g}s",
                    file=sys.stderr,
                )
                return False
            time.sleep(2)
    cluster.create_experiment(api, document)
    print(f"experiment {namespace}/{name} created")
    return True
