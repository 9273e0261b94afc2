from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from hpo_rig.validate import validate_experiment, validate_file, validate_text

EXAMPLES = Path(__file__).parent / "fixtures" / "examples"
Document = dict[str, Any]


def example(name: str = "v1beta1-random.yaml") -> Document:
    document = yaml.safe_load((EXAMPLES / name).read_text())
    assert isinstance(document, dict)
    return document


def container(document: Document) -> Document:
    spec = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]
    result = spec["containers"][-1]
    assert isinstance(result, dict)
    return result


def settings(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in pairs]


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_published_example_shapes_are_accepted(name: str) -> None:
    assert validate_file(EXAMPLES / name) == []


# The algorithm sections of Katib's examples/v1beta1/hp-tuning/*.yaml, which otherwise match
# random.yaml (grid.yaml also gives lr a step of 0.001 from 0.001 to 0.01).
PUBLISHED_ALGORITHMS: list[dict[str, Any]] = [
    {"algorithmName": "grid"},
    {"algorithmName": "tpe"},
    {"algorithmName": "multivariate-tpe"},
    {"algorithmName": "sobol"},
    {"algorithmName": "cmaes", "algorithmSettings": settings(("restart_strategy", "ipop"))},
    {
        "algorithmName": "bayesianoptimization",
        "algorithmSettings": settings(("random_state", "10")),
    },
]


@pytest.mark.parametrize(
    "algorithm", PUBLISHED_ALGORITHMS, ids=[a["algorithmName"] for a in PUBLISHED_ALGORITHMS]
)
def test_published_algorithm_sections_are_accepted(algorithm: dict[str, Any]) -> None:
    document = example()
    document["spec"]["algorithm"] = algorithm
    if algorithm["algorithmName"] == "grid":
        document["spec"]["parameters"][0]["feasibleSpace"] = {
            "min": "0.001",
            "max": "0.01",
            "step": "0.001",
        }
    assert validate_experiment(document) == []


def _set_algorithm(name: str, *pairs: tuple[str, str]) -> Callable[[Document], None]:
    def change(d: Document) -> None:
        d["spec"]["algorithm"] = {"algorithmName": name, "algorithmSettings": settings(*pairs)}

    return change


def _space(index: int, **space: Any) -> Callable[[Document], None]:
    def change(d: Document) -> None:
        d["spec"]["parameters"][index]["feasibleSpace"] = space

    return change


CASES: list[tuple[str, Callable[[Document], object], str]] = [
    (
        "bad-name",
        lambda d: d["metadata"].update(name="Random_1"),
        "metadata.name: must consist of lower case alphanumeric characters",
    ),
    (
        "min-not-below-max",
        _space(0, min="0.5", max="0.1"),
        "spec.parameters[0].feasibleSpace.min: must be less than max (got 0.5 >= 0.1)"
        " (Katib admits this; the Experiment fails later)",
    ),
    (
        "min-equal-max",
        _space(1, min="3", max="3"),
        "spec.parameters[1].feasibleSpace.min: must be less than max (got 3 >= 3)"
        " (Katib admits this; the Experiment fails later)",
    ),
    (
        "unquoted-bound",
        _space(0, min=0.01, max="0.03"),
        'spec.parameters[0].feasibleSpace.min: must be a quoted string, e.g. "0.01" (got a float)',
    ),
    (
        "unquoted-list-item",
        _space(2, list=["sgd", 1]),
        'spec.parameters[2].feasibleSpace.list[1]: must be a quoted string, e.g. "1"',
    ),
    (
        "unquoted-setting",
        (
            lambda d: d["spec"].update(
                algorithm={
                    "algorithmName": "tpe",
                    "algorithmSettings": [{"name": "gamma", "value": 0.25}],
                }
            )
        ),
        'spec.algorithm.algorithmSettings[0].value: must be a quoted string, e.g. "0.25"',
    ),
    (
        "quoted-goal",
        lambda d: d["spec"]["objective"].update(goal="0.99"),
        "spec.objective.goal: must be an unquoted number (got '0.99')",
    ),
    (
        "non-numeric-double",
        _space(0, min="low", max="0.1"),
        "spec.parameters[0].feasibleSpace.min: must be a number (got 'low')",
    ),
    (
        "fractional-int",
        _space(1, min="2", max="5.5"),
        "spec.parameters[1].feasibleSpace.max: must be an integer (got '5.5')",
    ),
    (
        "missing-max",
        _space(1, min="2"),
        "spec.parameters[1].feasibleSpace.max: must be specified for parameterType int",
    ),
    (
        "non-positive-step",
        _space(0, min="0.01", max="0.03", step="-0.01"),
        "spec.parameters[0].feasibleSpace.step: must be positive (got -0.01)",
    ),
    (
        "list-for-double",
        _space(0, min="0.01", max="0.03", list=["0.01"]),
        "spec.parameters[0].feasibleSpace.list: not supported for parameterType double",
    ),
    (
        "categorical-without-list",
        _space(2, list=[]),
        "spec.parameters[2].feasibleSpace.list: must be a non-empty list for parameterType "
        "categorical",
    ),
    (
        "categorical-with-bounds",
        _space(2, list=["sgd"], min="1"),
        "spec.parameters[2].feasibleSpace: min not supported for parameterType categorical",
    ),
    (
        "discrete-not-numeric",
        lambda d: d["spec"]["parameters"][2].update(parameterType="discrete"),
        "spec.parameters[2].feasibleSpace.list[0]: must be a number (got 'sgd')",
    ),
    (
        "unknown-type",
        lambda d: d["spec"]["parameters"][0].update(parameterType="float"),
        "spec.parameters[0].parameterType: must be one of double, int, discrete, categorical "
        "(got 'float')",
    ),
    (
        "bad-distribution",
        lambda d: d["spec"]["parameters"][0]["feasibleSpace"].update(distribution="gamma"),
        "spec.parameters[0].feasibleSpace.distribution: must be one of uniform, logUniform, "
        "normal, logNormal (got 'gamma')",
    ),
    (
        "log-from-zero",
        lambda d: d["spec"]["parameters"][0]["feasibleSpace"].update(
            min="0", distribution="logUniform"
        ),
        "spec.parameters[0].feasibleSpace.min: must be greater than 0 for distribution logUniform",
    ),
    (
        "duplicate-parameter",
        lambda d: d["spec"]["parameters"][1].update(name="lr"),
        "spec.parameters[1].name: duplicate parameter name 'lr'",
    ),
    (
        "unknown-algorithm",
        _set_algorithm("annealing"),
        "spec.algorithm.algorithmName: unknown algorithm 'annealing' for kubeflow.org/v1beta1",
    ),
    (
        "nas-algorithm",
        _set_algorithm("darts"),
        "spec.algorithm.algorithmName: darts is a neural-architecture-search algorithm",
    ),
    (
        "unknown-setting",
        _set_algorithm("random", ("seed", "1")),
        "spec.algorithm.algorithmSettings[seed]: unknown setting for random (known: random_state)",
    ),
    (
        "tpe-gamma",
        _set_algorithm("tpe", ("gamma", "1.5")),
        "spec.algorithm.algorithmSettings[gamma]: must be in the range (0, 1) (got 1.5)",
    ),
    (
        "tpe-candidates",
        _set_algorithm("tpe", ("n_EI_candidates", "many")),
        "spec.algorithm.algorithmSettings[n_EI_candidates]: must be an integer (got 'many')",
    ),
    (
        "bayes-estimator",
        _set_algorithm("bayesianoptimization", ("base_estimator", "SVM")),
        "spec.algorithm.algorithmSettings[base_estimator]: must be one of GP, RF, ET, GBRT "
        "(got 'SVM')",
    ),
    (
        "cmaes-restart",
        _set_algorithm("cmaes", ("restart_strategy", "always")),
        "spec.algorithm.algorithmSettings[restart_strategy]: must be one of none, ipop, "
        "bipop (got 'always')",
    ),
    (
        "cmaes-one-dimension",
        lambda d: (
            _set_algorithm("cmaes")(d),
            d["spec"]["parameters"][1].update(
                parameterType="categorical", feasibleSpace={"list": ["2", "3"]}
            ),
        ),
        "spec.parameters: cmaes needs at least two int or double parameters",
    ),
    (
        "grid-double-without-step",
        _set_algorithm("grid"),
        "spec.parameters[0].feasibleSpace.step: must be specified for a double parameter with "
        "the grid algorithm",
    ),
    (
        "grid-too-small",
        lambda d: (
            _set_algorithm("grid")(d),
            d["spec"]["parameters"][0]["feasibleSpace"].update(step="0.01"),
            d["spec"].update(maxTrialCount=40),
        ),
        "spec.maxTrialCount: exceeds the 36 combinations of the grid (got 40)",
    ),
    (
        "hyperband-settings",
        _set_algorithm("hyperband", ("eta", "3")),
        "spec.algorithm.algorithmSettings[r_l]: must be set for hyperband",
    ),
    (
        "hyperband-resource",
        _set_algorithm("hyperband", ("r_l", "3"), ("resource_name", "epochs")),
        "spec.algorithm.algorithmSettings[resource_name]: 'epochs' is not a parameter",
    ),
    (
        "hyperband-parallel",
        _set_algorithm("hyperband", ("r_l", "9"), ("eta", "3"), ("resource_name", "num-layers")),
        "spec.parallelTrialCount: must be at least 9 for hyperband with eta=3 and r_l=9 (got 3)",
    ),
    (
        "early-stopping-algorithm",
        lambda d: d["spec"].update(earlyStopping={"algorithmName": "patience"}),
        "spec.earlyStopping.algorithmName: unknown early stopping algorithm 'patience'",
    ),
    (
        "early-stopping-setting",
        lambda d: d["spec"].update(
            earlyStopping={
                "algorithmName": "medianstop",
                "algorithmSettings": settings(("start_step", "0")),
            }
        ),
        "spec.earlyStopping.algorithmSettings[start_step]: must be at least 1 (got 0)",
    ),
    (
        "reference-unknown",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"][0].update(reference="rate"),
        "spec.trialTemplate.trialParameters[0].reference: 'rate' is neither a parameter in "
        "spec.parameters nor trial metadata",
    ),
    (
        "placeholder-undefined",
        lambda d: container(d)["command"].append("--seed=${trialParameters.seed}"),
        "spec.trialTemplate.trialSpec: ${trialParameters.seed} is not defined in trialParameters",
    ),
    (
        "trial-parameter-unused",
        lambda d: container(d)["command"].remove("--optimizer=${trialParameters.optimizer}"),
        "spec.trialTemplate.trialParameters[2].name: ${trialParameters.optimizer} not found "
        "in spec.trialTemplate",
    ),
    (
        "parameter-not-passed",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"].pop(),
        "spec.trialTemplate.trialSpec: ${trialParameters.optimizer} is not defined in "
        "trialParameters",
    ),
    (
        "duplicate-trial-parameter",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"][1].update(name="learningRate"),
        "spec.trialTemplate.trialParameters[1].name: duplicate trial parameter name 'learningRate'",
    ),
    (
        "primary-missing",
        lambda d: d["spec"]["trialTemplate"].update(primaryContainerName="trainer"),
        "spec.trialTemplate.trialSpec: has no container named 'trainer'",
    ),
    (
        "primary-unnamed",
        lambda d: d["spec"]["trialTemplate"].pop("primaryContainerName"),
        "spec.trialTemplate.primaryContainerName: must be specified",
    ),
    (
        "no-command",
        lambda d: container(d).update(
            command=None, args=["--lr=${trialParameters.learningRate}"], imagePullPolicy="Never"
        ),
        "spec.trialTemplate.trialSpec.spec.template.spec.containers[0].command: must be given "
        "explicitly",
    ),
    (
        "trial-spec-named",
        lambda d: d["spec"]["trialTemplate"]["trialSpec"].update(metadata={"name": "x"}),
        "spec.trialTemplate.trialSpec.metadata: name and namespace must be omitted",
    ),
    (
        "both-sources",
        lambda d: d["spec"]["trialTemplate"].update(configMap={"configMapName": "t"}),
        "spec.trialTemplate: only one of spec.trialTemplate.trialSpec or "
        "spec.trialTemplate.configMap can be specified",
    ),
    (
        "objective-metric-missing",
        lambda d: d["spec"]["objective"].pop("objectiveMetricName"),
        "spec.objective.objectiveMetricName: must be specified",
    ),
    (
        "objective-type",
        lambda d: d["spec"]["objective"].update(type="max"),
        "spec.objective.type: must be minimize or maximize (got 'max')",
    ),
    (
        "objective-repeated",
        lambda d: d["spec"]["objective"].update(additionalMetricNames=["Validation-accuracy"]),
        "spec.objective.additionalMetricNames: must not contain the objective metric",
    ),
    (
        "metric-strategy",
        lambda d: d["spec"]["objective"].update(
            metricStrategies=[{"name": "Validation-accuracy", "value": "mean"}]
        ),
        "spec.objective.metricStrategies[0].value: must be min, max or latest (got 'mean')",
    ),
    (
        "parallel-above-max",
        lambda d: d["spec"].update(parallelTrialCount=20),
        "spec.parallelTrialCount: must be less than or equal to spec.maxTrialCount (got 20 > 12)",
    ),
    (
        "failed-above-max",
        lambda d: d["spec"].update(maxFailedTrialCount=13),
        "spec.maxFailedTrialCount: must be less than or equal to spec.maxTrialCount (got 13 > 12)",
    ),
    (
        "zero-max",
        lambda d: d["spec"].update(
            maxTrialCount=0, parallelTrialCount=None, maxFailedTrialCount=None
        ),
        "spec.maxTrialCount: must be greater than 0 (got 0)",
    ),
    (
        "negative-failed",
        lambda d: d["spec"].update(maxFailedTrialCount=-1),
        "spec.maxFailedTrialCount: must not be less than 0 (got -1)",
    ),
    (
        "count-not-integer",
        lambda d: d["spec"].update(parallelTrialCount="three"),
        "spec.parallelTrialCount: must be an integer (got 'three')",
    ),
    (
        "collector-kind",
        lambda d: d["spec"].update(metricsCollectorSpec={"collector": {"kind": "Stdout"}}),
        "spec.metricsCollectorSpec.collector.kind: must be one of StdOut",
    ),
    (
        "filter-one-group",
        lambda d: d["spec"].update(
            metricsCollectorSpec={"source": {"filter": {"metricsFormat": [r"(\w+)=\S+"]}}}
        ),
        "spec.metricsCollectorSpec.source.filter.metricsFormat[0]: needs two groups",
    ),
    (
        "file-collector-path",
        lambda d: d["spec"].update(
            metricsCollectorSpec={
                "collector": {"kind": "File"},
                "source": {"fileSystemPath": {"path": "metrics.log"}},
            }
        ),
        "spec.metricsCollectorSpec.source.fileSystemPath.path: file path where metrics file "
        "exists is required",
    ),
    (
        "go-template-in-v1beta1",
        lambda d: d["spec"]["trialTemplate"].update(goTemplate={"rawTemplate": "x"}),
        "spec.trialTemplate.goTemplate: is v1alpha3/v1alpha2 syntax",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_each_rule_rejects_with_a_pointed_message(
    change: Callable[[Document], object], message: str
) -> None:
    document = example()
    change(document)
    problems = [str(problem) for problem in validate_experiment(document)]
    assert any(problem.startswith(message) for problem in problems), problems


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["spec"]["trialTemplate"].pop("goTemplate"),
            "spec.trialTemplate.goTemplate: must be specified",
        ),
        (
            lambda d: d["spec"]["trialTemplate"]["goTemplate"].update(
                rawTemplate="kind: Job\napiVersion: batch/v1\n"
            ),
            "spec.trialTemplate.goTemplate.rawTemplate: never uses .HyperParameters",
        ),
        (
            lambda d: d["spec"]["trialTemplate"]["goTemplate"].update(
                rawTemplate="{{range .HyperParameters}}"
            ),
            "spec.trialTemplate.goTemplate.rawTemplate: unclosed {{range}} block",
        ),
        (
            lambda d: d["spec"].update(algorithm={"algorithmName": "cmaes"}),
            "spec.algorithm.algorithmName: unknown algorithm 'cmaes' for kubeflow.org/v1alpha3",
        ),
        (
            lambda d: d["spec"].update(earlyStopping={"algorithmName": "medianstop"}),
            "spec.earlyStopping: is not supported by kubeflow.org/v1alpha3",
        ),
        (
            lambda d: d["spec"]["parameters"][0]["feasibleSpace"].update(distribution="logUniform"),
            "spec.parameters[0].feasibleSpace.distribution: is not supported by "
            "kubeflow.org/v1alpha3",
        ),
    ],
)
def test_v1alpha3_rules(change: Callable[[Document], object], message: str) -> None:
    document = example("v1alpha3-random.yaml")
    change(document)
    problems = [str(problem) for problem in validate_experiment(document)]
    assert any(problem.startswith(message) for problem in problems), problems


def test_hyperband_resource_may_be_fixed_but_other_parameters_may_not() -> None:
    document = example("v1beta1-hyperband.yaml")
    assert validate_experiment(document) == []
    document["spec"]["parameters"][1]["feasibleSpace"] = {"min": "2", "max": "2"}
    assert [str(p) for p in validate_experiment(document)] == [
        "spec.parameters[1].feasibleSpace.min: must be less than max (got 2 >= 2)"
        " (Katib admits this; the Experiment fails later)"
    ]


def test_trial_metadata_references_are_accepted() -> None:
    assert validate_experiment(example("v1beta1-early-stopping.yaml")) == []


def test_streams_report_each_experiment_and_skip_other_kinds() -> None:
    good = (EXAMPLES / "v1beta1-random.yaml").read_text()
    bad = yaml.safe_dump(example() | {"kind": "Experiment", "metadata": {"name": "Bad"}})
    namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: kubeflow}\n"
    problems = validate_text(namespace + "---\n" + good + "\n---\n" + bad)
    assert [p.path for p in problems] == ["[1] metadata.name"]
    assert [str(p) for p in validate_text(namespace)] == ["<document>: no Experiment found"]
    assert validate_text("a: [")[0].path == "<yaml>"
    # One line with the position, as every command reports bad YAML.
    assert validate_text("a: [")[0].message == (
        "1:5: not valid YAML: expected the node content, but found '<stream end>'"
    )


def test_wrong_api_version_stops_early() -> None:
    document = example() | {"apiVersion": "kubeflow.org/v1"}
    assert [str(p) for p in validate_experiment(document)] == [
        "apiVersion: must be one of kubeflow.org/v1beta1, kubeflow.org/v1alpha3, "
        "kubeflow.org/v1alpha2 (got 'kubeflow.org/v1')"
    ]
