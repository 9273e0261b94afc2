"""Metric lines that every Katib metrics collector reads the same way.

Katib v1alpha3's default filter ``([\\w|-]+)\\s*=\\s*((-?\\d+)(\\.\\d+)?)`` has no exponent, so
``1e-05`` would be read as ``1``: values are always printed in fixed-point notation. Lines
start with an RFC 3339 timestamp, which Katib v1beta1 uses as the observation time and
older collectors skip because the token has no ``=``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Literal, TextIO

MetricsFormat = Literal["text", "json"]

SIGNIFICANT_DIGITS = 7
# Keras' own names; listed first, in this order, so lines read the same every epoch.
PREFERRED_ORDER = (
    "loss",
    "accuracy",
    "mean_absolute_error",
    "val_loss",
    "val_accuracy",
    "val_mean_absolute_error",
)


def format_value(value: float) -> str:
    """Fixed-point text of ``value`` to SIGNIFICANT_DIGITS digits, without exponent or sign '+'."""
    if not math.isfinite(value):
        raise ValueError(f"metric value must be finite, got {value!r}")
    rounded = Decimal(f"{value:.{SIGNIFICANT_DIGITS}g}")
    text = format(rounded, "f")
    return "0" if text in ("-0", "0") else text


def ordered_metrics(logs: Mapping[str, float]) -> list[tuple[str, float]]:
    """Finite metrics from Keras' epoch logs, known names first, then the rest sorted."""
    names = [n for n in PREFERRED_ORDER if n in logs]
    names += sorted(n for n in logs if n not in PREFERRED_ORDER)
    return [(n, float(logs[n])) for n in names if math.isfinite(float(logs[n]))]


def timestamp_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_line(epoch: int, logs: Mapping[str, float], timestamp: str) -> str:
    """``<timestamp> epoch=N name=value ...``: one whitespace-separated token per metric."""
    tokens = [timestamp, f"epoch={epoch}"]
    tokens += [f"{name}={format_value(value)}" for name, value in ordered_metrics(logs)]
    return " ".join(tokens)


def format_json(epoch: int, logs: Mapping[str, float], timestamp: str) -> str:
    """One JSON line for Katib's File collector in JSON format: values must be strings."""
    record: dict[str, str] = {"epoch": str(epoch)}
    record.update((name, format_value(value)) for name, value in ordered_metrics(logs))
    record["timestamp"] = timestamp
    return json.dumps(record)


class MetricsWriter:
    """Writes each epoch's metrics to stdout and, optionally, to a file (Katib's File collector)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        file_path: Path | None = None,
        file_format: MetricsFormat = "text",
    ) -> None:
        self._stream = sys.stdout if stream is None else stream
        self._file_format = file_format
        self._file: TextIO | None = None
        if file_path is not None:
            file_path.parent.mkdir(parents=True, exist_ok=True)
            self._file = file_path.open("a", encoding="utf-8")

    def write(self, epoch: int, logs: Mapping[str, float]) -> None:
        timestamp = timestamp_now()
        # Flushed at once: the collector may read the log while the trial is still running.
        print(format_line(epoch, logs, timestamp), file=self._stream, flush=True)
        if self._file is not None:
            if self._file_format == "json":
                line = format_json(epoch, logs, timestamp)
            else:
                line = format_line(epoch, logs, timestamp)
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
