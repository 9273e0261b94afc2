"""Every Experiment of Katib v0.19.0's ``examples/v1beta1/`` and ``test/e2e/v1beta1/`` (35 files,
one Experiment each), as condensed files of the same shape in ``fixtures/upstream-v1beta1/``:
each is admitted, except those Katib refuses too, which are refused for Katib's reason."""

from pathlib import Path

import pytest

from hpo_rig.validate import errors, validate_file

UPSTREAM = Path(__file__).parent / "fixtures" / "upstream-v1beta1"
FILES = sorted(p.name for p in UPSTREAM.glob("*.yaml"))

# file -> (the field refused, words of Katib's own message, why Katib refuses it as well)
REFUSED: dict[str, tuple[str, tuple[str, ...], str]] = {
    "e2e--invalid-experiment.yaml": (
        "spec.algorithm.algorithmName",
        ("unknown algorithm 'invalid-algorithm'",),
        "the e2e test's deliberate refusal: no suggestion in the katib-config has that name "
        "(validator.go validateAlgorithm)",
    ),
    "hp-tuning--simple-pbt.yaml": (
        "spec.maxFailedTrialCount",
        ("less than or equal to spec.maxTrialCount", "3 > 2"),
        "validator.go ValidateExperiment refuses maxFailedTrialCount 3 > maxTrialCount 2; "
        "Katib's e2e run-e2e-experiment.py sets the counts to 2/1/0 before submitting it",
    ),
    "nas--darts-gpu.yaml": (
        "spec.nasConfig.operations[4].parameters",
        ("Missing ParameterConfigs in Operation", "Suggestion fails"),
        "the webhook admits it, but darts' ValidateAlgorithmSettings (nas/common/validation.py "
        "validate_operations) refuses skip_connection without parameters and the Suggestion "
        "fails; only darts-cpu, which has no such operation, runs in Katib's e2e tests",
    ),
    "tekton--pipeline-run.yaml": (
        "spec.trialTemplate.trialParameters[0].name",
        ("not found in spec.trialTemplate", "$(trialParameters.lr)"),
        "validator.go validateTrialTemplate looks for ${trialParameters.learningRate}; the "
        "example writes $(trialParameters.lr), which Katib never substitutes",
    ),
}


def test_every_upstream_experiment_is_here() -> None:
    assert len(FILES) == 35
    assert set(REFUSED) <= set(FILES)


@pytest.mark.parametrize("name", [n for n in FILES if n not in REFUSED])
def test_katib_admits_it_and_so_do_we(name: str) -> None:
    assert [str(p) for p in errors(validate_file(UPSTREAM / name))] == []


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_katib_refuses_it_and_so_do_we(name: str) -> None:
    field, words, _why = REFUSED[name]
    found = errors(validate_file(UPSTREAM / name))
    assert [p.path for p in found] == [field], [str(p) for p in found]
    for word in words:
        assert word in found[0].message


def test_a_command_looked_up_in_a_registry_is_a_warning() -> None:
    problems = validate_file(UPSTREAM / "kubeflow-training-operator--xgboostjob-lightgbm.yaml")
    assert [(p.path, p.warning) for p in problems] == [
        (
            "spec.trialTemplate.trialSpec.spec.xgbReplicaSpecs.Master.template.spec"
            ".containers[0].command",
            True,
        )
    ]
    assert "registry" in problems[0].message
