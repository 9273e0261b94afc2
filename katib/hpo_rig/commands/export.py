"""`hpo-rig export`: trials as JSON (kubectl get trials -o json form) or CSV."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from hpo_rig.commands._source import Snapshot, add_source_arguments, check_source, snapshot
from hpo_rig.exitcodes import EPILOG
from hpo_rig.table import parameter_names
from hpo_rig.trials import format_time, trial_list_document


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export trials as JSON or CSV",
        description="JSON keeps Katib's own form (kubectl get trials -o json); CSV has one "
        "row per trial and one column per parameter and per metric, each under its Katib "
        "metric strategy (the trial's metricStrategies, else max when maximizing, min when "
        "minimizing, for additional metrics too).",
        epilog=EPILOG,
    )
    add_source_arguments(parser)
    parser.add_argument(
        "-f", "--format", choices=("json", "csv"), help="default: from -o's suffix, else json"
    )
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: stdout")
    parser.set_defaults(func=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    check_source(parser, args)
    view = snapshot(args)
    suffix = args.output.suffix.lstrip(".").lower() if args.output else ""
    kind = args.format or ("csv" if suffix == "csv" else "json")
    text = (
        to_csv(view)
        if kind == "csv"
        else json.dumps(trial_list_document(view.trials), indent=2) + "\n"
    )
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(view.trials)} trial(s) to {args.output}", file=sys.stderr)
    return 0


def to_csv(view: Snapshot) -> str:
    parameters = parameter_names(view.trials, view.experiment)
    metrics = list(view.objective.metrics)
    for trial in view.trials:
        metrics += [name for name in trial.metrics if name not in metrics]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["trial", "state", "created", "started", "completed", "duration_s", *parameters, *metrics]
    )
    for trial in view.trials:
        values = []
        for name in metrics:
            metric = trial.metrics.get(name)
            if metric is None:
                values.append("")
            else:
                values.append(_text(trial.metric_value(name, view.objective)))
        writer.writerow(
            [
                trial.name,
                trial.state,
                *(
                    format_time(t) if t else ""
                    for t in (trial.created, trial.started, trial.completed)
                ),
                _text(trial.duration_s),
                *(trial.assignments.get(name, "") for name in parameters),
                *values,
            ]
        )
    return buffer.getvalue()


def _text(value: float | None) -> str:
    return "" if value is None else repr(value)
