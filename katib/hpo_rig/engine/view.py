"""What a person watching a run sees: a table redrawn in place on a terminal, plain progress
lines otherwise (logs, CI, pipes)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import TextIO

from hpo_rig.engine.state import TrialRecord


def _objective(record: TrialRecord, metric: str) -> str:
    for item in record.observation:
        if item["name"] == metric:
            return item["latest"]
    return ""


def _params(record: TrialRecord) -> str:
    return " ".join(f"{k}={v}" for k, v in record.assignments.items())


class View:
    """Progress lines: one when a trial starts, one when it ends."""

    def __init__(self, stream: TextIO, metric: str) -> None:
        self.stream = stream
        self.metric = metric

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def started(self, record: TrialRecord) -> None:
        self.say(f"[{record.index}] {record.name} started: {_params(record)}")

    def finished(self, record: TrialRecord, done: int, limit: int | None) -> None:
        value = _objective(record, self.metric)
        shown = f" {self.metric}={value}" if value and value != "unavailable" else ""
        of = f"/{limit}" if limit is not None else ""
        why = ""
        if record.status in ("Failed", "MetricsUnavailable") and record.conditions:
            why = f": {record.conditions[-1]['message'][:160]}"
        self.say(f"[{record.index}] {record.name} {record.status}{shown} ({done}{of} done){why}")

    def refresh(self, records: Sequence[TrialRecord], header: str) -> None:
        """Periodic redraw; plain output has nothing to redraw."""

    def close(self) -> None:
        """Leave the terminal as it was."""


class TableView(View):
    """A compact table of the latest trials, redrawn in place with ANSI cursor movement."""

    def __init__(self, stream: TextIO, metric: str, rows: int = 12) -> None:
        super().__init__(stream, metric)
        self.rows = rows
        self._drawn = 0
        self._records: Sequence[TrialRecord] = ()
        self._header = ""

    def say(self, text: str) -> None:
        self._erase()
        print(text, file=self.stream, flush=True)
        self._draw()

    def started(self, record: TrialRecord) -> None:
        """The table shows it."""

    def finished(self, record: TrialRecord, done: int, limit: int | None) -> None:
        """The table shows it."""

    def refresh(self, records: Sequence[TrialRecord], header: str) -> None:
        self._records, self._header = records, header
        self._erase()
        self._draw()

    def _erase(self) -> None:
        if self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0

    def _draw(self) -> None:
        if not self._header:
            return
        width = shutil.get_terminal_size((100, 20)).columns
        shown = list(self._records)[-self.rows :]
        lines = [self._header, f"{'trial':<24} {'status':<18} {self.metric:<12} parameters"]
        for record in shown:
            row = (
                f"{record.name:<24} {record.status:<18} "
                f"{_objective(record, self.metric):<12} {_params(record)}"
            )
            lines.append(row[: width - 1])
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()
        self._drawn = len(lines)

    def close(self) -> None:
        self._drawn = 0


def make_view(stream: TextIO, metric: str, live: bool | None = None) -> View:
    """A table on a terminal, lines elsewhere; ``live`` forces either."""
    if live is None:
        live = stream.isatty()
    return TableView(stream, metric) if live else View(stream, metric)
