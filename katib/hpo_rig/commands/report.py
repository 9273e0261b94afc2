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
        description="Write NAME-objective.png (objective per trial, best so far, goal), "
        "NAME-parameters.png (each parameter against the objective), NAME-parallel.png "
        "(parallel coordinates), NAME-importances.png (Optuna's parameter importances), "
        "NAME-timeline.png (each trial from start to end) and NAME.html, which embeds them "
        "and a trial table and loads nothing from elsewhere. logUniform and logNormal "
        "parameters are drawn on log axes (their distribution comes from the Experiment: "
        "give --experiment with --from); colours by the objective are darker for better "
        "trials; Failed and MetricsUnavailable trials are in the timeline and the table only.",
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
    # matplotlib and Optuna take about a second to import: only this command pays for it.
    from hpo_rig.report import draw_report
    from hpo_rig.report.page import html_page
    from hpo_rig.report.png import png_bytes

    check_source(parser, args)
    view = snapshot(args)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    print(f"drawing {len(view.trials)} trial(s) of {view.name}", file=sys.stderr)
    report = draw_report(view.trials, view.objective, view.experiment)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    images = []
    for image in report.images:
        data = png_bytes(image.figure)
        (args.output_dir / f"{view.name}-{image.slug}.png").write_bytes(data)
        images.append((image.title, data))
    page = args.output_dir / f"{view.name}.html"
    page.write_text(
        html_page(view.name, view.trials, view.objective, view.experiment, images, report.notes),
        encoding="utf-8",
    )
    print(f"wrote {page} and {len(images)} PNG files in {args.output_dir}")
    return 0
