"""`hpo-rig render`: values file -> Katib Experiment YAML (one document or a stream)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hpo_rig.commands._output import add_file_argument, add_output_argument, as_json, v1_list, write
from hpo_rig.exitcodes import EPILOG
from hpo_rig.render import load_values, render_experiment
from hpo_rig.yamlio import dump_documents


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render Katib Experiment YAML from a values file",
        description="Render one Experiment per entry of the values file (a file with an "
        "`experiments:` list gives a multi-document stream).",
        epilog=EPILOG,
    )
    parser.add_argument("values", type=Path, metavar="VALUES", help="values YAML file")
    parser.add_argument(
        "--api-version",
        help="kubeflow.org/v1beta1 (default), v1alpha3 or v1alpha2; overrides the values' "
        "api_version",
    )
    add_output_argument(parser, ("yaml", "json"), "yaml; json: the object, or a List of several")
    add_file_argument(parser, "the Experiments")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    documents: list[dict[str, Any]] = [
        render_experiment(values, args.api_version) for values in load_values(args.values)
    ]
    if args.output == "json":
        text = as_json(documents[0] if len(documents) == 1 else v1_list(documents))
    else:
        text = dump_documents(documents)  # a stream of documents, as kubectl apply -f reads
    write(text, args.file, f"{len(documents)} experiment(s)")
    return 0
