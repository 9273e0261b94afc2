"""`hpo-rig report`: PNG figures and a self-contained HTML page for an experiment."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hpo_rig.commands._source import add_source_arguments, check_source, snapshot
from hpo_rig.exitcodes import EPILOG


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write PNG figures and a self-contained HTML report",
        description="Write NAME-objective.png (objective per trial over time, best so far), "
        "NAME-parameters.png (each parameter against the objective), NAME-parallel.png "
        "(parallel coordinates) and NAME.html, which embeds them and a trial table and "
        "loads nothing from elsewhere.",
        epilog=EPILOG,
    )
    add_source_arguments(parser)
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="directory for the files, made if missing (default: %(default)s)",
    )
    parser.set_defaults(func=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    # matplotlib takes about a second to import: only this command pays for it.
    from hpo_rig.report import html_page, objective_png, parallel_png, parameters_png

    check_source(parser, args)
    view = snapshot(args)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    print(f"drawing {len(view.trials)} trial(s) of {view.name}", file=sys.stderr)
    images = [
        ("objective per trial", objective_png(view.trials, view.objective)),
        (
            "parameters against the objective",
            parameters_png(view.trials, view.objective, view.experiment),
        ),
        ("parallel coordinates", parallel_png(view.trials, view.objective, view.experiment)),
    ]
    for suffix, (_, data) in zip(("objective", "parameters", "parallel"), images, strict=True):
        (args.output_dir / f"{view.name}-{suffix}.png").write_bytes(data)
    page = args.output_dir / f"{view.name}.html"
    page.write_text(
        html_page(view.name, view.trials, view.objective, view.experiment, images),
        encoding="utf-8",
    )
    print(f"wrote {page} and 3 PNG files in {args.output_dir}")
    return 0
