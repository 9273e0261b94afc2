"""What Katib's file/stdout metrics collector records from a log, and the Trial's observation.

Mirrors Katib v0.19.0:

- pkg/metricscollector/v1beta1/file-metricscollector/file-metricscollector.go: TEXT logs are
  split on "\\n"; a line that contains none of the metric names is skipped; its first
  space-separated field is its timestamp when it parses as RFC 3339, else the zero time; every
  match of every filter (``hpo_rig.metrics.parse_line``) whose name is a metric is recorded with
  its value as a string, numeric or not. JSON logs: each non-empty line must be a JSON object
  (otherwise the collector fails); only metrics whose value is a JSON *string* are recorded;
  the ``timestamp`` key is an RFC 3339 string or a number of seconds. When the objective (the
  first metric) never appears, the log is replaced by one ``unavailable`` objective value.
- pkg/controller.v1beta1/trial/trial_controller_util.go getMetrics: min and max over the values
  strconv.ParseFloat accepts, latest the value with the newest timestamp (the last among
  equals), whether numeric or not; ``unavailable`` where none.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hpo_rig.metrics import UNAVAILABLE, compile_filters, parse_line

ZERO_TIME = "0001-01-01T00:00:00Z"  # time.Time{}.UTC().Format(time.RFC3339)
TIMESTAMP_KEY = "timestamp"  # pkg/metricscollector/v1beta1/common/const.go TimeStampJsonKey
DEFAULT_FILTER = r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"  # common.DefaultFilter
RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
GO_FLOAT = re.compile(  # strconv.ParseFloat's syntax (a sign before inf, none before nan)
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
    r"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+|infinity|inf)|nan",
    re.ASCII | re.IGNORECASE,
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CollectorError(ValueError):
    """Katib's collector would fail on this log (e.g. a JSON line that is not an object)."""


@dataclass(frozen=True)
class MetricLog:
    timestamp: str
    name: str
    value: str

    def as_katib(self) -> dict[str, Any]:
        return {"timeStamp": self.timestamp, "metric": {"name": self.name, "value": self.value}}


def split_lines(text: str) -> list[str]:
    """``strings.Split(logs, "\\n")``: a "\\r" stays in its line."""
    return text.split("\n")


def collect_text(
    lines: Iterable[str], metrics: Sequence[str], filters: Sequence[str] = ()
) -> list[MetricLog]:
    """parseLogsInTextFormat, then newObservationLog."""
    patterns = compile_filters(filters or (DEFAULT_FILTER,))
    logs: list[MetricLog] = []
    for line in lines:
        found = parse_line(line, metrics, patterns)
        if not found:
            continue
        first, space, _ = line.partition(" ")
        timestamp = first if space and parse_rfc3339(first) is not None else ZERO_TIME
        logs.extend(MetricLog(timestamp, name, value) for name, value in found)
    return _with_objective(logs, metrics)


def collect_json(lines: Iterable[str], metrics: Sequence[str]) -> list[MetricLog]:
    """parseLogsInJsonFormat, then newObservationLog."""
    logs: list[MetricLog] = []
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        try:
            document = json.loads(line, parse_constant=_no_constant)
        except ValueError as error:
            raise CollectorError(f"line {number}: not JSON ({error})") from error
        if document is None:  # Go unmarshals null into a nil map without complaint
            continue
        if not isinstance(document, dict):
            raise CollectorError(
                f"line {number}: json: cannot unmarshal {_json_kind(document)} into Go value "
                "of type map[string]interface {}"
            )
        timestamp = ZERO_TIME
        if TIMESTAMP_KEY in document:
            timestamp = json_timestamp(document[TIMESTAMP_KEY]) or ZERO_TIME
        for name in metrics:
            value = document.get(name)
            if isinstance(value, str):  # jsonObj[m].(string): numbers are not recorded
                logs.append(MetricLog(timestamp, name, value))
    return _with_objective(logs, metrics)


def observation(logs: Sequence[MetricLog], metrics: Sequence[str]) -> list[dict[str, str]]:
    """getMetrics: a Trial's status.observation.metrics, in the order of ``metrics``."""
    table = {
        name: {"name": name, "min": UNAVAILABLE, "max": UNAVAILABLE, "latest": UNAVAILABLE}
        for name in dict.fromkeys(metrics)
    }
    newest: dict[str, int] = {}
    for log in logs:
        metric = table.get(log.name)
        if metric is None:
            continue
        value = go_parse_float(log.value)
        if value is not None:
            if metric["min"] == UNAVAILABLE:
                metric["min"] = metric["max"] = log.value
            elif value < float(metric["min"]):
                metric["min"] = log.value
            elif value > float(metric["max"]):
                metric["max"] = log.value
        stamp = parse_rfc3339(log.timestamp)
        if stamp is None:
            raise CollectorError(f"failed to parse timestamps {log.timestamp}")
        if log.name not in newest or newest[log.name] <= stamp:
            newest[log.name] = stamp
            metric["latest"] = log.value
    return list(table.values())


def parse_rfc3339(text: str) -> int | None:
    """Nanoseconds since the epoch if Go's time.Parse(time.RFC3339Nano, text) accepts it."""
    match = RFC3339.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    if match.group(9):
        offset_hours, offset_minutes = int(match.group(10)), int(match.group(11))
        if offset_hours > 23 or offset_minutes > 59:
            return None
        offset = timedelta(hours=offset_hours, minutes=offset_minutes)
        moment = moment - offset if match.group(9) == "+" else moment + offset
    fraction = (match.group(7) or "")[:9].ljust(9, "0")
    return ((moment - EPOCH) // timedelta(seconds=1)) * 10**9 + int(fraction)


def json_timestamp(value: Any) -> str:
    """parseTimestamp: the RFC 3339 string as given, a number's seconds formatted, else ""."""
    if isinstance(value, str):
        return value if value and parse_rfc3339(value) is not None else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    # strconv.FormatFloat(f, 'f', -1, 64), split at ".", each part strconv.ParseInt: so the
    # fraction's digits are read as a count of nanoseconds ("1.5" is 1 s and 5 ns).
    text = format(Decimal(repr(float(value))), "f")
    whole, _, fraction = text.partition(".")
    if not _int64(whole) or (fraction and not _int64(fraction)):
        return ""
    seconds, nanoseconds = int(whole), int(fraction or "0")
    seconds, nanoseconds = seconds + nanoseconds // 10**9, nanoseconds % 10**9
    try:
        moment = EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return ""
    if not 1 <= moment.year <= 9999:
        return ""
    digits = f".{nanoseconds:09d}".rstrip("0") if nanoseconds else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + digits + "Z"


def go_parse_float(text: str) -> float | None:
    """strconv.ParseFloat(text, 64) without an error, else None (Python's float() also takes
    spaces and underscores, and gives inf for an out-of-range number where Go errs)."""
    if not GO_FLOAT.fullmatch(text):
        return None
    try:
        value = float.fromhex(text) if "x" in text.lower() else float(text)
    except (ValueError, OverflowError):
        return None
    if math.isinf(value) and "inf" not in text.lower():
        return None  # ErrRange
    return value


def _with_objective(logs: list[MetricLog], metrics: Sequence[str]) -> list[MetricLog]:
    """newObservationLog: without one objective value, only an ``unavailable`` objective."""
    if any(log.name == metrics[0] for log in logs):
        return logs
    return [MetricLog(ZERO_TIME, metrics[0], UNAVAILABLE)]


def _int64(text: str) -> bool:
    return bool(re.fullmatch(r"[+-]?\d+", text)) and -(2**63) <= int(text) < 2**63


def _no_constant(name: str) -> Any:
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    return "number"
