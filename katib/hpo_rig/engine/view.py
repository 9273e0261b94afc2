"""What a person watching a run sees: the live table of ``hpo_rig.live`` on a terminal, plain
progress lines otherwise (logs, CI, pipes).

A trial's objective is shown as ``best`` and ``report`` read it: the engine's record is turned
into the Trial object it is written as (``katib_format``) and valued by
``Trial.objective_value``, under the objective's metric strategy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from hpo_rig.engine import katib_format
from hpo_rig.engine.state import TrialRecord
from hpo_rig.experiment import Experiment
from hpo_rig.table import format_value, trial_rows
from hpo_rig.trials import Trial, parse_trial

if TYPE_CHECKING:
    from hpo_rig.live import LiveTable


def _params(record: TrialRecord) -> str:
    return " ".join(f"{k}={v}" for k, v in record.assignments.items())


class View:
    """Progress lines: one when a trial starts, one when it ends."""

    def __init__(self, stream: TextIO, experiment: Experiment) -> None:
        self.stream = stream
        self.experiment = experiment

    def trial(self, record: TrialRecord) -> Trial:
        """The record as the Trial object ``trials.json`` holds."""
        return parse_trial(katib_format.trial_object(record, self.experiment))

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def started(self, record: TrialRecord) -> None:
        self.say(f"[{record.index}] {record.name} started: {_params(record)}")

    def finished(self, record: TrialRecord, done: int, limit: int | None) -> None:
        objective = self.experiment.objective
        value = self.trial(record).objective_value(objective)
        shown = f" {objective.metric}={format_value(value)}" if value is not None else ""
        of = f"/{limit}" if limit is not None else ""
        why = ""
        if record.status in ("Failed", "MetricsUnavailable") and record.conditions:
            why = f": {record.conditions[-1]['message'][:160]}"
        self.say(f"[{record.index}] {record.name} {record.status}{shown} ({done}{of} done){why}")

    def refresh(self, records: Sequence[TrialRecord], header: str) -> None:
        """Periodic redraw; plain output has nothing to redraw."""

    def close(self) -> None:
        """Leave the terminal as it was."""

    def __enter__(self) -> View:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class TableView(View):
    """The trials as a table redrawn in place (``hpo_rig.live``), the columns of `watch`."""

    def __init__(
        self, stream: TextIO, experiment: Experiment, live: LiveTable | None = None
    ) -> None:
        super().__init__(stream, experiment)
        if live is None:
            from hpo_rig.live import LiveTable  # rich only when a table is drawn

            live = LiveTable(stream)
        self.live = live

    def say(self, text: str) -> None:
        self.live.say(text)

    def started(self, record: TrialRecord) -> None:
        """The table shows it."""

    def finished(self, record: TrialRecord, done: int, limit: int | None) -> None:
        """The table shows it."""

    def refresh(self, records: Sequence[TrialRecord], header: str) -> None:
        trials = [self.trial(record) for record in records]
        columns, rows = trial_rows(trials, self.experiment.objective, self.experiment)
        self.live.show(header, columns, rows)

    def close(self) -> None:
        self.live.close()


def make_view(stream: TextIO, experiment: Experiment, live: bool | None = None) -> View:
    """A table on a terminal, lines elsewhere; ``live`` forces either."""
    if live is None:
        live = stream.isatty()
    return TableView(stream, experiment) if live else View(stream, experiment)
