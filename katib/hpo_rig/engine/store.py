"""The run's study in Optuna's own storage in the work directory: its one source of truth.

The storage is Optuna's ``JournalStorage`` over a ``JournalFileBackend``
(optuna/optuna v5 ``optuna/storages/journal/_file.py``): an append-only file of operations,
each written under a lock and fsynced, that ``optuna-dashboard WORKDIR/optuna.journal`` and
``optuna trials --storage WORKDIR/optuna.journal --study-name NAME`` open as they are (both
take an existing file for a journal: optuna ``optuna/cli.py`` ``_get_storage``,
optuna-dashboard ``optuna_dashboard/_storage_url.py`` ``guess_storage_from_url``).
Chosen over SQLite (``RDBStorage``): that imports SQLAlchemy and creates its tables with
alembic, about 0.4-0.6 s more on every start here, where a journal opens in a millisecond.

Optuna holds the study: parameters, the sampler's own state (grid points, CMA-ES, Sobol's
position), values and trial states. What it cannot hold is one JSON user attribute per trial
(``hpo_rig``: Katib's conditions, metrics, attempts, log path, process, GPU device), written
before Optuna is told of the outcome; the Experiment's spec and the seed are user attributes
of the study.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from hpo_rig.engine.state import StateError, TrialRecord
from hpo_rig.experiment import Experiment

JOURNAL = "optuna.journal"
RECORD_ATTR = "hpo_rig"
SPEC_ATTR = "katib_spec"
SEED_ATTR = "seed"
# What a rerun may change in the spec: the trial limit, to extend a finished run.
EXTENDABLE = frozenset({"spec.maxTrialCount"})
# The work directory of hpo-rig before the journal: its own state file.
OLD_STATE = "state.json"
# JournalFileBackend's lock: a symlink beside the journal while a write is under way
# (optuna/storages/journal/_file.py, LOCK_FILE_SUFFIX).
_OPTUNA_LOCK_SUFFIX = ".lock"


@dataclass(frozen=True)
class Previous:
    """What an earlier run of the same Experiment left."""

    seed: int
    trials: int


def spec_of(experiment: Experiment) -> Any:
    """The Experiment's spec as JSON holds it (what is stored and compared)."""
    return json.loads(json.dumps(experiment.raw.get("spec"), sort_keys=True, default=str))


def differences(old: Any, new: Any, path: str = "spec") -> Iterator[str]:
    """The paths, written as `hpo-rig validate` names fields (``spec.parameters[0].name``),
    where two specs differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            if key not in old or key not in new:
                yield f"{path}.{key}"
            else:
                yield from differences(old[key], new[key], f"{path}.{key}")
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            yield from differences(before, after, f"{path}[{index}]")
    elif old != new:
        yield path


class RunStore:
    """The journal of one work directory, and the study it holds."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.path = workdir / JOURNAL
        if (workdir / OLD_STATE).exists() and not self.path.exists():
            raise StateError(
                f"{workdir} holds a run of an earlier hpo-rig ({OLD_STATE}), which this "
                f"version cannot resume (it keeps runs in Optuna's storage, {JOURNAL}); "
                f"its results stay in {workdir / 'trials.json'}: use another --workdir"
            )
        # The caller holds the work directory's lock, so no other engine writes here: a
        # journal lock left behind is from an engine killed while writing, which Optuna
        # would otherwise wait 30 s (its grace period) to break.
        (workdir / (JOURNAL + _OPTUNA_LOCK_SUFFIX)).unlink(missing_ok=True)
        self.storage = JournalStorage(JournalFileBackend(str(self.path)))
        self._study_id: int | None = None

    def previous(self, experiment: Experiment) -> Previous | None:
        """The earlier run of this Experiment here, or None; StateError for another one."""
        studies = self.storage.get_all_studies()
        if not studies:
            return None
        names = [s.study_name for s in studies]
        if names != [experiment.name]:
            raise StateError(
                f"{self.workdir} holds a run of a different experiment "
                f"({', '.join(map(repr, names))}); use another --workdir"
            )
        (study,) = studies
        if SPEC_ATTR not in study.user_attrs:
            return None  # the first run was killed while it created the study
        changed = [
            field
            for field in differences(study.user_attrs.get(SPEC_ATTR), spec_of(experiment))
            if field not in EXTENDABLE
        ]
        if changed:
            shown = ", ".join(changed[:5])
            if len(changed) > 5:
                shown += f" and {len(changed) - 5} more"
            raise StateError(
                f"{self.workdir} holds a run of {experiment.name!r} with another spec "
                f"({shown} differ; only spec.maxTrialCount may change, to extend a run); "
                f"use another --workdir"
            )
        trials = self.storage.get_n_trials(self.storage.get_study_id_from_name(experiment.name))
        return Previous(seed=int(study.user_attrs[SEED_ATTR]), trials=trials)

    def open_study(
        self, experiment: Experiment, sampler: optuna.samplers.BaseSampler, seed: int
    ) -> optuna.study.Study:
        """The study of this run, driven by ``sampler``; on the first run it is created
        and given the spec and the seed (the spec last: it marks the study complete)."""
        study = optuna.create_study(
            storage=self.storage,
            sampler=sampler,
            study_name=experiment.name,
            direction="maximize" if experiment.objective.type == "maximize" else "minimize",
            load_if_exists=True,
        )
        self._study_id = self.storage.get_study_id_from_name(experiment.name)
        spec = spec_of(experiment)
        if SPEC_ATTR not in study.user_attrs:
            study.set_user_attr(SEED_ATTR, seed)
        if study.user_attrs.get(SPEC_ATTR) != spec:  # a new run, or a new maxTrialCount
            study.set_user_attr(SPEC_ATTR, spec)
        return study

    def save(self, record: TrialRecord) -> None:
        """Write the record to its trial (index N is Optuna's trial number N - 1)."""
        self.storage.set_trial_user_attr(self.trial_id(record), RECORD_ATTR, record.to_json())

    def report(self, record: TrialRecord) -> None:
        """The trial's objective values as Optuna's intermediate values (step = report)."""
        trial_id = self.trial_id(record)
        for step, value in enumerate(record.objective_values):
            self.storage.set_trial_intermediate_value(trial_id, step, value)

    def trial_id(self, record: TrialRecord) -> int:
        assert self._study_id is not None, "open_study first"
        return self.storage.get_trial_id_from_study_id_trial_number(
            self._study_id, record.index - 1
        )
