"""The engine's record of a trial in Katib's terms, and atomic writes of derived files.

A record is what Optuna's trial cannot hold (store.py keeps it as the trial's user attribute);
its parameter assignments and its index come from the Optuna trial itself.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Katib's trial condition types, their reasons and messages (trial_controller_status.go,
# medianstop service.py).
CREATED = "Created"
RUNNING = "Running"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
EARLY_STOPPED = "EarlyStopped"
METRICS_UNAVAILABLE = "MetricsUnavailable"
KILLED = "Killed"
TERMINAL = (SUCCEEDED, FAILED, EARLY_STOPPED, METRICS_UNAVAILABLE, KILLED)
REASONS: dict[str, tuple[str, str]] = {
    CREATED: ("TrialCreated", "Trial is created"),
    RUNNING: ("TrialRunning", "Trial is running"),
    SUCCEEDED: ("TrialSucceeded", "Trial has succeeded"),
    FAILED: ("TrialFailed", "Trial has failed"),
    EARLY_STOPPED: ("TrialEarlyStopped", "Trial is early stopped"),
    METRICS_UNAVAILABLE: ("MetricsUnavailable", "Metrics are not available"),
    KILLED: ("TrialKilled", "Trial is killed"),
}


def now() -> str:
    """A timestamp as Kubernetes writes them."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class TrialRecord:
    name: str
    index: int
    assignments: dict[str, str]
    created: str
    status: str = CREATED
    conditions: list[dict[str, str]] = field(default_factory=list)
    started: str | None = None
    completed: str | None = None
    observation: list[dict[str, str]] = field(default_factory=list)
    objective_values: list[float] = field(default_factory=list)
    early_stopping_rule: dict[str, Any] | None = None
    exit_code: int | None = None
    attempts: int = 0
    pid: int | None = None
    pid_start: str | None = None
    container: str | None = None
    gpu: str | None = None  # device(s) the docker runner gave the trial's last attempt
    log: str = ""

    def to_json(self) -> dict[str, Any]:
        """The record less what the Optuna trial holds (its number, its parameters)."""
        data = asdict(self)
        del data["index"], data["assignments"]
        return data

    @classmethod
    def from_json(
        cls, data: dict[str, Any], index: int, assignments: dict[str, str]
    ) -> TrialRecord:
        known = {f.name for f in fields(cls)}
        return cls(
            index=index,
            assignments=assignments,
            **{k: v for k, v in data.items() if k in known - {"index", "assignments"}},
        )

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def transition(self, status: str, message: str = "", reason: str = "") -> None:
        """Move to ``status`` the way Katib's trial controller records conditions."""
        stamp = now()
        default_reason, default_message = REASONS[status]
        reason = reason or default_reason
        if status in TERMINAL:
            for condition in self.conditions:
                if condition["type"] == RUNNING and condition["status"] == "True":
                    condition["status"] = "False"
                    condition["lastUpdateTime"] = condition["lastTransitionTime"] = stamp
            self.completed = stamp
        self.conditions = [c for c in self.conditions if c["type"] != status]
        self.conditions.append(
            {
                "type": status,
                "status": "True",
                "reason": reason,
                "message": message or default_message,
                "lastUpdateTime": stamp,
                "lastTransitionTime": stamp,
            }
        )
        self.status = status

    def restart(self) -> None:
        """Forget an attempt that the engine did not see finish (the run was killed)."""
        self.conditions = [c for c in self.conditions if c["type"] == CREATED]
        self.status = CREATED
        self.started = self.completed = None
        self.observation = []
        self.objective_values = []
        self.exit_code = None
        self.pid = self.pid_start = self.container = None


class StateError(RuntimeError):
    """The work directory holds a run this one cannot continue."""


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` so that a reader (or a crash) never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, indent=2)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
