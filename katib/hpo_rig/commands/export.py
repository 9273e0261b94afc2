"""`hpo-rig export`: trials as JSON or YAML (kubectl get trials -o json|yaml form) or CSV."""

from __future__ import annotations

import argparse
import csv
import io

from hpo_rig.commands._output import add_file_argument, add_output_argument, dump, write
from hpo_rig.commands._source import Snapshot, add_source_arguments, check_source, snapshot
from hpo_rig.exitcodes import EPILOG
from hpo_rig.table import parameter_names
from hpo_rig.trials import format_time, trial_list_document

FORMATS = ("json", "yaml", "csv")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export trials as JSON, YAML or CSV",
        description="JSON and YAML keep Katib's own form (kubectl get trials -o json|yaml); "
        "CSV has a header row and one row per trial: name, status, times, duration, one "
        "column per parameter and per metric, each under its Katib metric strategy (the "
        "trial's metricStrategies, else max when maximizing, min when minimizing, for "
        "additional metrics too).",
        epilog=EPILOG,
    )
    add_source_arguments(parser)
    add_output_argument(parser, FORMATS, "from --file's suffix (.csv, .yaml, .yml), else json")
    add_file_argument(parser, "the trials")
    parser.set_defaults(func=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    check_source(parser, args)
    view = snapshot(args)
    suffix = args.file.suffix.lstrip(".").lower() if args.file else ""
    output = args.output or {"csv": "csv", "yaml": "yaml", "yml": "yaml"}.get(suffix, "json")
    text = to_csv(view) if output == "csv" else dump(trial_list_document(view.trials), output)
    write(text, args.file, f"{len(view.trials)} trial(s)")
    return 0


def to_csv(view: Snapshot) -> str:
    parameters = parameter_names(view.trials, view.experiment)
    metrics = list(view.objective.metrics)
    for trial in view.trials:
        metrics += [name for name in trial.metrics if name not in metrics]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["name", "status", "created", "started", "completed", "duration_s", *parameters, *metrics]
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
