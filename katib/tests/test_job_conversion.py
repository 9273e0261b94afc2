"""Katib v0.19.0 converts a batch/v1 Job trial spec to a Job and refuses what does not survive
(validator.go validateTrialJob): misspelt fields at every depth, values of the wrong kind, nulls."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hpo_rig import jobspec
from hpo_rig.jobspec import job_problems
from hpo_rig.validate import errors, validate_experiment
from tests.katib_shapes import Document, examples, experiment

TRIAL = "spec.trialTemplate.trialSpec"
POD = f"{TRIAL}.spec.template.spec"
CONTAINER = f"{POD}.containers[0]"
FIXTURES = Path(__file__).parent / "fixtures" / "examples"


def _trial(document: Document) -> Document:
    spec: Document = document["spec"]["trialTemplate"]["trialSpec"]
    return spec


def _pod(document: Document) -> Document:
    pod: Document = _trial(document)["spec"]["template"]["spec"]
    return pod


def _container(document: Document) -> Document:
    container: Document = _pod(document)["containers"][0]
    return container


def with_change(change: Any) -> Document:
    document = experiment()
    change(document)
    return document


# (case, change, field the refusal names, words the message holds)
REFUSED: list[tuple[str, Any, str, str]] = [
    (
        "restartPolicyy in the pod spec",
        lambda d: _pod(d).update(restartPolicyy=_pod(d).pop("restartPolicy")),
        f"{POD}.restartPolicyy",
        "unknown field 'restartPolicyy' in PodSpec; did you mean 'restartPolicy'? "
        "(unable to convert: /spec/template/spec/restartPolicyy - Never to Job)",
    ),
    (
        "imagee in a container",
        lambda d: _container(d).update(imagee="trainer:2"),
        f"{CONTAINER}.imagee",
        "unknown field 'imagee' in Container; did you mean 'image'?",
    ),
    (
        "backofLimit in the Job spec",
        lambda d: _trial(d)["spec"].update(backofLimit=0),
        f"{TRIAL}.spec.backofLimit",
        "unknown field 'backofLimit' in JobSpec; did you mean 'backoffLimit'?",
    ),
    (
        "lables in the pod template's metadata",
        lambda d: _trial(d)["spec"]["template"].update(metadata={"lables": {"a": "b"}}),
        f"{TRIAL}.spec.template.metadata.lables",
        "unknown field 'lables' in ObjectMeta; did you mean 'labels'?",
    ),
    (
        "valeu in an env entry",
        lambda d: _container(d).update(env=[{"name": "A", "valeu": "1"}]),
        f"{CONTAINER}.env[0].valeu",
        "unknown field 'valeu' in EnvVar; did you mean 'value'?",
    ),
    (
        "limit in the resources",
        lambda d: _container(d).update(resources={"limit": {"cpu": "1"}}),
        f"{CONTAINER}.resources.limit",
        "did you mean 'limits'? (unable to convert: "
        "/spec/template/spec/containers/0/resources/limit - map[cpu:1] to Job)",
    ),
    (
        "medim in an emptyDir volume",
        lambda d: _pod(d).update(volumes=[{"name": "v", "emptyDir": {"medim": "Memory"}}]),
        f"{POD}.volumes[0].emptyDir.medim",
        "unknown field 'medim' in EmptyDirVolumeSource; did you mean 'medium'?",
    ),
    (
        "httpGet.paht in a readiness probe",
        lambda d: _container(d).update(readinessProbe={"httpGet": {"paht": "/", "port": 80}}),
        f"{CONTAINER}.readinessProbe.httpGet.paht",
        "did you mean 'path'?",
    ),
    (
        "a field with no near name",
        lambda d: _trial(d)["spec"].update(gpuSharing=True),
        f"{TRIAL}.spec.gpuSharing",
        "unknown field 'gpuSharing' in JobSpec (unable to convert",
    ),
    (
        "backoffLimit given as a string",
        lambda d: _trial(d)["spec"].update(backoffLimit="0"),
        f"{TRIAL}.spec.backoffLimit",
        "must be an integer (got a string '0'",
    ),
    (
        "a label value given as a number",
        lambda d: _trial(d)["spec"]["template"].update(metadata={"labels": {"tier": 1}}),
        f"{TRIAL}.spec.template.metadata.labels[tier]",
        "must be a string (got a number 1",
    ),
    (
        "ports given as a mapping",
        lambda d: _container(d).update(ports={"containerPort": 80}),
        f"{CONTAINER}.ports",
        "must be a list",
    ),
    (
        "an empty env (YAML null)",
        lambda d: _container(d).update(env=None),
        f"{CONTAINER}.env",
        "is null, which does not survive the conversion (unable to convert: "
        "/spec/template/spec/containers/0/env - <nil> to Job)",
    ),
    (
        "a limit that is no quantity",
        lambda d: _container(d).update(resources={"limits": {"cpu": "lots"}}),
        f"{CONTAINER}.resources.limits[cpu]",
        "must be a quantity such as 1, 500m or 2Gi",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "words"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_what_does_not_convert_to_a_job_is_refused(change: Any, field: str, words: str) -> None:
    problems = errors(validate_experiment(with_change(change)))
    matching = [p for p in problems if p.path == field]
    assert matching, [str(p) for p in problems]
    assert words in matching[0].message
    assert "Katib refuses a Job trialSpec that does not convert losslessly" in matching[0].message


ADMITTED: list[tuple[str, Any]] = [
    (
        "quantities of every spelling in limits and requests",
        lambda d: _container(d).update(
            resources={
                "limits": {"nvidia.com/gpu": 1, "cpu": "500m", "memory": "1.5Gi"},
                "requests": {"cpu": 0.25},
            }
        ),
    ),
    (
        "kubectl's creationTimestamp: null",
        lambda d: _trial(d)["spec"]["template"].update(metadata={"creationTimestamp": None}),
    ),
    (
        "a port as a number and as a name (int-or-string)",
        lambda d: _container(d).update(
            livenessProbe={"httpGet": {"path": "/", "port": 8080}},
            readinessProbe={"tcpSocket": {"port": "http"}},
        ),
    ),
    ("an integer written 2.0", lambda d: _trial(d)["spec"].update(parallelism=2.0)),
    (
        "labels with dots and slashes, env, volumes",
        lambda d: (
            _trial(d)["spec"]["template"].update(
                metadata={"labels": {"app.kubernetes.io/name": "t"}}
            ),
            _container(d).update(
                env=[{"name": "A", "value": "1"}],
                volumeMounts=[{"name": "data", "mountPath": "/data"}],
            ),
            _pod(d).update(volumes=[{"name": "data", "emptyDir": {"medium": "Memory"}}]),
        ),
    ),
    (
        "another kind keeps its own fields (only batch/v1 Job is converted)",
        lambda d: (_trial(d).update(apiVersion="batch/v1beta1"), _pod(d).update(restartPolicyy=1)),
    ),
]


@pytest.mark.parametrize("change", [r[1] for r in ADMITTED], ids=[r[0] for r in ADMITTED])
def test_what_converts_is_admitted(change: Any) -> None:
    assert [str(p) for p in errors(validate_experiment(with_change(change)))] == []


def _jobs() -> dict[str, Document]:
    found = {f"katib_shapes:{n}": d for n, d in examples().items()}
    for path in sorted(FIXTURES.glob("v1beta1-*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            found[path.name] = document
    return {
        name: _trial(d)
        for name, d in found.items()
        if d["spec"]["trialTemplate"].get("trialSpec", {}).get("kind") == "Job"
    }


JOBS = _jobs()


@pytest.mark.parametrize("name", sorted(JOBS))
def test_katib_example_jobs_convert(name: str) -> None:
    assert job_problems(JOBS[name]) == []


def test_katib_examples_include_jobs() -> None:
    assert {n for n in JOBS if n.endswith(".yaml")} >= {"v1beta1-random.yaml"}


def test_older_clients_type_strings_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # kubernetes client 34 writes list[V1Container] and dict(str, str); 37 List[...], Dict[...].
    tree = {
        "V1Job": {"spec": "V1JobSpec"},
        "V1JobSpec": {"labels": "dict(str, str)", "items": "list[V1Item]"},
        "V1Item": {"name": "str"},
    }
    monkeypatch.setattr(jobspec, "_fields", tree.__getitem__)
    problems = job_problems({"spec": {"labels": {"a": 1}, "items": [{"nme": "x"}]}})
    assert [where for where, _ in problems] == [".spec.labels[a]", ".spec.items[0].nme"]


def test_the_check_reads_the_models_without_importing_the_client() -> None:
    # `hpo-rig run` validates before its first trial: importing the kubernetes package (its
    # __init__ loads the config code, google-auth and pydantic models) cost about 0.6 s there.
    code = (
        "import sys; from hpo_rig.jobspec import job_problems; "
        "spec = {'spec': {'template': {'spec': {'restartPolicyy': 'Never', 'containers': "
        "[{'name': 'c', 'image': 'i', 'resources': {'limits': {'cpu': '500m'}}}]}}}}; "
        "print(len(job_problems(spec))); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kubernetes'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["1", "[]"], done.stdout + done.stderr
