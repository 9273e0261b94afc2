"""`hpo-rig run` refuses, before any trial starts, what Katib's webhook would refuse."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from hpo_rig.cli import main

from .conftest import experiment_document


def _objective_typo(document: dict[str, Any]) -> None:
    document["spec"]["objective"]["type"] = "maximise"


def _no_objective(document: dict[str, Any]) -> None:
    del document["spec"]["objective"]


def _min_equals_max(document: dict[str, Any]) -> None:
    document["spec"]["parameters"][0]["feasibleSpace"] = {"min": "0.1", "max": "0.1"}


def _fractional_int_bound(document: dict[str, Any]) -> None:
    document["spec"]["parameters"][1]["feasibleSpace"] = {"min": "1.5", "max": "5"}


def _bad_name(document: dict[str, Any]) -> None:
    document["metadata"]["name"] = "Engine_Test"


def _no_parallel(document: dict[str, Any]) -> None:
    document["spec"]["parallelTrialCount"] = 0


def _undefined_trial_parameter(document: dict[str, Any]) -> None:
    container = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    container["command"].append("--momentum=${trialParameters.momentum}")


def _unknown_setting(document: dict[str, Any]) -> None:
    # Optuna would take a seed, but Katib's random service knows only random_state.
    document["spec"]["algorithm"]["algorithmSettings"] = [{"name": "seed", "value": "1"}]


CASES = [
    (_objective_typo, "spec.objective.type"),
    (_no_objective, "spec.objective"),
    (_min_equals_max, "spec.parameters[0].feasibleSpace"),
    (_fractional_int_bound, "spec.parameters[1].feasibleSpace"),
    (_bad_name, "metadata.name"),
    (_no_parallel, "spec.parallelTrialCount"),
    (_undefined_trial_parameter, "${trialParameters.momentum} is not defined"),
    (_unknown_setting, "spec.algorithm.algorithmSettings"),
]


@pytest.mark.parametrize(("mistake", "named"), CASES, ids=[c[0].__name__ for c in CASES])
def test_a_mistake_katib_refuses_exits_2_before_any_trial(
    mistake: Any, named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = experiment_document()
    mistake(document)
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(document))
    workdir = tmp_path / "w"
    code = main(["run", str(path), "--runner", "process", "--workdir", str(workdir), "--plain"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert named in err
    assert f"{path}: " in err
    assert "Katib v0.19.0 (kubeflow.org/v1beta1)" in err
    assert "no trial started" in err
    assert "Traceback" not in err
    assert not workdir.exists()


def test_a_warning_is_printed_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = experiment_document(maxTrialCount=1, parallelTrialCount=1, maxFailedTrialCount=1)
    document["spec"]["parameters"].append(
        {"name": "unused", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "2"}}
    )
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(document))
    workdir = tmp_path / "w"
    code = main(["run", str(path), "--runner", "process", "--workdir", str(workdir), "--plain"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "warning: spec.parameters[2].name: 'unused' is never passed to the trial" in err
    assert (workdir / "trials.json").exists()


def test_run_help_lists_its_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["run", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    listed = out[out.index("exit status:") :].splitlines()
    for code in ("0", "1", "2", "130"):
        assert any(line.split()[:1] == [code] for line in listed), code
    assert "SIGHUP" in out
    assert "--trial-timeout" in out
