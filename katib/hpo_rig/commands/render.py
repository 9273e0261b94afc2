"""`hpo-rig render`: values file -> Katib Experiment YAML (one document or a stream)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hpo_rig.render import load_values, render_experiment
from hpo_rig.yamlio import dump_documents


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render Katib Experiment YAML from a values file",
        description="Render one Experiment per entry of the values file (a file with an "
        "`experiments:` list gives a multi-document stream).",
    )
    parser.add_argument("values", type=Path, metavar="VALUES", help="values YAML file")
    parser.add_argument(
        "--api-version",
        help="kubeflow.org/v1beta1 (default), v1alpha3 or v1alpha2; overrides the values' "
        "api_version",
    )
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    documents: list[dict[str, Any]] = [
        render_experiment(values, args.api_version) for values in load_values(args.values)
    ]
    text = dump_documents(documents)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(documents)} experiment(s) to {args.output}", file=sys.stderr)
    return 0
