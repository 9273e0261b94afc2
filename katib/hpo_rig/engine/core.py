"""The local experiment loop: suggest, run, observe, decide, record — like Katib's controllers.

One thread (the caller's) owns the Optuna study, the trial records and every write to the
work directory; each running trial has a reader thread that copies its output to the trial's
log, parses metrics and applies the early-stopping rule, and reports back through a queue.
Stop conditions follow Katib's experiment controller (``status_util.go``), checked in its
order: objective goal, then ``maxFailedTrialCount`` (Failed and MetricsUnavailable trials
count), then ``maxTrialCount`` (every finished trial counts).
"""

from __future__ import annotations

import fcntl
import queue
import random
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

import optuna

from hpo_rig.engine import katib_format, space
from hpo_rig.engine.earlystop import MedianStop, RuleTracker, StopRule
from hpo_rig.engine.runners import (
    DOCKER_START_FAILURES,
    Runner,
    RunnerError,
    TrialHandle,
    docker_start_error,
    process_start_time,
    remove_leftovers,
)
from hpo_rig.engine.samplers import make_sampler, seed_of
from hpo_rig.engine.state import (
    CREATED,
    EARLY_STOPPED,
    FAILED,
    KILLED,
    METRICS_UNAVAILABLE,
    RUNNING,
    SUCCEEDED,
    StateError,
    TrialRecord,
    now,
    write_json_atomic,
)
from hpo_rig.engine.store import RECORD_ATTR, RunStore
from hpo_rig.engine.view import View
from hpo_rig.experiment import Experiment, ExperimentError
from hpo_rig.metrics import MetricsCollector

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
LIVE_SAVE_SECONDS = 5.0
DEADLINE_REASON = "DeadlineExceeded"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"

# docker/cli run.go reportError: "See 'docker run --help'."; older CLIs "Run 'docker run
# --help' for more information".
_DOCKER_HINT = re.compile(r"^(See|Run) 'docker [a-z ]+ --help'")

# Kubernetes' random name suffix alphabet (k8s.io/apimachinery/pkg/util/rand), as Katib uses.
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(frozen=True)
class RunOptions:
    workdir: Path
    parallel: int | None = None
    max_trials: int | None = None
    grace_seconds: float = 10.0
    refresh_seconds: float = 0.5
    # --trial-timeout: seconds a trial may run (with the Job's activeDeadlineSeconds, the
    # shorter one wins).
    trial_timeout: float | None = None
    # Where a host-process trial runs, so that relative paths in its command mean what they
    # mean where `hpo-rig run` was started (a container's mean paths in its image).
    trial_cwd: Path = field(default_factory=Path.cwd)


@dataclass(frozen=True)
class RunResult:
    exit_code: int
    reason: str
    message: str


@dataclass
class _Active:
    record: TrialRecord
    handle: TrialHandle
    collector: MetricsCollector
    tracker: RuleTracker | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    early_stopped: bool = False
    stop_as: str | None = None
    deadline: float | None = None  # time.monotonic() by which the trial must have ended
    timed_out: bool = False


class Engine:
    def __init__(
        self, experiment: Experiment, runner: Runner, options: RunOptions, view: View
    ) -> None:
        self.experiment = experiment
        self.runner = runner
        self.options = options
        self.view = view
        self.workdir = options.workdir
        self.parallel = max(1, options.parallel or experiment.parallel_trial_count)
        self.max_trials = options.max_trials or experiment.max_trial_count
        self.distributions = space.search_space(experiment)
        self.grid_size: int | None = None
        if experiment.algorithm.name == "grid":
            self.grid_size = 1
            for values in space.grid(experiment).values():
                self.grid_size *= len(values)
        if self.max_trials is None and self.grid_size is None:
            raise ExperimentError(
                "spec.maxTrialCount is not set: a local run needs a limit (or pass --max-trials)"
            )
        self.early_stopping = (
            MedianStop.from_settings(
                experiment.early_stopping.name,
                experiment.early_stopping.settings,
                experiment.objective.metric,
                experiment.objective.type,
            )
            if experiment.early_stopping is not None
            else None
        )
        self.trials_path = self.workdir / "trials.json"
        self.events: queue.Queue[str] = queue.Queue()
        self.active: dict[str, _Active] = {}
        self.interrupted = False
        self._pending: list[TrialRecord] = []
        self._saved_at = 0.0
        self.records: list[TrialRecord] = []
        self.store: RunStore
        self.study: optuna.study.Study

    # -- the study ---------------------------------------------------------------------------

    def _open_study(self) -> None:
        """Open (or start) the run's study; repair what a killed run left, and queue the
        trials it did not see finish to run again first, with the same parameters."""
        self.store = RunStore(self.workdir)
        previous = self.store.previous(self.experiment)
        if previous is None:
            seed = seed_of(self.experiment.algorithm.settings)
            if seed is None:
                seed = random.SystemRandom().randrange(2**31)
            sampler_seed = seed
        else:
            seed = sampler_seed = previous.seed
            if self.experiment.algorithm.name not in ("grid", "sobol"):
                # A resumed sampler seeded as before would suggest the first run's points
                # again (grid and Sobol carry their position in the study instead).
                sampler_seed += previous.trials
        choice = make_sampler(self.experiment, sampler_seed)
        self.view.say(f"algorithm {self.experiment.algorithm.name}: {choice.description}")
        for note in choice.notes:
            self.view.say(f"note: {note}")
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.study = self.store.open_study(self.experiment, choice.sampler, seed)
        for trial in self.study.get_trials(deepcopy=False):
            data = trial.user_attrs.get(RECORD_ATTR)
            running = trial.state == optuna.trial.TrialState.RUNNING
            if data is None:
                if running and set(trial.params) == set(self.distributions):
                    # Asked for, but the engine was killed before it recorded the trial.
                    self._pending.append(self._new_record(trial))
                elif running:  # killed while Optuna was still filling in its parameters
                    self.study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
                continue
            record = TrialRecord.from_json(
                data, trial.number + 1, space.to_assignments(self.experiment, trial.params)
            )
            self.records.append(record)
            if record.finished and running:
                self._tell(record)  # killed between recording the outcome and telling Optuna
            elif not record.finished:
                remove_leftovers(record.pid, record.pid_start, record.container)
                record.restart()
                self.store.save(record)
                self._pending.append(record)
        self.records.sort(key=lambda r: r.index)

    def _save(self) -> None:
        """Write trials.json, the Katib form of the study (running trials' metrics so far)."""
        self._saved_at = time.monotonic()
        write_json_atomic(self.trials_path, katib_format.trial_list(self.records, self.experiment))

    def _tell(self, record: TrialRecord) -> None:
        """Tell Optuna the outcome of a trial whose record says it finished."""
        number = record.index - 1
        if record.status == SUCCEEDED:
            value = katib_format.objective_value(record, self.experiment)
            self.study.tell(number, value)
        elif record.status == EARLY_STOPPED:
            self.store.report(record)
            self.study.tell(number, state=optuna.trial.TrialState.PRUNED)
        else:
            self.study.tell(number, state=optuna.trial.TrialState.FAIL)

    # -- trials ----------------------------------------------------------------------------------

    def _new_record(self, trial: optuna.trial.FrozenTrial | optuna.trial.Trial) -> TrialRecord:
        """A Katib trial (a fresh Kubernetes-style name) for the Optuna trial."""
        taken = {r.name for r in self.records}
        rng = random.SystemRandom()
        name = ""
        while not name or name in taken:
            suffix = "".join(rng.choice(_SUFFIX_ALPHABET) for _ in range(8))
            name = f"{self.experiment.name}-{suffix}"
        record = TrialRecord(
            name=name,
            index=trial.number + 1,
            assignments=space.to_assignments(self.experiment, trial.params),
            created=now(),
            log=f"logs/{name}.log",
        )
        record.transition(CREATED)
        self.records.append(record)
        return record

    def _rule(self) -> StopRule | None:
        if self.early_stopping is None:
            return None
        histories = [r.objective_values for r in self.records if r.status == SUCCEEDED]
        return self.early_stopping.rule(histories)

    def _launch(self, record: TrialRecord) -> None:
        """Start the trial; it is recorded (Running, or Failed if it cannot start) before
        the run goes on."""
        rule = self._rule()
        record.early_stopping_rule = rule.as_katib() if rule else None
        record.attempts += 1
        collector = MetricsCollector(
            self.experiment.objective.metrics, self.experiment.effective_metrics_filters
        )
        log_path = self.workdir / record.log
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = log_path.open("w", encoding="utf-8")
        try:
            run = self.experiment.resolve_trial(record.assignments, trial_name=record.name)
            handle = self.runner.start(record.name, run, self.options.trial_cwd)
        except (RunnerError, ExperimentError) as error:
            log.write(f"hpo-rig: {error}\n")
            log.close()
            record.started = now()
            record.observation = collector.observation()
            record.transition(FAILED, f"Trial has failed. Job message: {error}")
            self.store.save(record)
            self._tell(record)
            self.view.finished(record, self._done(), self.max_trials)
            return
        record.started = now()
        record.pid = handle.pid
        record.pid_start = process_start_time(handle.pid)
        record.container = handle.container
        record.gpu = handle.gpu
        record.transition(RUNNING)
        self.store.save(record)
        tracker = RuleTracker(rule, self.experiment.objective.type) if rule else None
        active = _Active(record, handle, collector, tracker)
        limits = [
            t for t in (run.active_deadline_seconds, self.options.trial_timeout) if t is not None
        ]
        if limits:
            active.deadline = time.monotonic() + min(limits)
        self.active[record.name] = active
        threading.Thread(target=self._pump, args=(active, log), daemon=True).start()
        self.view.started(record)

    def _pump(self, active: _Active, log: IO[str]) -> None:
        """Reader thread: log, parse, early-stop; then report the trial's end."""
        objective = self.experiment.objective.metric
        try:
            for line in active.handle.stdout:
                log.write(line)
                log.flush()
                if active.early_stopped:
                    continue
                with active.lock:
                    reported = active.collector.feed(line)
                for name, value in reported:
                    if name == objective and active.tracker and active.tracker.update(value):
                        active.early_stopped = True
                        active.handle.stop(self.options.grace_seconds)
                        break
            active.handle.wait()
        finally:
            log.close()
            self.events.put(active.record.name)

    def _finish(self, name: str) -> None:
        active = self.active.pop(name)
        record = active.record
        code = active.handle.process.returncode
        record.exit_code = code
        with active.lock:
            record.observation = active.collector.observation()
            record.objective_values = list(active.collector.objective.values)
        record.pid = record.pid_start = None
        if active.stop_as == CREATED:
            # Not yet run: its Optuna trial stays open, to be run again on resume.
            record.restart()
            self.store.save(record)
            return
        if active.stop_as == KILLED:
            record.transition(KILLED)
        elif active.timed_out:
            # A Job past activeDeadlineSeconds fails with the Job condition reason
            # DeadlineExceeded and message "Job was active longer than specified deadline"
            # (kubernetes pkg/controller/job/job_controller.go); Katib's trial controller
            # (pkg/controller.v1beta1/trial/trial_controller_util.go, UpdateTrialStatusCondition)
            # appends them: reason "TrialFailed. Job reason: ...", message
            # "Trial has failed. Job message: ...". Metrics so far are kept, as Katib does.
            record.transition(
                FAILED,
                f"Trial has failed. Job message: {DEADLINE_MESSAGE}",
                reason=f"TrialFailed. Job reason: {DEADLINE_REASON}",
            )
        elif active.early_stopped:
            record.transition(EARLY_STOPPED)
        elif code != 0:
            ended = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
            record.transition(
                FAILED, f"Trial has failed. Job message: {ended}{self._tail(record, code)}"
            )
        elif not record.objective_values:
            record.transition(METRICS_UNAVAILABLE)
        else:
            record.transition(SUCCEEDED)
        # The record first: a run killed between the two tells Optuna on resume.
        self.store.save(record)
        self._tell(record)
        self.view.finished(record, self._done(), self.max_trials)

    def _tail(self, record: TrialRecord, code: int) -> str:
        try:
            lines = (self.workdir / record.log).read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        if self.runner.name == "docker" and code in DOCKER_START_FAILURES:
            said = docker_start_error(lines)
            if said is not None:
                return f": {said[:400]}"
        # The docker CLI ends its own errors with a usage hint; the error is the line before.
        lines = [line for line in lines if line and not _DOCKER_HINT.match(line)]
        return f": {lines[-1][:200]}" if lines else ""

    def _stop_all(self, stop_as: str) -> None:
        for active in self.active.values():
            active.stop_as = stop_as
            active.handle.stop(self.options.grace_seconds)
        while self.active:
            self._finish(self.events.get())

    # -- decisions -----------------------------------------------------------------------------

    def _done(self) -> int:
        return sum(1 for r in self.records if r.finished)

    def _verdict(self) -> RunResult | None:
        """Katib's experiment status, or None while the experiment is running."""
        objective = self.experiment.objective
        finished = [r for r in self.records if r.finished]
        if objective.goal is not None:
            for record in finished:
                value = katib_format.objective_value(record, self.experiment)
                if value is None:
                    continue
                if (objective.type == "maximize" and value >= objective.goal) or (
                    objective.type == "minimize" and value <= objective.goal
                ):
                    return RunResult(
                        EXIT_OK,
                        "ExperimentGoalReached",
                        f"Experiment has succeeded because Objective goal has reached "
                        f"({record.name}: {objective.metric}={value:g})",
                    )
        failed = sum(1 for r in finished if r.status in (FAILED, METRICS_UNAVAILABLE))
        limit = self.experiment.max_failed_trial_count
        if limit is not None and failed != 0 and failed >= limit:
            return RunResult(
                EXIT_FAILED,
                "ExperimentFailed",
                f"Experiment has failed because max failed count has reached: {failed} "
                f"trial(s) Failed or MetricsUnavailable, maxFailedTrialCount is {limit}; "
                f"see the logs under {self.workdir / 'logs'}",
            )
        if self.max_trials is not None and len(finished) >= self.max_trials:
            return RunResult(
                EXIT_OK,
                "ExperimentMaxTrialsReached",
                "Experiment has succeeded because max trial count has reached",
            )
        if (
            self.grid_size is not None
            and len(self.records) >= self.grid_size
            and not (self.active or self._pending)
        ):
            return RunResult(
                EXIT_OK,
                "ExperimentSuggestionEndReached",
                "Experiment has succeeded because suggestion service has reached the end",
            )
        return None

    def _may_create(self) -> bool:
        created = len(self.records)
        if self.max_trials is not None and created >= self.max_trials:
            return False
        return self.grid_size is None or created < self.grid_size

    # -- the loop --------------------------------------------------------------------------------

    def run(self) -> RunResult:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with _locked(self.workdir / ".lock"), _signals(self._interrupt):
            self._open_study()
            if self._pending:
                self.view.say(
                    f"resuming: {self._done()} finished trial(s) kept, "
                    f"{len(self._pending)} interrupted trial(s) to run again"
                )
            elif self.records:
                self.view.say(f"resuming: {self._done()} finished trial(s) kept")
            self._save()
            try:
                result = self._loop()
            except BaseException:
                # A bug or a second interrupt must not leave trials running unattended.
                for active in self.active.values():
                    active.handle.kill()
                with suppress(Exception):
                    self._save()  # running trials stay Running: a rerun repairs and reruns them
                raise
            self._save()
            self.view.refresh(self.records, self._header())
            self.view.close()
            return result

    def _interrupt(self) -> None:
        if self.interrupted:
            # A second Ctrl-C (or SIGTERM, SIGHUP) during the grace period: stop at once.
            raise KeyboardInterrupt
        self.interrupted = True

    def _loop(self) -> RunResult:
        while True:
            verdict = self._verdict()
            if verdict is not None:
                if self.active:
                    self._stop_all(KILLED)
                    self._save()
                return verdict
            if self.interrupted:
                if self.active:
                    self.view.say(
                        f"stopping {len(self.active)} trial(s) (grace "
                        f"{self.options.grace_seconds:g}s); interrupt again to kill them at once"
                    )
                self._stop_all(CREATED)
                return RunResult(
                    EXIT_INTERRUPTED,
                    "Interrupted",
                    f"interrupted: running trials stopped; rerun the same command to resume "
                    f"from {self.workdir}",
                )
            self._fill()
            if not self.active:
                if self._verdict() is None:
                    return RunResult(EXIT_FAILED, "NoTrials", "no trial could be started")
                continue
            finished = 0
            try:
                self._finish(self.events.get(timeout=self.options.refresh_seconds))
                finished += 1
                while True:
                    self._finish(self.events.get_nowait())
                    finished += 1
            except queue.Empty:
                pass
            self._sync_running()
            # Every end is recorded at once; running trials' metrics every few seconds only.
            if finished or time.monotonic() - self._saved_at > LIVE_SAVE_SECONDS:
                self._save()
            self.view.refresh(self.records, self._header())

    def _sync_running(self) -> None:
        """Running trials show their metrics so far, as Katib's trials do; a trial past its
        deadline is stopped (SIGTERM, then SIGKILL after the grace, as Kubernetes deletes a
        Job's pods)."""
        clock = time.monotonic()
        for active in self.active.values():
            with active.lock:
                active.record.observation = active.collector.observation()
            if active.deadline is not None and clock >= active.deadline and not active.timed_out:
                active.timed_out = True
                active.handle.stop(self.options.grace_seconds)

    def _fill(self) -> None:
        started = False
        while len(self.active) < self.parallel and not self.interrupted:
            if self._pending:
                record = self._pending.pop(0)
            elif self._may_create():
                record = self._new_record(self.study.ask(self.distributions))
            else:
                break
            self._launch(record)
            started = True
            self._save()
            if self._verdict() is not None:
                break
        if started:
            self.view.refresh(self.records, self._header())

    def _header(self) -> str:
        counts: dict[str, int] = {}
        for record in self.records:
            counts[record.status] = counts.get(record.status, 0) + 1
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        limit = f"/{self.max_trials}" if self.max_trials is not None else ""
        return f"{self.experiment.name}: {self._done()}{limit} done ({summary})"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise StateError(f"another hpo-rig run is using {path.parent}") from error
        yield


@contextmanager
def _signals(callback: Any) -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP (the terminal or SSH session closed) ask the loop to stop
    its trials and exit, instead of raising; a second one raises KeyboardInterrupt."""

    def handler(signum: int, frame: FrameType | None) -> None:
        callback()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_experiment(
    experiment: Experiment, runner: Runner, options: RunOptions, view: View
) -> RunResult:
    return Engine(experiment, runner, options, view).run()
