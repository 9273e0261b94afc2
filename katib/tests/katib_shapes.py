"""Experiments shaped like kubeflow/katib v0.19.0 ``examples/v1beta1``, composed here from the
rules each example exercises (not copies of the upstream files)."""

from __future__ import annotations

import copy
from typing import Any

Document = dict[str, Any]


def job(*args: str, kind: str = "Job", api: str = "batch/v1") -> Document:
    container = {"name": "training-container", "image": "trainer:1", "command": ["python3", *args]}
    return {
        "apiVersion": api,
        "kind": kind,
        "spec": {"template": {"spec": {"containers": [container], "restartPolicy": "Never"}}},
    }


def experiment(name: str = "random", **spec: Any) -> Document:
    """A random-search Experiment over lr and momentum with a batch Job trial."""
    base: Document = {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Experiment",
        "metadata": {"name": name, "namespace": "kubeflow"},
        "spec": {
            "objective": {"type": "maximize", "goal": 0.99, "objectiveMetricName": "accuracy"},
            "algorithm": {"algorithmName": "random"},
            "maxTrialCount": 12,
            "maxFailedTrialCount": 3,
            "parameters": [
                {
                    "name": "lr",
                    "parameterType": "double",
                    "feasibleSpace": {"min": "0.01", "max": "0.03"},
                },
                {
                    "name": "momentum",
                    "parameterType": "double",
                    "feasibleSpace": {"min": "0.3", "max": "0.7"},
                },
            ],
            "trialTemplate": {
                "primaryContainerName": "training-container",
                "trialParameters": [
                    {"name": "learningRate", "reference": "lr"},
                    {"name": "momentum", "reference": "momentum"},
                ],
                "trialSpec": job(
                    "--lr=${trialParameters.learningRate}", "--momentum=${trialParameters.momentum}"
                ),
            },
        },
    }
    base["spec"].update(spec)
    return base


def replicated(kind: str, replicas_key: str, api: str = "kubeflow.org/v1") -> Document:
    template = job(
        "--lr=${trialParameters.learningRate}", "--momentum=${trialParameters.momentum}"
    )["spec"]["template"]
    return {
        "apiVersion": api,
        "kind": kind,
        "spec": {
            replicas_key: {
                "Master": {"replicas": 1, "template": copy.deepcopy(template)},
                "Worker": {"replicas": 2, "template": copy.deepcopy(template)},
            }
        },
    }


def with_trial(document: Document, trial_spec: Document, **template: Any) -> Document:
    document["spec"]["trialTemplate"]["trialSpec"] = trial_spec
    document["spec"]["trialTemplate"].update(template)
    return document


NAS_CONFIG: Document = {
    "graphConfig": {"numLayers": 1, "inputSizes": [32, 32, 3], "outputSizes": [10]},
    "operations": [
        {
            "operationType": "max_pooling",
            "parameters": [
                {
                    "name": "filter_size",
                    "parameterType": "categorical",
                    "feasibleSpace": {"list": ["3"]},
                }
            ],
        }
    ],
}


def nas(algorithm: str) -> Document:
    document = experiment(
        f"{algorithm}-cpu",
        objective={"type": "maximize", "objectiveMetricName": "Best-Genotype"},
        algorithm={
            "algorithmName": algorithm,
            "algorithmSettings": [
                {"name": "num_epochs", "value": "1"}
                if algorithm == "darts"
                else {"name": "controller_train_steps", "value": "5"}
            ],
        },
        nasConfig=copy.deepcopy(NAS_CONFIG),
        maxTrialCount=1,
        parallelTrialCount=1,
        maxFailedTrialCount=1,
    )
    del document["spec"]["parameters"]
    document["spec"]["trialTemplate"]["trialParameters"] = [
        {"name": "searchSpace", "reference": "search-space"},
        {"name": "numberLayers", "reference": "num-layers"},
    ]
    document["spec"]["trialTemplate"]["trialSpec"] = job(
        "run_trial.py",
        '--search-space="${trialParameters.searchSpace}"',
        "--num-layers=${trialParameters.numberLayers}",
    )
    return document


def _argo() -> Document:
    document = experiment("katib-argo-workflow")
    del document["spec"]["parameters"][1]
    document["spec"]["trialTemplate"]["trialParameters"].pop()
    return with_trial(
        document,
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Workflow",
            "spec": {
                "entrypoint": "hp",
                "templates": [
                    {
                        "name": "hp",
                        "container": {
                            "name": "main",
                            "image": "trainer:1",
                            "command": ["python3", "--lr=${trialParameters.learningRate}"],
                        },
                    }
                ],
            },
        },
        retain=True,
        primaryPodLabels={"katib.kubeflow.org/model-training": "true"},
        primaryContainerName="main",
        successCondition='status.[@this].#(phase=="Succeeded")#',
        failureCondition='status.[@this].#(phase=="Failed")#',
    )


def _tekton() -> Document:
    document = experiment("tekton-pipeline-run")
    del document["spec"]["parameters"][1]
    document["spec"]["trialTemplate"]["trialParameters"].pop()
    step = {
        "name": "model-training",
        "image": "trainer:1",
        "command": ["python3", "--lr=$(params.lr)"],
    }
    return with_trial(
        document,
        {
            "apiVersion": "tekton.dev/v1beta1",
            "kind": "PipelineRun",
            "spec": {
                "params": [{"name": "lr", "value": "${trialParameters.learningRate}"}],
                "pipelineSpec": {
                    "tasks": [{"name": "model-training", "taskSpec": {"steps": [step]}}]
                },
            },
        },
        primaryPodLabels={"tekton.dev/pipelineTask": "model-training"},
        primaryContainerName="step-model-training",
        successCondition='status.conditions.#(type=="Succeeded")#|#(status=="True")#',
        failureCondition='status.conditions.#(type=="Succeeded")#|#(status=="False")#',
    )


def _trainjob() -> Document:
    trainer = {
        "numNodes": 2,
        "image": "trainer:1",
        "command": [
            "python3",
            "--lr=${trialParameters.learningRate}",
            "--momentum=${trialParameters.momentum}",
        ],
    }
    return with_trial(
        experiment("torch-distributed-example"),
        {
            "apiVersion": "trainer.kubeflow.org/v1alpha1",
            "kind": "TrainJob",
            "spec": {"runtimeRef": {"name": "torch-distributed"}, "trainer": trainer},
        },
        primaryContainerName="node",
    )


def _configmap() -> Document:
    document = experiment("trial-configmap-source")
    template = document["spec"]["trialTemplate"]
    del template["trialSpec"]
    template["configMap"] = {
        "configMapName": "trial-templates",
        "configMapNamespace": "kubeflow",
        "templatePath": "defaultTrialTemplate.yaml",
    }
    template["successCondition"] = 'status.conditions.#(type=="Complete")#|#(status=="True")#'
    template["failureCondition"] = 'status.conditions.#(type=="Failed")#|#(status=="True")#'
    return document


def _metadata() -> Document:
    document = experiment("trial-metadata-substitution")
    template = document["spec"]["trialTemplate"]
    extra = {
        "trialName": "Name",
        "trialNamespace": "Namespace",
        "trialKind": "Kind",
        "trialAPIVersion": "APIVersion",
        "trialLabel": "Labels[custom-key]",
        "trialAnnotation": "Annotations[custom-key]",
    }
    container = template["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
    container["env"] = []
    for name, key in extra.items():
        template["trialParameters"].append({"name": name, "reference": f"${{trialSpec.{key}}}"})
        container["env"].append({"name": name.upper(), "value": f"${{trialParameters.{name}}}"})
    template["trialSpec"]["metadata"] = {
        "labels": {"custom-key": "l"},
        "annotations": {"custom-key": "a"},
    }
    return document


def _settings(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": n, "value": v} for n, v in pairs]


def _hyperband() -> Document:
    document = experiment(
        "hyperband",
        parallelTrialCount=2,
        algorithm={
            "algorithmName": "hyperband",
            "algorithmSettings": _settings(("resource_name", "epochs"), ("eta", "3"), ("r_l", "9")),
        },
        maxTrialCount=12,
    )
    document["spec"]["parallelTrialCount"] = 9
    document["spec"]["parameters"].append(
        {"name": "epochs", "parameterType": "int", "feasibleSpace": {"min": "9", "max": "9"}}
    )
    document["spec"]["trialTemplate"]["trialParameters"].append(
        {"name": "epochs", "reference": "epochs"}
    )
    document["spec"]["trialTemplate"]["trialSpec"] = job(
        "--lr=${trialParameters.learningRate}",
        "--momentum=${trialParameters.momentum}",
        "--epochs=${trialParameters.epochs}",
    )
    return document


def _collector(name: str, collector: Document) -> Document:
    return experiment(name, metricsCollectorSpec=collector)


def examples() -> dict[str, Document]:
    """name -> Experiment that Katib v0.19.0 admits."""
    pytorch = replicated("PyTorchJob", "pytorchReplicaSpecs")
    for spec in pytorch["spec"]["pytorchReplicaSpecs"].values():
        spec["template"]["spec"]["containers"][0]["name"] = "pytorch"
    return {
        "random": experiment(),
        "grid": experiment(
            "grid",
            algorithm={"algorithmName": "grid"},
            parameters=[
                {
                    "name": "lr",
                    "parameterType": "double",
                    "feasibleSpace": {"min": "0.01", "max": "0.05", "step": "0.01"},
                },
                {
                    "name": "momentum",
                    "parameterType": "categorical",
                    "feasibleSpace": {"list": ["0.5", "0.9"]},
                },
            ],
            maxTrialCount=10,
        ),
        "tpe": experiment("tpe", algorithm={"algorithmName": "tpe"}),
        "multivariate-tpe": experiment(
            "multivariate-tpe", algorithm={"algorithmName": "multivariate-tpe"}
        ),
        "sobol": experiment("sobol", algorithm={"algorithmName": "sobol"}),
        "cma-es": experiment(
            "cmaes",
            algorithm={
                "algorithmName": "cmaes",
                "algorithmSettings": _settings(("restart_strategy", "none")),
            },
        ),
        "bayesian-optimization": experiment(
            "bayesian-optimization",
            algorithm={
                "algorithmName": "bayesianoptimization",
                "algorithmSettings": _settings(("random_state", "10")),
            },
        ),
        "hyperopt-distribution": experiment(
            "hyperopt-distribution",
            parameters=[
                {
                    "name": "lr",
                    "parameterType": "double",
                    "feasibleSpace": {"min": "0.01", "max": "0.05", "distribution": "logUniform"},
                },
                {
                    "name": "momentum",
                    "parameterType": "double",
                    "feasibleSpace": {"min": "0.5", "max": "0.9", "distribution": "normal"},
                },
            ],
        ),
        "hyperband": _hyperband(),
        "simple-pbt": experiment(
            "simple-pbt",
            resumePolicy="FromVolume",
            maxTrialCount=2,
            parallelTrialCount=2,
            # upstream gives maxFailedTrialCount 3 > maxTrialCount 2, which its own
            # validator.go refuses; 2 here.
            maxFailedTrialCount=2,
            algorithm={
                "algorithmName": "pbt",
                "algorithmSettings": _settings(
                    ("suggestion_trial_dir", "/var/log/katib/checkpoints/"),
                    ("n_population", "40"),
                    ("truncation_threshold", "0.2"),
                ),
            },
        ),
        "median-stop": experiment(
            "median-stop",
            earlyStopping={
                "algorithmName": "medianstop",
                "algorithmSettings": _settings(("min_trials_required", "2"), ("start_step", "4")),
            },
        ),
        "darts-cpu": nas("darts"),
        "enas-cpu": nas("enas"),
        "argo-workflow": _argo(),
        "tekton-pipeline-run": _tekton(),
        "trainjob-pytorch": _trainjob(),
        "pytorchjob-mnist": with_trial(
            experiment("pytorchjob-mnist"), pytorch, primaryContainerName="pytorch"
        ),
        "tfjob-mnist-with-summaries": with_trial(
            _collector(
                "tfjob-mnist-with-summaries",
                {
                    "collector": {"kind": "TensorFlowEvent"},
                    "source": {
                        "fileSystemPath": {
                            "path": "/mnist-with-summaries-logs/test",
                            "kind": "Directory",
                        }
                    },
                },
            ),
            replicated("TFJob", "tfReplicaSpecs"),
        ),
        "mpijob-horovod": with_trial(
            experiment("mpijob-horovod"), replicated("MPIJob", "mpiReplicaSpecs")
        ),
        "xgboostjob-lightgbm": with_trial(
            experiment("xgboostjob-lightgbm"), replicated("XGBoostJob", "xgbReplicaSpecs")
        ),
        "file-metrics-collector": _collector(
            "file-metrics-collector",
            {
                "collector": {"kind": "File"},
                "source": {
                    "filter": {
                        "metricsFormat": [
                            "{metricName: ([\\w|-]+), metricValue: ((-?\\d+)(\\.\\d+)?)}"
                        ]
                    },
                    "fileSystemPath": {"path": "/katib/mnist.log", "kind": "File"},
                },
            },
        ),
        "file-metrics-collector-json": _collector(
            "file-metrics-collector-with-json-format",
            {
                "collector": {"kind": "File"},
                "source": {
                    "fileSystemPath": {
                        "path": "/katib/mnist.json",
                        "kind": "File",
                        "format": "JSON",
                    }
                },
            },
        ),
        "file-collector-all-defaults": _collector("file-defaults", {"collector": {"kind": "File"}}),
        "tfevent-all-defaults": _collector(
            "tfevent-defaults", {"collector": {"kind": "TensorFlowEvent"}}
        ),
        "prometheus-defaults": _collector(
            "prometheus", {"collector": {"kind": "PrometheusMetric"}}
        ),
        "custom-metrics-collector": _collector(
            "custom-metrics-collector",
            {
                "source": {"fileSystemPath": {"path": "/katib/mnist.log", "kind": "File"}},
                "collector": {
                    "kind": "Custom",
                    "customCollector": {
                        "name": "logger",
                        "image": "collector:1",
                        "args": ["-m", "accuracy"],
                    },
                },
            },
        ),
        "metrics-collection-strategy": experiment(
            "metrics-collection-strategy",
            objective={
                "type": "minimize",
                "objectiveMetricName": "loss",
                "additionalMetricNames": ["accuracy"],
                "metricStrategies": [{"name": "accuracy", "value": "latest"}],
            },
        ),
        "long-running-resume": experiment("long-running-resume", resumePolicy="LongRunning"),
        "from-volume-resume": experiment("from-volume-resume", resumePolicy="FromVolume"),
        "trial-configmap-source": _configmap(),
        "trial-metadata-substitution": _metadata(),
    }
