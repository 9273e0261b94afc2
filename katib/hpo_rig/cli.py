"""Entry point of the ``hpo-rig`` command-line tool.

Each subcommand lives in ``hpo_rig.commands.<name>`` and exposes
``register(subparsers) -> None``, which adds its parser and sets ``func`` (a callable taking the
parsed namespace and returning the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from hpo_rig import __version__, exitcodes, extras
from hpo_rig.apierrors import ClusterError
from hpo_rig.yamlio import InputFileError

# Order of the subcommands in `hpo-rig --help`.
COMMANDS: tuple[str, ...] = (
    "render",
    "validate",
    "submit",
    "watch",
    "export",
    "best",
    "report",
    "run",
    "list_",
    "delete",
    "logs",
    "budget",
    "metrics",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpo-rig",
        description="Render, validate, submit and inspect Katib hyperparameter-tuning "
        "experiments, or run them locally.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log debugging detail to stderr"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"hpo_rig.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        extras.require_for(args.command)
        return int(args.func(args))
    except extras.MissingExtraError as error:
        print(f"hpo-rig {args.command}: error: {error}", file=sys.stderr)
        return exitcodes.MISSING_EXTRA
    except ClusterError as error:
        # One line and the documented code (hpo_rig/exitcodes.py) for every API failure.
        print(f"hpo-rig {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except InputFileError as error:
        # A malformed, unreadable or oversized input file: the user's to fix.
        print(f"hpo-rig {args.command}: error: {error}", file=sys.stderr)
        return exitcodes.USAGE
    except (OSError, ValueError) as error:
        # Bad input files, unreadable Experiments, cluster refusals: a message, not a trace.
        print(f"hpo-rig {args.command}: error: {error}", file=sys.stderr)
        return exitcodes.FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
