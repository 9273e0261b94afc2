"""kubectl-style durations (``30s``, ``10m``, ``1h30m``) for --timeout and --request-timeout.

Go's time.ParseDuration (go/src/time/format.go) reads a sequence of decimal numbers, each
with a unit (ns, us, ms, s, m, h); kubectl's --request-timeout also takes a bare number as
seconds (k8s.io/client-go/rest, and ``0`` means no timeout). Both are accepted here.
"""

from __future__ import annotations

import argparse
import re

UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Seconds in ``text``; ValueError for anything Go's ParseDuration would refuse."""
    value = text.strip()
    if re.fullmatch(r"\d+(\.\d*)?", value):
        return float(value)
    if not value or _PART.sub("", value) != "":
        raise ValueError(f"invalid duration {text!r} (use e.g. 30s, 10m, 1h30m)")
    return sum(float(number) * UNITS[unit] for number, unit in _PART.findall(value))


def duration_argument(text: str) -> float:
    """argparse ``type=`` for a duration: a usage error (exit 2) when it is not one."""
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
