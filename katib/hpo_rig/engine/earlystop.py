"""Katib's medianstop early stopping, reproduced exactly.

Katib (``pkg/earlystopping/v1beta1/medianstop/service.py`` and the metrics collector's
``rules.go``):

* for every *succeeded* trial, average its first ``start_step`` objective values;
* once at least ``min_trials_required`` trials succeeded, the rule's threshold is the mean
  of those averages (Katib calls it the median but computes the mean);
* a new trial gets the rule at creation; each objective value it reports is one step; from
  step ``start_step`` on, the trial's best value so far is compared with the threshold
  (maximize: stop when best < threshold; minimize: stop when best > threshold);
* a stopped trial is marked EarlyStopped (reason ``TrialEarlyStopped``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_MIN_TRIALS_REQUIRED = 3
DEFAULT_START_STEP = 4


class EarlyStoppingError(ValueError):
    """Unknown early-stopping algorithm or invalid settings."""


@dataclass(frozen=True)
class StopRule:
    metric: str
    threshold: float
    comparison: str
    start_step: int

    def as_katib(self) -> dict[str, Any]:
        """``spec.earlyStoppingRules[]`` of a Katib Trial."""
        return {
            "name": self.metric,
            "value": str(self.threshold),
            "comparison": self.comparison,
            "startStep": self.start_step,
        }

    @classmethod
    def from_katib(cls, data: Mapping[str, Any]) -> StopRule:
        return cls(
            metric=str(data["name"]),
            threshold=float(data["value"]),
            comparison=str(data["comparison"]),
            start_step=int(data["startStep"]),
        )


class RuleTracker:
    """Applies one rule to a running trial's objective values as they arrive."""

    def __init__(self, rule: StopRule, objective_type: str) -> None:
        self.rule = rule
        self._maximize = objective_type == "maximize"
        self._best = math.nan
        self._step = 0

    def update(self, value: float) -> bool:
        """Record one objective value; True once the trial must stop."""
        if math.isnan(self._best) or (value > self._best if self._maximize else value < self._best):
            self._best = value
        self._step += 1
        if self.rule.start_step > 0 and self._step < self.rule.start_step:
            return False
        if self.rule.comparison == "less":
            return self._best < self.rule.threshold
        if self.rule.comparison == "greater":
            return self._best > self.rule.threshold
        return self._best == self.rule.threshold


@dataclass(frozen=True)
class MedianStop:
    objective_metric: str
    objective_type: str
    min_trials_required: int = DEFAULT_MIN_TRIALS_REQUIRED
    start_step: int = DEFAULT_START_STEP

    @classmethod
    def from_settings(
        cls, name: str, settings: Mapping[str, str], objective_metric: str, objective_type: str
    ) -> MedianStop:
        if name != "medianstop":
            raise EarlyStoppingError(
                f"unknown early stopping algorithm {name!r} (known: medianstop)"
            )
        values = {
            "min_trials_required": DEFAULT_MIN_TRIALS_REQUIRED,
            "start_step": DEFAULT_START_STEP,
        }
        for key, text in settings.items():
            if key not in values:
                raise EarlyStoppingError(f"unknown setting {key} for algorithm medianstop")
            try:
                values[key] = int(text)
            except ValueError as error:
                raise EarlyStoppingError(f"failed to validate {key}({text}): {error}") from error
        if values["min_trials_required"] <= 0:
            raise EarlyStoppingError("min_trials_required must be greater than zero (>0)")
        if values["start_step"] < 1:
            raise EarlyStoppingError("start_step must be greater or equal than one (>=1)")
        return cls(
            objective_metric, objective_type, values["min_trials_required"], values["start_step"]
        )

    def rule(self, succeeded_histories: Iterable[Sequence[float]]) -> StopRule | None:
        """The rule for a trial created now, from the objective values of succeeded trials."""
        averages = [
            sum(history[: self.start_step]) / len(history[: self.start_step])
            for history in succeeded_histories
            if history
        ]
        if len(averages) < self.min_trials_required:
            return None
        return StopRule(
            metric=self.objective_metric,
            threshold=sum(averages) / len(averages),
            comparison="less" if self.objective_type == "maximize" else "greater",
            start_step=self.start_step,
        )
