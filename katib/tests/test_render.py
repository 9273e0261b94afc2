import copy
import json
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from hpo_rig.algorithms import ALGORITHMS as SERVED
from hpo_rig.algorithms import TUNING_ALGORITHMS as ALGORITHMS
from hpo_rig.experiment import API_VERSIONS, V1ALPHA2, V1ALPHA3, V1BETA1, load_experiment
from hpo_rig.gotemplate import render_go_template
from hpo_rig.render import (
    TEMPLATE_DIR,
    RenderError,
    environment,
    load_values,
    render_experiment,
    render_experiment_text,
)
from hpo_rig.validate import validate_experiment

EXAMPLE_VALUES = Path(__file__).parents[1] / "examples" / "values-mnist-tpe.yaml"

BASE: dict[str, Any] = {
    "name": "mnist",
    "namespace": "hpo",
    "objective": {
        "type": "maximize",
        "metric": "val_accuracy",
        "goal": 0.99,
        "additional_metrics": ["accuracy", "val_loss"],
    },
    "image": "localhost:32000/hpo-rig-trainer:1.0",
    "gpus": 1,
    "trials_per_gpu": 3,
    "max_trial_count": 12,
    "max_failed_trial_count": 3,
    "trainer_args": {"dataset": "mnist"},
    "parameters": [
        {"name": "learning_rate", "type": "double", "min": "0.001", "max": "0.1", "step": "0.01"},
        {"name": "hidden_units", "type": "int", "min": 32, "max": 256, "step": 32},
        {"name": "optimizer", "type": "categorical", "list": ["adam", "sgd"]},
        {"name": "epochs", "type": "int", "min": 1, "max": 9},
    ],
}
SETTINGS: dict[str, dict[str, Any]] = {
    "random": {"random_state": 7},
    "grid": {},
    "bayesianoptimization": {"base_estimator": "GP", "n_initial_points": 5, "acq_func": "gp_hedge"},
    "tpe": {"gamma": 0.25, "n_EI_candidates": 24, "random_state": 7},
    "multivariate-tpe": {"n_startup_trials": 5, "n_ei_candidates": 24},
    "cmaes": {"restart_strategy": "ipop", "sigma": 0.5},
    "sobol": {},
    "hyperband": {"resource_name": "epochs", "eta": 3, "r_l": 3},
}
# Katib 0.6 (v1alpha2) names its settings its own way; random reads none.
SETTINGS_V1ALPHA2: dict[str, dict[str, Any]] = {
    "random": {},
    "grid": {"DefaultGrid": 3, "learning_rate": 4},
    "bayesianoptimization": {"burn_in": 5, "trade_off": 0.02},
}


def values_for(algorithm: str, api_version: str = V1BETA1) -> dict[str, Any]:
    values = copy.deepcopy(BASE)
    values["algorithm"] = algorithm
    values["algorithm_settings"] = SETTINGS[algorithm]
    if api_version == V1ALPHA2:
        values["algorithm_settings"] = SETTINGS_V1ALPHA2.get(algorithm, SETTINGS[algorithm])
    return values


@pytest.mark.parametrize("api_version", API_VERSIONS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_algorithm_renders_for_every_version_and_validates_where_served(
    algorithm: str, api_version: str
) -> None:
    document = render_experiment(values_for(algorithm, api_version), api_version)
    assert document["apiVersion"] == api_version
    assert document["spec"]["algorithm"]["algorithmName"] == algorithm
    problems = [str(p) for p in validate_experiment(document)]
    if algorithm in SERVED[api_version]:
        assert problems == []
    else:
        assert problems == [
            f"spec.algorithm.algorithmName: unknown algorithm {algorithm!r} for {api_version} "
            f"(known: {', '.join(SERVED[api_version])})"
        ]


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_rendered_trial_runs_the_trainer_with_every_parameter(api_version: str) -> None:
    experiment = load_experiment(render_experiment(values_for("random"), api_version))
    flags = api_version != V1BETA1
    names = ["learning_rate", "hidden_units", "optimizer", "epochs"]
    keys = ["--" + n.replace("_", "-") for n in names] if flags else names
    assert [p.name for p in experiment.parameters] == keys
    run = experiment.resolve_trial(dict(zip(keys, ["0.05", "64", "adam", "3"], strict=True)))
    assert run.image == "localhost:32000/hpo-rig-trainer:1.0"
    assert run.command == (
        "hpo-rig-train",
        "--dataset=mnist",
        "--gpu-memory-fraction=0.3",
        "--device=gpu",  # the current profile gives each trial a GPU: none is an error
        "--learning-rate=0.05",
        "--hidden-units=64",
        "--optimizer=adam",
        "--epochs=3",
    )
    assert experiment.parallel_trial_count == 3
    assert experiment.objective.additional_metrics == ("accuracy", "val_loss")


def test_profiles_decide_the_gpu_request() -> None:
    current = load_experiment(render_experiment(values_for("random")))
    run = current.resolve_trial(
        {"learning_rate": "0.05", "hidden_units": "64", "optimizer": "adam", "epochs": "3"}
    )
    assert run.resources == {"limits": {"nvidia.com/gpu": 1}}
    assert run.env == {}
    seed_values = values_for("random") | {"profile": "seed"}
    seed = load_experiment(render_experiment(seed_values, V1ALPHA2))
    run = seed.resolve_trial(
        {"--learning-rate": "0.05", "--hidden-units": "64", "--optimizer": "adam", "--epochs": "3"}
    )
    assert run.resources == {}
    assert run.env == {"NVIDIA_VISIBLE_DEVICES": "all"}
    assert "--device=gpu" in run.command  # the nvidia default runtime gives every pod the GPU


@pytest.mark.parametrize("api_version", API_VERSIONS)
@pytest.mark.parametrize(
    ("extra", "device_flag"),
    [
        ({}, "--device=gpu"),
        ({"profile": "seed"}, "--device=gpu"),
        ({"gpus_per_trial": 0}, None),  # a rig without a GPU (the role's preflight fact)
        ({"profile": "seed", "gpus_per_trial": 0}, None),
        ({"trainer_device": "cpu"}, "--device=cpu"),
        ({"trainer_device": "auto"}, None),
    ],
)
def test_trials_given_a_gpu_pass_device_gpu(
    api_version: str, extra: dict[str, Any], device_flag: str | None
) -> None:
    document = render_experiment(values_for("random") | extra, api_version)
    text = json.dumps(document)
    devices = [f for f in ("--device=gpu", "--device=cpu", "--device=auto") if f in text]
    assert devices == ([] if device_flag is None else [device_flag])


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_image_pull_secrets_render_at_pod_level(api_version: str) -> None:
    values = values_for("random", api_version) | {"image_pull_secrets": ["regcred"]}
    document = render_experiment(values, api_version)
    assert validate_experiment(document) == []
    assert trial_pod_spec(document)["imagePullSecrets"] == [{"name": "regcred"}]


def trial_pod_spec(document: dict[str, Any]) -> dict[str, Any]:
    """The trial Job's pod spec: data in v1beta1, a Go template rendered for v1alpha*."""
    template = document["spec"]["trialTemplate"]
    if "trialSpec" in template:
        job = template["trialSpec"]
    else:
        context = {"Trial": "t", "NameSpace": "ns", "HyperParameters": []}
        job = yaml.safe_load(render_go_template(template["goTemplate"]["rawTemplate"], context))
    pod: dict[str, Any] = job["spec"]["template"]["spec"]
    return pod


def test_explicit_overrides_win_over_derived_defaults() -> None:
    values = values_for("random") | {
        "parallel_trial_count": 2,
        "gpu_memory_fraction": 0.4,
        "gpus_per_trial": 0,
        "command": ["python3", "-m", "trainer"],
    }
    document = render_experiment(values)
    assert document["spec"]["parallelTrialCount"] == 2
    container = document["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert container["command"][:4] == ["python3", "-m", "trainer", "--dataset=mnist"]
    assert "--gpu-memory-fraction=0.4" in container["command"]
    assert "resources" not in container


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_namespace_defaults_to_kubeflow(api_version: str) -> None:
    # `namespace` is also a Jinja global: an absent value must not render that object.
    values = {k: v for k, v in values_for("random").items() if k != "namespace"}
    assert render_experiment(values, api_version)["metadata"]["namespace"] == "kubeflow"


def test_early_stopping_and_distribution_are_v1beta1_only() -> None:
    values = values_for("tpe") | {
        "early_stopping": {"settings": {"min_trials_required": 2, "start_step": 3}}
    }
    values["parameters"][0] = {
        "name": "learning_rate",
        "type": "double",
        "min": "0.0001",
        "max": "0.1",
        "distribution": "logUniform",
    }
    document = render_experiment(values)
    assert document["spec"]["earlyStopping"] == {
        "algorithmName": "medianstop",
        "algorithmSettings": [
            {"name": "min_trials_required", "value": "2"},
            {"name": "start_step", "value": "3"},
        ],
    }
    assert document["spec"]["parameters"][0]["feasibleSpace"]["distribution"] == "logUniform"
    assert validate_experiment(document) == []
    with pytest.raises(RenderError, match=r"early_stopping: needs kubeflow\.org/v1beta1"):
        render_experiment(values, V1ALPHA3)
    values.pop("early_stopping")
    alpha = render_experiment(values, V1ALPHA3)
    assert "distribution" not in alpha["spec"]["parameters"][0]["feasibleSpace"]


def test_hyperband_resource_is_named_as_the_parameter_is() -> None:
    for version, expected in ((V1BETA1, "epochs"), (V1ALPHA3, "--epochs")):
        settings = render_experiment(values_for("hyperband"), version)["spec"]["algorithm"]
        assert {"name": "resource_name", "value": expected} in settings["algorithmSettings"]


def test_v1alpha2_renders_hyperband_settings_under_katib_06_names() -> None:
    document = render_experiment(values_for("hyperband"), V1ALPHA2)
    assert document["spec"]["algorithm"]["algorithmSettings"] == [
        {"name": "eta", "value": "3"},
        {"name": "r_l", "value": "3"},
        {"name": "resourceName", "value": "--epochs"},
    ]
    assert validate_experiment(document) == []
    # A values file may use 0.6's own name too.
    values = values_for("hyperband") | {"algorithm_settings": {"resourceName": "epochs", "r_l": 3}}
    settings = render_experiment(values, V1ALPHA2)["spec"]["algorithm"]["algorithmSettings"]
    assert {"name": "resourceName", "value": "--epochs"} in settings


def test_v1alpha2_renders_grid_sizes_under_the_parameters_flags() -> None:
    document = render_experiment(values_for("grid", V1ALPHA2), V1ALPHA2)
    assert document["spec"]["algorithm"]["algorithmSettings"] == [
        {"name": "DefaultGrid", "value": "3"},
        {"name": "--learning-rate", "value": "4"},
    ]
    assert validate_experiment(document) == []


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("name", "missing required variable 'name'"),
        ("image", "missing required variable 'image'"),
        ("objective.metric", "missing required variable 'objective.metric'"),
        ("parameters.0.type", r"parameters\[0\]: missing required variable 'type'"),
    ],
)
def test_missing_values_are_named(missing: str, message: str) -> None:
    values = values_for("random")
    node: Any = values
    *parents, last = missing.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    del node[last]
    with pytest.raises(RenderError, match=message):
        render_experiment(values)


def test_templates_are_strict_about_undefined_variables() -> None:
    # The pre-checks name required values; StrictUndefined catches anything else a template
    # needs, e.g. when a template is used outside render_experiment.
    template = environment().get_template("experiment-v1beta1.yaml.j2")
    with pytest.raises(jinja2.UndefinedError, match="'name' is undefined"):
        template.render(**{k: v for k, v in values_for("random").items() if k != "name"})


def test_unknown_api_version_is_refused() -> None:
    with pytest.raises(RenderError, match="api_version: expected one of"):
        render_experiment(values_for("random"), "v2")


def test_values_file_with_experiments_list_merges_shared_values(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    shared = {k: v for k, v in values_for("random").items() if k != "name"}
    path.write_text(
        yaml.safe_dump(shared | {"experiments": [{"name": "a"}, {"name": "b", "algorithm": "tpe"}]})
    )
    entries = load_values(path)
    assert [(e["name"], e["algorithm"]) for e in entries] == [("a", "random"), ("b", "tpe")]
    assert entries[1]["image"] == BASE["image"]


def test_published_example_values_render_cleanly() -> None:
    (values,) = load_values(EXAMPLE_VALUES)
    assert validate_experiment(render_experiment(values)) == []
    text = render_experiment_text(values)
    assert "${trialParameters.learning_rate}" in text


def test_templates_use_only_filters_ansible_also_has() -> None:
    # Jinja2 built-ins that Ansible keeps; Ansible-only filters (to_json, ...) would break
    # rendering here, and Python-only tricks would break in Ansible.
    allowed = {
        "default",
        "tojson",
        "replace",
        "string",
        "int",
        "float",
        "list",
        "map",
        "dictsort",
        "round",
        "indent",
        "trim",
    }
    env = environment()
    for path in TEMPLATE_DIR.glob("*.j2"):
        source = path.read_text()
        ast = env.parse(source)
        used = {node.name for node in ast.find_all(jinja2.nodes.Filter)}
        assert used <= allowed, (path.name, used - allowed)
