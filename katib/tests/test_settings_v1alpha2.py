"""v1alpha2 algorithm settings judged as Katib 0.6's suggestion services read them: one row per
rule, the verdict (refused, warned, clean) and the field named."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from hpo_rig.validate import Problem, validate_experiment

EXAMPLE = Path(__file__).parent / "fixtures" / "examples" / "v1alpha2-random.yaml"
REFUSED, WARNED, CLEAN = "refused", "warned", "clean"
SETTINGS = "spec.algorithm.algorithmSettings"


def seed_experiment(algorithm: str, *settings: tuple[str, str], **spec: Any) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    document["spec"]["algorithm"] = {
        "algorithmName": algorithm,
        "algorithmSettings": [{"name": n, "value": v} for n, v in settings],
    }
    document["spec"].update(spec)
    return document


HYPERBAND = (("resourceName", "--num-layers"), ("eta", "3"), ("r_l", "3"))

# (case, document, verdict, field, words in the message)
ROWS: list[tuple[str, dict[str, Any], str, str | None, str]] = [
    ("hyperband as 0.6 names it", seed_experiment("hyperband", *HYPERBAND), CLEAN, None, ""),
    (
        "hyperband's v1beta1 resource_name is not 0.6's resourceName",
        seed_experiment("hyperband", ("resource_name", "--num-layers"), ("r_l", "3")),
        REFUSED,
        f"{SETTINGS}[resourceName]",
        "r_l and resourceName must be set.",
    ),
    (
        "the v1beta1 name itself is ignored by 0.6, naming the right one",
        seed_experiment("hyperband", ("resource_name", "--num-layers"), ("r_l", "3")),
        WARNED,
        f"{SETTINGS}[resource_name]",
        "did you mean 'resourceName'?",
    ),
    (
        "hyperband r_l negative",
        seed_experiment("hyperband", HYPERBAND[0], ("r_l", "-1")),
        REFUSED,
        f"{SETTINGS}[r_l]",
        "r_l must be a positive float number.",
    ),
    (
        "hyperband r_l 0 makes 0.6's service raise",
        seed_experiment("hyperband", HYPERBAND[0], ("r_l", "0")),
        REFUSED,
        f"{SETTINGS}[r_l]",
        "raises ValueError",
    ),
    (
        "hyperband eta 1 divides by log(1)",
        seed_experiment("hyperband", HYPERBAND[0], ("eta", "1"), ("r_l", "3")),
        REFUSED,
        f"{SETTINGS}[eta]",
        "raises ZeroDivisionError",
    ),
    (
        "hyperband eta 0 means 3",
        seed_experiment("hyperband", HYPERBAND[0], ("eta", "0"), ("r_l", "3")),
        CLEAN,
        None,
        "",
    ),
    (
        "hyperband needs parallel trials for its first bracket",
        seed_experiment("hyperband", HYPERBAND[0], ("r_l", "9"), parallelTrialCount=3),
        REFUSED,
        "spec.parallelTrialCount",
        "parallelTrialCount must be not less than 9.",
    ),
    (
        "hyperband resourceName names no parameter (flags are the names)",
        seed_experiment("hyperband", ("resourceName", "num-layers"), ("r_l", "3")),
        REFUSED,
        f"{SETTINGS}[resourceName]",
        "value of resourceName setting must be in parameters.",
    ),
    (
        "hyperband's bookkeeping set by hand",
        seed_experiment("hyperband", *HYPERBAND, ("sMax", "1")),
        WARNED,
        f"{SETTINGS}[sMax]",
        "own bookkeeping",
    ),
    (
        "grid sizes per parameter and DefaultGrid",
        seed_experiment("grid", ("--lr", "4"), ("DefaultGrid", "3")),
        CLEAN,
        None,
        "",
    ),
    (
        "grid size that is no whole number",
        seed_experiment("grid", ("DefaultGrid", "2.5")),
        REFUSED,
        f"{SETTINGS}[DefaultGrid]",
        "whole number of grid points",
    ),
    (
        "grid size of a categorical parameter",
        seed_experiment("grid", ("--optimizer", "2")),
        WARNED,
        f"{SETTINGS}[--optimizer]",
        "ignored",
    ),
    (
        "grid size under the parameter's plain name",
        seed_experiment("grid", ("lr", "4")),
        WARNED,
        f"{SETTINGS}[lr]",
        "does not know this setting",
    ),
    (
        "grid smaller than maxTrialCount",
        seed_experiment("grid", ("DefaultGrid", "1")),
        WARNED,
        "spec.maxTrialCount",
        "exceeds the 3 combinations",
    ),
    (
        "bayesianoptimization as 0.6 names it",
        seed_experiment("bayesianoptimization", ("burn_in", "5"), ("trade_off", "0.02")),
        CLEAN,
        None,
        "",
    ),
    (
        "bayesianoptimization kernel_type 0.6's GP refuses",
        seed_experiment("bayesianoptimization", ("kernel_type", "linear")),
        REFUSED,
        f"{SETTINGS}[kernel_type]",
        "fails later",
    ),
    (
        "bayesianoptimization kernel_type rbf, which 0.6 ignores",
        seed_experiment("bayesianoptimization", ("kernel_type", "rbf")),
        WARNED,
        f"{SETTINGS}[kernel_type]",
        "keeps 'matern'",
    ),
    (
        "bayesianoptimization mode ei, which 0.6 ignores",
        seed_experiment("bayesianoptimization", ("mode", "ei")),
        WARNED,
        f"{SETTINGS}[mode]",
        "keeps 'pi'",
    ),
    (
        "bayesianoptimization N not an integer",
        seed_experiment("bayesianoptimization", ("N", "many")),
        WARNED,
        f"{SETTINGS}[N]",
        "keeps the default 100",
    ),
    (
        "bayesianoptimization's v1beta1 base_estimator",
        seed_experiment("bayesianoptimization", ("base_estimator", "GP")),
        WARNED,
        f"{SETTINGS}[base_estimator]",
        "does not know this setting",
    ),
    (
        "random's v1beta1 random_state",
        seed_experiment("random", ("random_state", "7")),
        WARNED,
        f"{SETTINGS}[random_state]",
        "reads no settings",
    ),
]


def _found(problems: list[Problem], warning: bool, field: str | None) -> list[Problem]:
    return [p for p in problems if p.warning == warning and p.path == field]


@pytest.mark.parametrize(
    ("document", "verdict", "field", "words"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_katib_06_setting_rule(
    document: dict[str, Any], verdict: str, field: str | None, words: str
) -> None:
    problems = validate_experiment(document)
    if verdict == CLEAN:
        assert [str(p) for p in problems] == []
        return
    matching = _found(problems, verdict == WARNED, field)
    assert matching, [str(p) for p in problems]
    assert words in matching[0].message
    if verdict == WARNED:
        assert [str(p) for p in problems if not p.warning and "resourceName" not in p.path] == []
