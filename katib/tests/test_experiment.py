from pathlib import Path

import pytest
import yaml

from hpo_rig.experiment import (
    DEFAULT_METRICS_FILTERS,
    V1ALPHA2,
    V1ALPHA3,
    V1BETA1,
    Algorithm,
    EarlyStopping,
    ExperimentError,
    Objective,
    Parameter,
    TrialRun,
    load_experiment,
)

EXAMPLES = Path(__file__).parent / "fixtures" / "examples"


def test_v1beta1_example_is_parsed_into_the_model() -> None:
    experiment = load_experiment(EXAMPLES / "v1beta1-random.yaml")
    assert experiment.api_version == V1BETA1
    assert (experiment.name, experiment.namespace) == ("random", "kubeflow")
    assert experiment.objective == Objective(
        "maximize", "Validation-accuracy", 0.99, ("Train-accuracy",)
    )
    assert experiment.objective.metrics == ("Validation-accuracy", "Train-accuracy")
    assert experiment.algorithm == Algorithm("random", {})
    assert experiment.parameters == (
        Parameter("lr", "double", "0.01", "0.03"),
        Parameter("num-layers", "int", "2", "5"),
        Parameter("optimizer", "categorical", values=("sgd", "adam", "ftrl")),
    )
    assert (experiment.parallel_trial_count, experiment.max_trial_count) == (3, 12)
    assert experiment.max_failed_trial_count == 3
    assert experiment.early_stopping is None
    assert experiment.collector_kind == "StdOut"
    assert experiment.metrics_filters == ()
    assert experiment.effective_metrics_filters == (DEFAULT_METRICS_FILTERS[V1BETA1],)


def test_settings_early_stopping_distribution_and_filters_are_read() -> None:
    experiment = load_experiment(EXAMPLES / "v1beta1-early-stopping.yaml")
    assert experiment.algorithm == Algorithm("tpe", {"gamma": "0.25"})
    assert experiment.early_stopping == EarlyStopping(
        "medianstop", {"min_trials_required": "2", "start_step": "2"}
    )
    assert experiment.parameter("lr").distribution == "logUniform"
    assert experiment.parameter("num-layers").step == "1"
    assert experiment.parameter("batch-size").values == ("32", "64", "128")
    assert experiment.metrics_filters == (r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?)",)
    assert experiment.effective_metrics_filters == experiment.metrics_filters


def test_defaults_apply_when_fields_are_absent() -> None:
    document = yaml.safe_load((EXAMPLES / "v1beta1-random.yaml").read_text())
    for key in ("parallelTrialCount", "maxTrialCount", "maxFailedTrialCount"):
        del document["spec"][key]
    del document["metadata"]["namespace"]
    experiment = load_experiment(document)
    assert experiment.parallel_trial_count == 3
    assert experiment.max_trial_count is None
    assert experiment.max_failed_trial_count is None
    assert experiment.namespace == "default"


def test_unquoted_yaml_numbers_are_kept_as_katib_strings() -> None:
    document = yaml.safe_load((EXAMPLES / "v1beta1-random.yaml").read_text())
    document["spec"]["parameters"][0]["feasibleSpace"] = {"min": 0.001, "max": 1}
    assert load_experiment(document).parameters[0] == Parameter("lr", "double", "0.001", "1")


def test_yaml_text_and_multi_document_streams_are_accepted() -> None:
    text = (EXAMPLES / "v1beta1-random.yaml").read_text()
    namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: kubeflow}\n"
    assert load_experiment(text).name == "random"
    assert load_experiment(namespace + "---\n" + text).name == "random"
    assert load_experiment(str(EXAMPLES / "v1beta1-random.yaml")).name == "random"


def test_two_experiments_in_one_stream_are_refused() -> None:
    text = (EXAMPLES / "v1beta1-random.yaml").read_text()
    with pytest.raises(ExperimentError, match="exactly one Experiment"):
        load_experiment(text + "\n---\n" + text)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"apiVersion": "kubeflow.org/v2"}, "apiVersion: expected one of"),
        ({"kind": "Trial"}, "kind: expected Experiment"),
        ({"spec": {"parameters": {"lr": 1}}}, "spec.parameters: expected a list"),
        ({"spec": {"parallelTrialCount": "many"}}, "spec.parallelTrialCount: expected an integer"),
    ],
)
def test_unreadable_documents_are_refused(change: dict[str, object], message: str) -> None:
    document = yaml.safe_load((EXAMPLES / "v1beta1-random.yaml").read_text())
    for key, value in change.items():
        if isinstance(value, dict):
            document[key].update(value)
        else:
            document[key] = value
    with pytest.raises(ExperimentError, match=message):
        load_experiment(document)


def test_v1beta1_trial_resolves_trial_parameters_into_the_primary_container() -> None:
    experiment = load_experiment(EXAMPLES / "v1beta1-hyperband.yaml")
    run = experiment.resolve_trial(
        {"lr": "0.02", "num-layers": "3", "optimizer": "adam", "num-epochs": "1"}
    )
    assert run == TrialRun(
        image="docker.io/kubeflowkatib/mxnet-mnist:v0.15.0",
        command=(
            "python3",
            "/opt/mxnet-mnist/mnist.py",
            "--batch-size=64",
            "--lr=0.02",
            "--num-layers=3",
            "--optimizer=adam",
            "--num-epochs=1",
        ),
        env={},
        resources={"limits": {"memory": "1Gi", "cpu": "0.5"}},
    )


def test_v1beta1_trial_picks_the_named_container_and_fills_metadata_and_args() -> None:
    experiment = load_experiment(EXAMPLES / "v1beta1-early-stopping.yaml")
    run = experiment.resolve_trial(
        {"lr": "0.1", "num-layers": "4", "batch-size": "64"}, trial_name="median-stop-abc"
    )
    assert run.image == "docker.io/kubeflowkatib/mxnet-mnist:v0.15.0"
    assert run.command == (
        "python3",
        "/opt/mxnet-mnist/mnist.py",
        "--batch-size=64",
        "--lr=0.1",
        "--num-layers=4",
    )
    # valueFrom entries need the cluster; only literal values are handed over.
    assert run.env == {"OUTPUT_DIR": "/tmp/median-stop-abc"}


def test_resolving_needs_every_parameter() -> None:
    experiment = load_experiment(EXAMPLES / "v1beta1-random.yaml")
    with pytest.raises(ExperimentError, match=r"no value assigned to parameter.*optimizer"):
        experiment.resolve_trial({"lr": "0.02", "num-layers": "3"})


def test_undefined_placeholder_is_reported() -> None:
    document = yaml.safe_load((EXAMPLES / "v1beta1-random.yaml").read_text())
    container = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    container["command"].append("--momentum=${trialParameters.momentum}")
    experiment = load_experiment(document)
    with pytest.raises(
        ExperimentError, match=r"undefined placeholder \$\{trialParameters.momentum"
    ):
        experiment.resolve_trial({"lr": "0.02", "num-layers": "3", "optimizer": "sgd"})


def test_missing_command_is_refused() -> None:
    document = yaml.safe_load((EXAMPLES / "v1beta1-random.yaml").read_text())
    container = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    del container["command"]
    experiment = load_experiment(document)
    with pytest.raises(ExperimentError, match="has no explicit command"):
        experiment.resolve_trial({"lr": "0.02", "num-layers": "3", "optimizer": "sgd"})


@pytest.mark.parametrize(
    ("name", "api_version", "program"),
    [
        ("v1alpha3-random.yaml", V1ALPHA3, "/opt/mxnet-mnist/mnist.py"),
        ("v1alpha2-random.yaml", V1ALPHA2, "/mxnet/example/image-classification/train_mnist.py"),
    ],
)
def test_go_template_trial_is_rendered(name: str, api_version: str, program: str) -> None:
    experiment = load_experiment(EXAMPLES / name)
    assert experiment.api_version == api_version
    assert experiment.effective_metrics_filters == (DEFAULT_METRICS_FILTERS[api_version],)
    # Given in another order: Katib passes them in the Experiment's parameter order.
    run = experiment.resolve_trial(
        {"--optimizer": "ftrl", "--num-layers": "2", "--lr": "0.015"}, trial_name="t-1"
    )
    assert run.command[1:] == (
        program,
        "--batch-size=64",
        "--lr=0.015",
        "--num-layers=2",
        "--optimizer=ftrl",
    )


def test_go_template_without_raw_template_is_refused() -> None:
    document = yaml.safe_load((EXAMPLES / "v1alpha3-random.yaml").read_text())
    document["spec"]["trialTemplate"]["goTemplate"] = {
        "templateSpec": {"configMapName": "trial-template", "templatePath": "job.yaml"}
    }
    experiment = load_experiment(document)
    with pytest.raises(ExperimentError, match="rawTemplate: missing"):
        experiment.resolve_trial({"--lr": "0.015", "--num-layers": "2", "--optimizer": "ftrl"})


def test_default_filters_read_the_trainer_metric_lines() -> None:
    import re

    line = "epoch=3 loss=0.4210 accuracy=0.8812 val_loss=0.5103 val_accuracy=0.8650"
    for pattern in DEFAULT_METRICS_FILTERS.values():
        found = {m.group(1): m.group(2) for m in re.finditer(pattern, line)}
        assert found["val_accuracy"] == "0.8650"
        assert found["loss"] == "0.4210"
