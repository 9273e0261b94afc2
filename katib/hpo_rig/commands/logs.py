"""`hpo-rig logs`: a trial's training output, from the cluster or from a local run.

In the cluster the trial's pod is found the way Katib's UI finds it (pkg/ui/v1beta1/backend.go
fetchMasterPodName, v0.19.0): the label ``katib.kubeflow.org/trial=<trial>`` (consts.LabelTrialName,
set by the pod webhook) plus the Trial's spec.primaryPodLabels; a Running or Succeeded pod
first, else a Failed one. The container is the Trial's spec.primaryContainerName. A local
run (``--workdir``) keeps each trial's output in the file its Trial in trials.json names
(annotation ``hpo-rig/log``, ``logs/<trial>.log``; hpo_rig/engine/katib_format.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from hpo_rig import cluster
from hpo_rig.apierrors import ClusterError, translate
from hpo_rig.commands._kubectl import add_cluster_arguments, namespace_of, not_found
from hpo_rig.trials import KATIB_GROUP, Trial, TrialsError, load_trials
from hpo_rig.yamlio import InputFileError

LABEL_TRIAL = "katib.kubeflow.org/trial"  # pkg/controller.v1beta1/consts/const.go, v0.19.0
TRIALS = "trials"
EXIT_CODES = (
    "exit status: 0 logs printed; 1 no such trial, no pod to read (Pending, or deleted because "
    "the trial template does not retain it); 2 usage error; 3 the cluster refused or is "
    "unreachable; 4 Katib is not installed"
)


class LogsError(OSError):
    """The trial or its output cannot be found."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "logs",
        help="print a trial's training logs",
        description="Print the logs of a trial's primary container (the pod labelled "
        f"{LABEL_TRIAL}=TRIAL, container spec.primaryContainerName), or with --workdir the "
        "log file of a trial of a local `hpo-rig run`. -f follows the output until the "
        "container (or the local trial) ends.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("trial", metavar="TRIAL", help="the Trial's name")
    add_cluster_arguments(parser)
    parser.add_argument(
        "--workdir", type=Path, help="a local run's work directory instead of the cluster"
    )
    parser.add_argument("-f", "--follow", action="store_true", help="stream new output")
    parser.add_argument(
        "--tail", type=int, default=-1, metavar="N", help="only the last N lines (-1: all)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: BinaryIO | None = None) -> int:
    sink = out or sys.stdout.buffer
    try:
        if args.workdir is not None:
            chunks = local_log(args.workdir, args.trial, args.tail, args.follow)
        else:
            chunks = cluster_log(args)
        for chunk in chunks:
            sink.write(chunk)
            sink.flush()
    except LogsError as error:
        print(f"hpo-rig logs: error: {error}", file=sys.stderr)
        return 1
    return 0


def cluster_log(args: argparse.Namespace) -> Iterable[bytes]:
    api = cluster.connect(args.kubeconfig, args.context)
    version = cluster.version_of(args.api_version)
    namespace = namespace_of(args)
    trial = get_trial(api, namespace, args.trial, version)
    spec = trial.get("spec") or {}
    selector = ",".join(
        [f"{LABEL_TRIAL}={args.trial}"]
        + [f"{key}={value}" for key, value in (spec.get("primaryPodLabels") or {}).items()]
    )
    core = cluster.connect_core(args.kubeconfig, args.context)
    try:
        pods = core.list_namespaced_pod(namespace, label_selector=selector)
    except Exception as error:
        raise _failure(error, "pods", "v1", f"listing pods {selector}") from error
    pod = pick_pod(list(getattr(pods, "items", None) or []), args.trial)
    options: dict[str, Any] = {"follow": args.follow, "_preload_content": False}
    container = spec.get("primaryContainerName")
    if container:
        options["container"] = container
    if args.tail >= 0:
        options["tail_lines"] = args.tail
    try:
        response = core.read_namespaced_pod_log(pod.metadata.name, namespace, **options)
    except Exception as error:
        where = f"reading logs of pod {namespace}/{pod.metadata.name}"
        raise _failure(error, "pods", "v1", where) from error
    try:
        yield from response.stream(4096)
    finally:
        response.release_conn()


def get_trial(
    api: cluster.CustomObjectsApi, namespace: str, name: str, version: str
) -> dict[str, Any]:
    try:
        return dict(api.get_namespaced_custom_object(KATIB_GROUP, version, namespace, TRIALS, name))
    except Exception as error:
        if getattr(error, "status", None) == 404:
            raise LogsError(not_found(f"{TRIALS}.{KATIB_GROUP}", name)) from error
        where = f"reading trial {namespace}/{name}"
        raise _failure(error, TRIALS, f"{KATIB_GROUP}/{version}", where) from error


def pick_pod(pods: list[Any], trial: str) -> Any:
    """Katib UI's choice: a Running or Succeeded pod, else a Failed one, else none."""
    if not pods:
        raise LogsError(
            f"no pod of trial {trial}: it is not created yet, or it was deleted "
            "(set spec.trialTemplate.retain: true in the Experiment to keep trial pods)"
        )
    for phases in (("Succeeded", "Running"), ("Failed",)):
        for pod in pods:
            if pod.status.phase in phases:
                return pod
    raise LogsError(f"the pod of trial {trial} is in the Pending or Unknown state: no logs yet")


def local_log(
    workdir: Path,
    trial: str,
    tail: int = -1,
    follow: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    interval: float = 1.0,
) -> Iterable[bytes]:
    """A local trial's log file; with ``follow``, new output until the trial is finished."""
    trials_path = workdir / "trials.json"
    record = _record(trials_path, trial)
    path = workdir / _log_of(record)
    if not path.exists():
        if not follow:
            raise LogsError(f"{path}: no log yet (trial {trial} is {record.state})")
        while not path.exists():
            sleep(interval)
            record = _record(trials_path, trial)
            if record.finished and not path.exists():
                raise LogsError(f"{path}: trial {trial} ended ({record.state}) without a log")
    with path.open("rb") as stream:
        if tail >= 0:
            yield b"".join(deque(stream, maxlen=tail)) if tail else b""
        else:
            yield from iter(lambda: stream.read(65536), b"")
        while follow:
            chunk = stream.read(65536)
            if chunk:
                yield chunk
                continue
            if _record(trials_path, trial).finished:
                yield stream.read()  # what was written between the last read and the end
                return
            sleep(interval)


def _record(trials_path: Path, trial: str) -> Trial:
    """The trial as the local run last wrote it (trials.json, rewritten atomically)."""
    if not trials_path.exists():
        raise LogsError(f"{trials_path}: no local run there (no trials.json)")
    try:
        trials = load_trials(trials_path)
    except (InputFileError, TrialsError) as error:
        raise LogsError(f"{trials_path}: unreadable ({error})") from error
    for record in trials:
        if record.name == trial:
            return record
    known = ", ".join(t.name for t in trials[-5:]) or "none yet"
    raise LogsError(f"no trial {trial} in {trials_path} (latest: {known})")


def _log_of(trial: Trial) -> str:
    annotations = trial.raw.get("metadata", {}).get("annotations") or {}
    return str(annotations.get("hpo-rig/log") or f"logs/{trial.name}.log")


def _failure(error: Exception, plural: str, group_version: str, where: str) -> ClusterError:
    """An API failure as one ClusterError line naming what was being done; others re-raised."""
    failure = translate(error, plural, group_version)
    if not isinstance(failure, ClusterError):
        raise error
    failure.args = (f"{where}: {failure}",)
    return failure
