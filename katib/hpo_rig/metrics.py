"""Read Katib metrics from a trial's output the way Katib's StdOut/File (TEXT) collector does.

Katib's collector (``pkg/metricscollector/v1beta1/file-metricscollector``) skips every line that
does not contain one of the metric names, applies each filter regex to the rest, keeps the
matches whose name is a wanted metric, and the trial controller then folds the values into
``min``, ``max`` and ``latest`` strings per metric. A metric never reported reads
``unavailable``; an objective metric that never appeared makes the trial MetricsUnavailable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

UNAVAILABLE = "unavailable"


@dataclass
class MetricSeries:
    """Every value one metric reported, in order, with the strings Katib keeps."""

    name: str
    values: list[float] = field(default_factory=list)
    min: str = UNAVAILABLE
    max: str = UNAVAILABLE
    latest: str = UNAVAILABLE

    def add(self, text: str, value: float) -> None:
        if not self.values:
            self.min = self.max = text
        elif value < float(self.min):
            self.min = text
        elif value > float(self.max):
            self.max = text
        self.latest = text
        self.values.append(value)

    def as_katib(self) -> dict[str, str]:
        return {"name": self.name, "min": self.min, "max": self.max, "latest": self.latest}


def compile_filters(filters: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    """Compile Katib filter regexes; ASCII classes, as Go's RE2 reads ``\\w`` and ``\\d``."""
    return tuple(re.compile(pattern, re.ASCII) for pattern in filters)


def parse_line(
    line: str, names: Sequence[str], patterns: Sequence[re.Pattern[str]]
) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs one output line reports for the wanted metric ``names``."""
    if not any(name in line for name in names):
        return []
    found: list[tuple[str, str]] = []
    for pattern in patterns:
        # Go's FindAllStringSubmatch: a regexp with fewer than two groups yields nothing; a
        # group that did not take part reads "".
        if pattern.groups < 2:
            continue
        for match in go_find_all(pattern, line):
            name, value = (match.group(1) or "").strip(), (match.group(2) or "").strip()
            if name in names:
                found.append((name, value))
    return found


def go_find_all(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Successive matches as Go's ``FindAll`` finds them (regexp.go allMatches): after an empty
    match the search moves one character on, and an empty match right after the previous
    match is dropped (Python's ``finditer`` differs on both)."""
    position, previous_end = 0, -1
    while position <= len(text):
        match = pattern.search(text, position)
        if match is None:
            return
        accept = True
        if match.end() == position:  # an empty match where the search began
            accept = match.start() != previous_end
            position += 1
        else:
            position = match.end()
        previous_end = match.end()
        if accept:
            yield match


class MetricsCollector:
    """Accumulates the metrics of one trial from its output lines.

    ``names`` starts with the objective metric, as in Katib. Values that are not numbers
    (the v1beta1 filter can match an empty value, e.g. ``loss=nan``) are skipped: Katib
    would store them as strings, but a search needs numbers.
    """

    def __init__(self, names: Sequence[str], filters: Sequence[str]) -> None:
        if not names:
            raise ValueError("at least the objective metric name is needed")
        self.names = tuple(dict.fromkeys(names))
        self._patterns = compile_filters(filters)
        self.series = {name: MetricSeries(name) for name in self.names}

    def feed(self, line: str) -> list[tuple[str, float]]:
        """Record one output line; return the numeric values it reported, in order."""
        reported: list[tuple[str, float]] = []
        for name, text in parse_line(line, self.names, self._patterns):
            try:
                value = float(text)
            except ValueError:
                continue
            self.series[name].add(text, value)
            reported.append((name, value))
        return reported

    @property
    def objective(self) -> MetricSeries:
        return self.series[self.names[0]]

    def observation(self) -> list[dict[str, str]]:
        """``status.observation.metrics`` of a Katib Trial."""
        return [self.series[name].as_katib() for name in self.names]


def collect(lines: Iterable[str], names: Sequence[str], filters: Sequence[str]) -> MetricsCollector:
    """Parse a whole log at once (e.g. a finished trial's log file)."""
    collector = MetricsCollector(names, filters)
    for line in lines:
        collector.feed(line)
    return collector
