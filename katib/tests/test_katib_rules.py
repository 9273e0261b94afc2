"""One row per rule of Katib v0.19.0's admission (validator.go, experiment_defaults.go, the
suggestion services' ValidateAlgorithmSettings): the change to an Experiment Katib admits, the
verdict, and the field the refusal names. Rows marked ``go:`` rewrite validator_test.go cases."""

from collections.abc import Callable
from typing import Any

import pytest

from hpo_rig.validate import errors, validate_experiment
from tests.katib_shapes import Document, examples, experiment, job, nas

ADMIT, REFUSE = "admitted", "refused"
Change = Callable[[Document], Any]


def spec(**values: Any) -> Change:
    return lambda d: d["spec"].update(values)


def pop(*keys: str) -> Change:
    def change(d: Document) -> None:
        node = d
        for key in keys[:-1]:
            node = node[key]
        node.pop(keys[-1])

    return change


def template(**values: Any) -> Change:
    return lambda d: d["spec"]["trialTemplate"].update(values)


def algorithm(name: str, *pairs: tuple[str, str]) -> Change:
    settings = [{"name": n, "value": v} for n, v in pairs]
    return spec(algorithm={"algorithmName": name, "algorithmSettings": settings})


def collector(kind: str, **source: Any) -> Change:
    value: Document = {"collector": {"kind": kind}}
    if source:
        value["source"] = source
    return spec(metricsCollectorSpec=value)


def space(index: int, **values: Any) -> Change:
    return lambda d: d["spec"]["parameters"][index].update(feasibleSpace=values)


def both(*changes: Change) -> Change:
    def change(d: Document) -> None:
        for each in changes:
            each(d)

    return change


def trial_kind(kind: str, api: str = "example.org/v1") -> Change:
    return template(
        trialSpec=job(
            "--lr=${trialParameters.learningRate}",
            "--momentum=${trialParameters.momentum}",
            kind=kind,
            api=api,
        )
    )


def primary(**values: Any) -> Change:
    """Changes the batch Job's container; a value of None removes that key."""

    def change(d: Document) -> None:
        pod = d["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        container.update(values)
        for key in [k for k, v in values.items() if v is None]:
            container.pop(key)

    return change


NO_COMMAND = {
    "command": None,
    "args": ["--lr=${trialParameters.learningRate}", "--momentum=${trialParameters.momentum}"],
}

PBT = (("suggestion_trial_dir", "/var/log/katib/checkpoints/"), ("truncation_threshold", "0.2"))
GOOD_PBT = (*PBT, ("n_population", "5"))

ROWS: list[tuple[str, Change, str, str | None]] = [
    # metadata and counts
    (
        "go: name is invalid",
        lambda d: d["metadata"].update(name="Random_1"),
        REFUSE,
        "metadata.name",
    ),
    ("name of 40 characters", lambda d: d["metadata"].update(name="a" * 40), ADMIT, None),
    (
        "name over 40 characters",
        lambda d: d["metadata"].update(name="a" * 41),
        REFUSE,
        "metadata.name",
    ),
    (
        "go: max failed trial count is negative",
        spec(maxFailedTrialCount=-1),
        REFUSE,
        "spec.maxFailedTrialCount",
    ),
    ("go: max trial count is negative", spec(maxTrialCount=-1), REFUSE, "spec.maxTrialCount"),
    (
        "go: parallel trial count is negative",
        spec(parallelTrialCount=-1),
        REFUSE,
        "spec.parallelTrialCount",
    ),
    (
        "go: maxFailedTrialCount greater than maxTrialCount",
        spec(maxFailedTrialCount=13),
        REFUSE,
        "spec.maxFailedTrialCount",
    ),
    ("go: maxFailedTrialCount equal to maxTrialCount", spec(maxFailedTrialCount=12), ADMIT, None),
    (
        "go: parallelTrialCount greater than maxTrialCount",
        spec(parallelTrialCount=13),
        REFUSE,
        "spec.parallelTrialCount",
    ),
    ("go: parallelTrialCount equal to maxTrialCount", spec(parallelTrialCount=12), ADMIT, None),
    (
        "parallelTrialCount defaults to 3 (under a maxTrialCount of 2)",
        spec(maxTrialCount=2, maxFailedTrialCount=1),
        REFUSE,
        "spec.parallelTrialCount",
    ),
    # objective
    ("go: objective is nil", pop("spec", "objective"), REFUSE, "spec.objective"),
    (
        "go: objective type is unknown",
        lambda d: d["spec"]["objective"].update(type="best"),
        REFUSE,
        "spec.objective.type",
    ),
    (
        "go: objective metric name is empty",
        pop("spec", "objective", "objectiveMetricName"),
        REFUSE,
        "spec.objective.objectiveMetricName",
    ),
    (
        "go: additionalMetricNames contains the objective",
        lambda d: d["spec"]["objective"].update(additionalMetricNames=["accuracy"]),
        REFUSE,
        "spec.objective.additionalMetricNames",
    ),
    (
        "metric strategy defaults from the objective type",
        lambda d: d["spec"]["objective"].update(additionalMetricNames=["loss"]),
        ADMIT,
        None,
    ),
    # algorithm and early stopping
    ("go: algorithm is nil", pop("spec", "algorithm"), REFUSE, "spec.algorithm"),
    (
        "go: algorithm name is empty",
        spec(algorithm={"algorithmName": ""}),
        REFUSE,
        "spec.algorithm.algorithmName",
    ),
    (
        "go: suggestion config data error",
        spec(algorithm={"algorithmName": "annealing"}),
        REFUSE,
        "spec.algorithm.algorithmName",
    ),
    (
        "go: early stopping name is empty",
        spec(earlyStopping={"algorithmName": ""}),
        REFUSE,
        "spec.earlyStopping.algorithmName",
    ),
    ("go: invalid resume policy", spec(resumePolicy="Sometimes"), REFUSE, "spec.resumePolicy"),
    # parameters / nasConfig
    ("go: parameters and nasConfig are nil", pop("spec", "parameters"), REFUSE, "spec"),
    (
        "go: parameters and nasConfig together",
        spec(nasConfig={"graphConfig": {"numLayers": 1}}),
        REFUSE,
        "spec",
    ),
    (
        "go: invalid parameter type",
        lambda d: d["spec"]["parameters"][0].update(parameterType="float"),
        REFUSE,
        "spec.parameters[0].parameterType",
    ),
    (
        "go: feasible space is nil",
        pop("spec", "parameters", 0, "feasibleSpace"),
        REFUSE,
        "spec.parameters[0].feasibleSpace",
    ),
    (
        "go: list for a double parameter",
        space(0, min="0.1", max="0.2", list=["0.1"]),
        REFUSE,
        "spec.parameters[0].feasibleSpace.list",
    ),
    (
        "go: no max for a double parameter",
        space(0, min="0.1"),
        REFUSE,
        "spec.parameters[0].feasibleSpace.max",
    ),
    (
        "go: max for a categorical parameter",
        both(
            lambda d: d["spec"]["parameters"][0].update(parameterType="categorical"),
            space(0, list=["a"], max="1"),
        ),
        REFUSE,
        "spec.parameters[0].feasibleSpace",
    ),
    (
        "go: invalid distribution",
        space(0, min="0.1", max="0.2", distribution="gamma"),
        REFUSE,
        "spec.parameters[0].feasibleSpace.distribution",
    ),
    # trial template
    ("go: trial template is nil", pop("spec", "trialTemplate"), REFUSE, "spec.trialTemplate"),
    (
        "go: no primaryContainerName",
        pop("spec", "trialTemplate", "primaryContainerName"),
        REFUSE,
        "spec.trialTemplate.primaryContainerName",
    ),
    (
        "go: trial parameters is nil",
        pop("spec", "trialTemplate", "trialParameters"),
        REFUSE,
        "spec.trialTemplate.trialParameters",
    ),
    (
        "go: trial spec nil",
        pop("spec", "trialTemplate", "trialSpec"),
        REFUSE,
        "spec.trialTemplate.trialSpec",
    ),
    (
        "go: trial spec and configMap together",
        template(configMap={"configMapName": "t"}),
        REFUSE,
        "spec.trialTemplate",
    ),
    (
        "go: template path missing in configMap",
        both(
            pop("spec", "trialTemplate", "trialSpec"),
            template(configMap={"configMapName": "t", "configMapNamespace": "kubeflow"}),
        ),
        REFUSE,
        "spec.trialTemplate.configMap",
    ),
    (
        "go: empty reference in trial parameters",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"][0].update(reference=""),
        REFUSE,
        "spec.trialTemplate.trialParameters[0]",
    ),
    (
        "go: wrong name in trial parameters",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"][0].update(name="{lr}"),
        REFUSE,
        "spec.trialTemplate.trialParameters[0]",
    ),
    (
        "go: duplicate name in trial parameters",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"][1].update(name="learningRate"),
        REFUSE,
        "spec.trialTemplate.trialParameters[1].name",
    ),
    (
        "go: duplicate reference in trial parameters",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"][1].update(reference="lr"),
        REFUSE,
        "spec.trialTemplate.trialParameters[1].reference",
    ),
    (
        "go: reference not in spec.parameters",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"][1].update(reference="beta"),
        REFUSE,
        "spec.trialTemplate.trialParameters[1].reference",
    ),
    (
        "go: metadata reference as parameter",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"][1].update(
            reference="${trialSpec.Name}"
        ),
        ADMIT,
        None,
    ),
    (
        "go: annotation reference as parameter",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"][1].update(
            reference="${trialSpec.Annotations[note]}"
        ),
        ADMIT,
        None,
    ),
    (
        "go: label reference as parameter",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"][1].update(
            reference="${trialSpec.Labels[team]}"
        ),
        ADMIT,
        None,
    ),
    (
        "go: template lacks a trial parameter",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"].append(
            {"name": "seed", "reference": "${trialSpec.Name}"}
        ),
        REFUSE,
        "spec.trialTemplate.trialParameters[2].name",
    ),
    (
        "go: template has an extra parameter",
        lambda d: d["spec"]["trialTemplate"]["trialParameters"].pop(),
        REFUSE,
        "spec.trialTemplate.trialSpec",
    ),
    (
        "go: metadata.name in the trial template",
        lambda d: d["spec"]["trialTemplate"]["trialSpec"].update(metadata={"name": "x"}),
        REFUSE,
        "spec.trialTemplate.trialSpec.metadata",
    ),
    (
        "go: no kind in the trial template",
        pop("spec", "trialTemplate", "trialSpec", "kind"),
        REFUSE,
        "spec.trialTemplate.trialSpec.kind",
    ),
    ("go: custom kind without conditions", trial_kind("Custom"), REFUSE, "spec.trialTemplate"),
    (
        "go: custom kind with conditions",
        both(
            trial_kind("Custom"),
            template(successCondition="status.ok", failureCondition="status.bad"),
        ),
        ADMIT,
        None,
    ),
    ("go: Job gets default conditions", template(successCondition=""), ADMIT, None),
    ("TFJob gets default conditions", trial_kind("TFJob", "kubeflow.org/v1"), ADMIT, None),
    (
        "configMap source admitted",
        both(
            pop("spec", "trialTemplate", "trialSpec"),
            template(
                configMap={
                    "configMapName": "t",
                    "configMapNamespace": "kubeflow",
                    "templatePath": "job.yaml",
                },
                successCondition="status.ok",
                failureCondition="status.bad",
            ),
        ),
        ADMIT,
        None,
    ),
    # metrics collector (after the defaults)
    (
        "go: invalid metrics collector kind",
        collector("Stdout"),
        REFUSE,
        "spec.metricsCollectorSpec.collector.kind",
    ),
    (
        "collector kind None is gone in v0.19.0",
        collector("None"),
        REFUSE,
        "spec.metricsCollectorSpec.collector.kind",
    ),
    ("File collector defaults", collector("File"), ADMIT, None),
    (
        "go: invalid path for File collector",
        collector("File", fileSystemPath={"path": "m.log"}),
        REFUSE,
        "spec.metricsCollectorSpec.source.fileSystemPath.path",
    ),
    (
        "go: invalid file format for File collector",
        collector("File", fileSystemPath={"format": "XML"}),
        REFUSE,
        "spec.metricsCollectorSpec.source.fileSystemPath.format",
    ),
    (
        "go: JSON File collector with a filter",
        collector("File", fileSystemPath={"format": "JSON"}, filter={"metricsFormat": ["(a)(b)"]}),
        REFUSE,
        "spec.metricsCollectorSpec.source.filter",
    ),
    ("TensorFlowEvent defaults", collector("TensorFlowEvent"), ADMIT, None),
    (
        "go: invalid path for TensorFlowEvent collector",
        collector("TensorFlowEvent", fileSystemPath={"path": "/logs", "kind": "File"}),
        REFUSE,
        "spec.metricsCollectorSpec.source",
    ),
    (
        "go: TensorFlowEvent with a format",
        collector("TensorFlowEvent", fileSystemPath={"format": "TEXT"}),
        REFUSE,
        "spec.metricsCollectorSpec.source.fileSystemPath.format",
    ),
    ("Prometheus defaults", collector("PrometheusMetric"), ADMIT, None),
    (
        "go: invalid port for Prometheus collector",
        collector("PrometheusMetric", httpGet={"port": -1}),
        REFUSE,
        "spec.metricsCollectorSpec.source.httpGet.port",
    ),
    (
        "go: invalid path for Prometheus collector",
        collector("PrometheusMetric", httpGet={"path": "metrics"}),
        REFUSE,
        "spec.metricsCollectorSpec.source.httpGet.path",
    ),
    (
        "go: empty container for Custom collector",
        collector("Custom"),
        REFUSE,
        "spec.metricsCollectorSpec.collector.customCollector",
    ),
    (
        "go: invalid path for Custom collector",
        spec(
            metricsCollectorSpec={
                "collector": {"kind": "Custom", "customCollector": {"name": "c", "image": "c"}},
                "source": {"fileSystemPath": {"path": "rel/m.log", "kind": "File"}},
            }
        ),
        REFUSE,
        "spec.metricsCollectorSpec.source.fileSystemPath",
    ),
    (
        "go: invalid metrics format regex",
        collector("StdOut", filter={"metricsFormat": ["(a)(b"]}),
        REFUSE,
        "spec.metricsCollectorSpec.source.filter.metricsFormat[0]",
    ),
    (
        "go: one subexpression in metrics format",
        collector("StdOut", filter={"metricsFormat": ["(a)b"]}),
        REFUSE,
        "spec.metricsCollectorSpec.source.filter.metricsFormat[0]",
    ),
    # validator.go compiles each metricsFormat with Go's regexp (RE2 syntax), nothing else.
    (
        "look-ahead in metrics format (Go's regexp has none)",
        collector("StdOut", filter={"metricsFormat": [r"(\w+)=(?=\d)(\S+)"]}),
        REFUSE,
        "spec.metricsCollectorSpec.source.filter.metricsFormat[0]",
    ),
    (
        "back-reference in metrics format (Go's regexp has none)",
        collector("StdOut", filter={"metricsFormat": [r"(\w+)=(\S+)\1"]}),
        REFUSE,
        "spec.metricsCollectorSpec.source.filter.metricsFormat[0]",
    ),
    (
        "\\z in metrics format (Go's end of text)",
        collector("StdOut", filter={"metricsFormat": [r"(\w+)=(\S+)\z"]}),
        ADMIT,
        None,
    ),
    (
        "\\p{L} in metrics format (Go's Unicode classes)",
        collector("StdOut", filter={"metricsFormat": [r"(\p{L}+)=([\d.]+)"]}),
        ADMIT,
        None,
    ),
    (
        "conditions are GJSON paths, never compiled as regular expressions",
        template(successCondition='status.x.#(a%"(?=*")#', failureCondition="status.y"),
        ADMIT,
        None,
    ),
    # suggestion services
    (
        "pbt without suggestion_trial_dir",
        algorithm("pbt", ("n_population", "5"), ("truncation_threshold", "0.2")),
        REFUSE,
        "spec.algorithm.algorithmSettings[suggestion_trial_dir]",
    ),
    (
        "pbt n_population 4",
        algorithm("pbt", *PBT, ("n_population", "4")),
        REFUSE,
        "spec.algorithm.algorithmSettings[n_population]",
    ),
    ("pbt n_population 5", algorithm("pbt", *GOOD_PBT), ADMIT, None),
    (
        "pbt truncation_threshold 1.5",
        algorithm("pbt", PBT[0], ("n_population", "5"), ("truncation_threshold", "1.5")),
        REFUSE,
        "spec.algorithm.algorithmSettings[truncation_threshold]",
    ),
    (
        "cmaes restart_strategy None",
        algorithm("cmaes", ("restart_strategy", "None")),
        REFUSE,
        "spec.algorithm.algorithmSettings[restart_strategy]",
    ),
    (
        "cmaes restart_strategy bipop",
        algorithm("cmaes", ("restart_strategy", "bipop")),
        ADMIT,
        None,
    ),
    (
        "cmaes random_state 1.0",
        algorithm("cmaes", ("random_state", "1.0")),
        REFUSE,
        "spec.algorithm.algorithmSettings[random_state]",
    ),
    (
        "sobol int bound 1.0 (Atoi)",
        both(
            algorithm("sobol"),
            lambda d: d["spec"]["parameters"][1].update(
                parameterType="int", feasibleSpace={"min": "1.0", "max": "5"}
            ),
        ),
        REFUSE,
        "spec.parameters[1].feasibleSpace.min",
    ),
    (
        "random int bound 1.0 (hyperopt takes it)",
        lambda d: d["spec"]["parameters"][1].update(
            parameterType="int", feasibleSpace={"min": "1.0", "max": "5"}
        ),
        ADMIT,
        None,
    ),
    (
        "hyperband eta 0 means 3",
        both(
            algorithm("hyperband", ("r_l", "3"), ("eta", "0"), ("resource_name", "momentum")),
            space(1, min="0.7", max="0.7"),
        ),
        ADMIT,
        None,
    ),
    (
        "hyperband eta -2 means 3",
        both(
            algorithm("hyperband", ("r_l", "3"), ("eta", "-2"), ("resource_name", "momentum")),
            space(1, min="0.7", max="0.7"),
        ),
        ADMIT,
        None,
    ),
    (
        "hyperband eta 1 divides by log(1)",
        both(
            algorithm("hyperband", ("r_l", "3"), ("eta", "1.5"), ("resource_name", "momentum")),
            space(1, min="0.7", max="0.7"),
        ),
        REFUSE,
        "spec.algorithm.algorithmSettings[eta]",
    ),
    (
        "hyperband resource_name not a parameter",
        algorithm("hyperband", ("r_l", "3"), ("resource_name", "epochs")),
        REFUSE,
        "spec.algorithm.algorithmSettings[resource_name]",
    ),
    # the trial's command and placeholders
    (
        "no command: pod webhook reads the entrypoint from the registry (pod/utils.go)",
        primary(**NO_COMMAND),
        ADMIT,
        None,
    ),
    (
        "no command for an image only on the node (imagePullPolicy Never): fails later",
        primary(**NO_COMMAND, imagePullPolicy="Never"),
        REFUSE,
        "spec.trialTemplate.trialSpec.spec.template.spec.containers[0].command",
    ),
    (
        "$(trialParameters.learningRate) is not substituted (TrialTemplateParamReplaceFormat)",
        primary(
            command=[
                "python3",
                "--lr=$(trialParameters.learningRate)",
                "--momentum=${trialParameters.momentum}",
            ]
        ),
        REFUSE,
        "spec.trialTemplate.trialParameters[0].name",
    ),
    # unknown fields (strict decoding) and typos
    ("typo maxTrialCout", lambda d: d["spec"].update(maxTrialCout=3), REFUSE, "spec.maxTrialCout"),
    (
        "typo paralelTrialCount",
        lambda d: d["spec"].update(paralelTrialCount=3),
        REFUSE,
        "spec.paralelTrialCount",
    ),
    (
        "unknown field in feasibleSpace",
        space(0, min="0.1", max="0.2", stpe="0.1"),
        REFUSE,
        "spec.parameters[0].feasibleSpace.stpe",
    ),
    (
        "unknown field in a batch/v1 Job trial spec (validateTrialJob converts it)",
        lambda d: d["spec"]["trialTemplate"]["trialSpec"]["spec"].update(
            backoffLimit=0, ttlAfterDone=3
        ),
        REFUSE,
        "spec.trialTemplate.trialSpec.spec.ttlAfterDone",
    ),
    (
        "unknown field in another kind's trial spec is not Katib's to judge",
        both(
            trial_kind("TFJob", "kubeflow.org/v1"),
            lambda d: d["spec"]["trialTemplate"]["trialSpec"]["spec"].update(ttlAfterDone=3),
        ),
        ADMIT,
        None,
    ),
]


@pytest.mark.parametrize(
    ("change", "verdict", "field"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_katib_rule(change: Change, verdict: str, field: str | None) -> None:
    document = experiment()
    change(document)
    problems = validate_experiment(document)
    if verdict == ADMIT:
        assert [str(p) for p in errors(problems)] == []
    else:
        assert field in [p.path for p in errors(problems)], [str(p) for p in problems]


EXAMPLES = examples()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_upstream_example_shapes_are_admitted(name: str) -> None:
    assert [str(p) for p in errors(validate_experiment(EXAMPLES[name]))] == []


def test_typo_names_the_nearest_known_field() -> None:
    document = experiment()
    document["spec"]["maxTrialCout"] = 3
    assert [str(p) for p in validate_experiment(document)] == [
        "spec.maxTrialCout: unknown field 'maxTrialCout' in ExperimentSpec; "
        "did you mean 'maxTrialCount'?"
    ]


def nas_setting(name: str, value: str) -> Change:
    return lambda d: d["spec"]["algorithm"].update(
        algorithmSettings=[{"name": name, "value": value}]
    )


NAS_ROWS: list[tuple[str, str, Change, str, str | None]] = [
    (
        "darts num_epochs 0",
        "darts",
        nas_setting("num_epochs", "0"),
        REFUSE,
        "spec.algorithm.algorithmSettings[num_epochs]",
    ),
    ("darts batch_size None", "darts", nas_setting("batch_size", "None"), ADMIT, None),
    ("darts free-form setting", "darts", nas_setting("seed", "x"), ADMIT, None),
    (
        "enas unknown setting",
        "enas",
        nas_setting("num_epochs", "1"),
        REFUSE,
        "spec.algorithm.algorithmSettings[num_epochs]",
    ),
    (
        "enas baseline decay above 1",
        "enas",
        nas_setting("controller_baseline_decay", "1.5"),
        REFUSE,
        "spec.algorithm.algorithmSettings[controller_baseline_decay]",
    ),
    ("enas temperature None", "enas", nas_setting("controller_temperature", "None"), ADMIT, None),
    (
        "enas without inputSizes",
        "enas",
        pop("spec", "nasConfig", "graphConfig", "inputSizes"),
        REFUSE,
        "spec.nasConfig.graphConfig.inputSizes",
    ),
    (
        "darts without inputSizes",
        "darts",
        pop("spec", "nasConfig", "graphConfig", "inputSizes"),
        ADMIT,
        None,
    ),
    (
        "operation double without step",
        "darts",
        lambda d: d["spec"]["nasConfig"]["operations"][0]["parameters"].append(
            {
                "name": "rate",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.1", "max": "0.5"},
            }
        ),
        REFUSE,
        "spec.nasConfig.operations[0].parameters[1].feasibleSpace.step",
    ),
    (
        "darts skip_connection without parameters (validate_operations has no exception)",
        "darts",
        lambda d: d["spec"]["nasConfig"]["operations"].append({"operationType": "skip_connection"}),
        REFUSE,
        "spec.nasConfig.operations[1].parameters",
    ),
    (
        "operation without parameters",
        "enas",
        lambda d: d["spec"]["nasConfig"]["operations"][0].update(parameters=[]),
        REFUSE,
        "spec.nasConfig.operations[0].parameters",
    ),
]


@pytest.mark.parametrize(
    ("name", "change", "verdict", "field"), [r[1:] for r in NAS_ROWS], ids=[r[0] for r in NAS_ROWS]
)
def test_nas_rule(name: str, change: Change, verdict: str, field: str | None) -> None:
    document = nas(name)
    change(document)
    problems = validate_experiment(document)
    if verdict == ADMIT:
        assert [str(p) for p in errors(problems)] == []
    else:
        assert field in [p.path for p in errors(problems)], [str(p) for p in problems]


def test_nas_algorithm_needs_nas_config() -> None:
    document = nas("darts")
    assert validate_experiment(document) == []
    del document["spec"]["nasConfig"]
    paths = [p.path for p in validate_experiment(document)]
    assert "spec" in paths
    assert "spec.algorithm.algorithmName" in paths


def test_all_errors_at_once_in_katib_order() -> None:
    document = experiment("A" * 41)
    document["spec"].update(maxTrialCount=0, resumePolicy="x", nasConfig={})
    document["spec"]["metricsCollectorSpec"] = {"collector": {"kind": "None"}}
    assert [p.path for p in validate_experiment(document)] == [
        "metadata.name",
        "spec.maxTrialCount",
        "spec.maxFailedTrialCount",
        "spec.parallelTrialCount",  # the default of 3
        "spec.resumePolicy",
        "spec",
        "spec.metricsCollectorSpec.collector.kind",
    ]


def test_bad_objective_stops_like_validator_go() -> None:
    document = experiment()
    document["spec"]["objective"]["type"] = "best"
    document["spec"]["resumePolicy"] = "x"
    assert [p.path for p in validate_experiment(document)] == ["spec.objective.type"]


def test_a_parameter_no_trial_receives_is_a_warning() -> None:
    document = experiment()
    document["spec"]["parameters"].append(
        {"name": "unused", "parameterType": "double", "feasibleSpace": {"min": "0.1", "max": "1"}}
    )
    problems = validate_experiment(document)
    assert errors(problems) == []
    assert [(p.path, p.warning) for p in problems] == [
        (f"spec.parameters[{len(document['spec']['parameters']) - 1}].name", True)
    ]
    assert str(problems[0]).startswith("warning: spec.parameters[")


@pytest.mark.parametrize("name", ["argo-workflow", "trial-configmap-source"])
def test_what_the_tool_cannot_check_is_said(name: str) -> None:
    problems = validate_experiment(EXAMPLES[name])
    assert problems
    assert all(p.warning for p in problems)
    assert "not checked" in str(problems[-1])
