"""YAML in and out.

In: every input file (Experiment YAML, trials JSON/YAML) is read through :func:`read_input`
and parsed through :func:`parse_all`, so a bad file is one line naming it (and, for bad
YAML, its line and column) rather than a traceback, and a file too large to be an input is
refused before it is parsed. Out: key order kept, multi-line strings as literal blocks.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

# No Experiment or trial list comes near this; a larger file is a wrong path (a dataset, a
# checkpoint) and parsing it would take minutes and gigabytes.
MAX_INPUT_BYTES = 10 * 1024 * 1024


class InputFileError(ValueError):
    """An input file that cannot be read or parsed; the message names it."""


def read_input(path: str | Path, limit: int = MAX_INPUT_BYTES) -> str:
    """The file's text (UTF-8), refused if over ``limit`` bytes, before anything parses it."""
    name = str(path)
    try:
        with Path(path).open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = b"" if size > limit else handle.read(limit + 1)
    except OSError as error:
        raise InputFileError(f"{name}: cannot read: {error.strerror or error}") from None
    if size > limit or len(data) > limit:
        raise InputFileError(
            f"{name}: {max(size, len(data))} bytes is more than an input file may have "
            f"({limit // (1024 * 1024)} MB); is it the right file?"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputFileError(
            f"{name}: not UTF-8 text (byte 0x{data[error.start]:02x} on line {line})"
        ) from None


def parse_all(text: str, name: str) -> list[Any]:
    """Every document of a YAML stream (empty ones left out); bad YAML is one line
    ``NAME:LINE:COLUMN: not valid YAML: PROBLEM`` (1-based, as editors count)."""
    try:
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        problem = error.problem or error.context or "cannot be parsed"
        raise InputFileError(f"{where}: not valid YAML: {problem}") from None
    except yaml.YAMLError as error:
        # A reader error (a control character) carries a position but no mark.
        raise InputFileError(f"{name}: not valid YAML: {' '.join(str(error).split())}") from None


def load_all(path: str | Path) -> list[Any]:
    """:func:`read_input` then :func:`parse_all`."""
    return parse_all(read_input(path), str(path))


class _Dumper(yaml.SafeDumper):
    pass


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # A v1alpha rawTemplate is a YAML document in a string: keep it legible as a block.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def dump_documents(documents: Iterable[Any]) -> str:
    """One document, or a `---`-separated stream of several."""
    return yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, explicit_start=True, width=100)
