"""kubectl's output conventions, shared by the commands: ``-o/--output`` names the format
(json, yaml, csv, wide, name; a table when absent), ``--file FILE`` or ``--output-dir DIR`` name
where the output goes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml


def add_output_argument(
    parser: argparse.ArgumentParser, formats: Sequence[str], default: str
) -> None:
    """``-o/--output FORMAT`` among ``formats``; ``default`` says what is printed without it."""
    parser.add_argument(
        "-o",
        "--output",
        type=_format_of(formats),
        metavar="FORMAT",
        help=f"output format: {'|'.join(formats)} (default: {default})",
    )


def add_file_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--file", type=Path, metavar="FILE", help=f"write {what} to FILE instead of stdout"
    )


def add_live_arguments(parser: argparse.ArgumentParser, live: str, plain: str) -> None:
    """``--live`` / ``--plain`` (``args.live``: True, False, or None for "a terminal decides"),
    as ``run`` and ``watch`` draw their table (hpo_rig/live.py)."""
    view = parser.add_mutually_exclusive_group()
    view.add_argument("--live", dest="live", action="store_true", default=None, help=live)
    view.add_argument("--plain", dest="live", action="store_false", help=plain)


def _format_of(formats: Sequence[str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text in formats:
            return text
        # Before kubectl's convention, -o took a path here: say where that went.
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an output format ({', '.join(formats)}): -o names the format, "
            "as in kubectl; write to a file with --file FILE (report: --output-dir DIR)"
        )

    return parse


def as_json(document: Any) -> str:
    """kubectl -o json: four spaces of indent (k8s.io/cli-runtime pkg/printers/json.go)."""
    return json.dumps(document, indent=4) + "\n"


def as_yaml(document: Any) -> str:
    """kubectl -o yaml: block style, keys sorted (sigs.k8s.io/yaml marshals through JSON)."""
    return yaml.safe_dump(document, sort_keys=True, default_flow_style=False, allow_unicode=True)


def dump(document: Any, output: str) -> str:
    return as_json(document) if output == "json" else as_yaml(document)


def v1_list(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What kubectl get -o json|yaml prints for several objects: a ``v1`` List."""
    return {
        "apiVersion": "v1",
        "items": list(items),
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }


def write(text: str, file: Path | None, summary: str) -> None:
    """``text`` on stdout, or in ``file`` with ``wrote SUMMARY to FILE`` on stderr."""
    if file is None:
        sys.stdout.write(text)
        return
    file.write_text(text, encoding="utf-8")
    print(f"wrote {summary} to {file}", file=sys.stderr)
