"""`hpo-rig metrics`: what Katib's StdOut/File metrics collector would record from a log.

For debugging a metrics filter (katib#1679, katib#1795) without running a trial: the same
parsing rules as Katib v0.19.0's file-metricscollector (see ``hpo_rig.observation_log``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from hpo_rig import observation_log as olog
from hpo_rig.commands._kubectl import tabulate
from hpo_rig.commands._output import add_output_argument, dump
from hpo_rig.validate import TWO_GROUPS, _regexp_error

EXIT_CODES = (
    "exit status: 0 the objective metric was found; 1 Katib's collector would fail on this log "
    "(a JSON line that is not a JSON object) or the log is unreadable; 2 usage error (no "
    "--metric, a filter Katib refuses); 3 the objective metric never appears, so Katib records "
    "it as 'unavailable' and marks the trial MetricsUnavailable"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "metrics",
        help="show what Katib's metrics collector would record from a log",
        description="Parse a training log (stdin, or --log FILE) the way Katib's StdOut/File "
        "metrics collector does and print the metric log it would record (timestamp, name, "
        "value as a string) and the Trial's resulting status.observation (min, max, latest). "
        "TEXT: lines containing a metric name are matched against each --filter (default "
        f"Katib's {olog.DEFAULT_FILTER}); a line starting with an RFC 3339 time and a space "
        "carries that timestamp. JSON: one object per line; only string values are metrics; "
        "the time comes from the 'timestamp' key.",
        epilog=EXIT_CODES,
    )
    parser.add_argument(
        "--metric",
        action="append",
        required=True,
        metavar="NAME",
        help="a metric name; the first is the objective (repeat for additional metrics)",
    )
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="REGEX",
        help="a metricsFormat regex: group 1 the name, group 2 the value (repeatable)",
    )
    parser.add_argument(
        "--format",
        choices=("TEXT", "JSON"),
        default="TEXT",
        help="the log's format (fileSystemPath.format; StdOut is TEXT) (default: %(default)s)",
    )
    parser.add_argument("--log", type=Path, metavar="FILE", help="read FILE instead of stdin")
    add_output_argument(
        parser,
        ("json", "yaml"),
        "two tables; json|yaml: the observationLog and status.observation Katib would record",
    )
    parser.set_defaults(func=lambda args: run(args, parser))


def run(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    for pattern in args.filter:
        # validator.go validateMetricsCollector's two checks on each metricsFormat.
        if error := _regexp_error(pattern):
            parser.error(f"--filter {pattern!r}: invalid filter: {error}")
        if not TWO_GROUPS.match(pattern):
            parser.error(f"--filter {pattern!r}: two top subexpressions are required")
    if args.format == "JSON" and args.filter:
        parser.error("filter must be nil when format of metrics file is json (Katib's rule)")
    if args.log is not None:
        data = args.log.read_bytes()
    elif stdin is not None:
        data = stdin.read().encode()
    else:
        data = sys.stdin.buffer.read()
    text = data.decode("utf-8", errors="replace")  # Go reads invalid UTF-8 as U+FFFD
    lines = olog.split_lines(text)
    try:
        if args.format == "JSON":
            logs = olog.collect_json(lines, args.metric)
        else:
            logs = olog.collect_text(lines, args.metric, args.filter)
        observed = olog.observation(logs, args.metric)
    except olog.CollectorError as error:
        print(f"hpo-rig metrics: Katib's collector would fail: {error}", file=sys.stderr)
        return 1
    missing = not any(log.name == args.metric[0] and log.value != "unavailable" for log in logs)
    if args.output:
        document = {
            "observationLog": {"metricLogs": [log.as_katib() for log in logs]},
            "observation": {"metrics": observed},
        }
        out.write(dump(document, args.output))
    else:
        out.write(
            tabulate(
                ["TIMESTAMP", "METRIC", "VALUE"], [[x.timestamp, x.name, x.value] for x in logs]
            )
            + "\n\n"
        )
        rows = [[m["name"], m["min"], m["max"], m["latest"]] for m in observed]
        out.write(tabulate(["METRIC", "MIN", "MAX", "LATEST"], rows) + "\n")
    if missing:
        print(
            f"hpo-rig metrics: objective metric {args.metric[0]} not found in the log: Katib "
            "records it as unavailable and the trial ends MetricsUnavailable",
            file=sys.stderr,
        )
        return 3
    return 0
