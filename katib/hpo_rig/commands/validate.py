"""`hpo-rig validate`: check Experiment YAML files the way Katib's webhook would."""

from __future__ import annotations

import argparse
import sys

from hpo_rig.exitcodes import EPILOG
from hpo_rig.validate import errors, validate_text
from hpo_rig.yamlio import read_input


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check Experiment YAML as Katib's admission webhook would",
        description="Check every Experiment in the files (multi-document streams included; "
        "other kinds are skipped). Prints one line per problem and exits 1 if any; a "
        "warning (admitted by Katib but likely a mistake, or not checkable here) is printed "
        "and leaves the exit status 0.",
        epilog=EPILOG,
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="Experiment YAML files ('-' for stdin)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.files:
        text = sys.stdin.read() if name == "-" else read_input(name)
        problems = validate_text(text)
        for problem in problems:
            print(f"{name}: {problem}")
        if errors(problems):
            failed += 1
        elif not args.quiet:
            print(f"{name}: ok")
    return 1 if failed else 0
