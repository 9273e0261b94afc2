"""The Kubernetes boundary: Katib custom objects through the official Python client.

Commands reach the cluster only through ``connect``, so tests replace that one function with
a fake CustomObjectsApi. Every failure of the API (refusals, 404s, unreachable server,
timeouts) leaves this module as a ``ClusterError`` carrying its exit code.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Protocol, cast

from hpo_rig.apierrors import ClusterError, NotFoundError, translate
from hpo_rig.trials import KATIB_GROUP

__all__ = ["ClusterError", "NotFoundError", "connect"]
# Seconds one API request may take (kubectl's --request-timeout; kubectl waits forever by
# default, a CLI that ends with a clear line is more useful).
DEFAULT_REQUEST_TIMEOUT = 30.0

EXPERIMENTS = "experiments"
FINISHED_CONDITIONS = ("Succeeded", "Failed")
# client-go's defaults (k8s.io/client-go tools/clientcmd/client_config.go, loader.go):
# the namespace of a context that names none, and where a pod finds its own.
DEFAULT_NAMESPACE = "default"
SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


class CustomObjectsApi(Protocol):
    """The subset of kubernetes.client.CustomObjectsApi hpo-rig uses."""

    def get_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str, **kwargs: Any
    ) -> Any: ...

    def list_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, **kwargs: Any
    ) -> Any: ...

    def create_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, body: Any, **kwargs: Any
    ) -> Any: ...

    def delete_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str, **kwargs: Any
    ) -> Any: ...


def connect(
    kubeconfig: str | None = None,
    context: str | None = None,
    request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
) -> CustomObjectsApi:
    """A CustomObjectsApi from the kubeconfig (or ``$KUBECONFIG``), else the in-cluster config."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    try:
        config.load_kube_config(config_file=kubeconfig_path(kubeconfig), context=context)
    except (ConfigException, OSError) as kube_error:
        try:
            config.load_incluster_config()
        except ConfigException:
            raise ClusterError(f"no usable kubeconfig: {kube_error}") from kube_error
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        # urllib3 logs a WARNING per retry; the one-line error says what failed (-v shows it).
        logging.getLogger("urllib3").setLevel(logging.ERROR)
    configuration = client.Configuration.get_default_copy()
    # urllib3 would try each request 4 times (Retry.DEFAULT): a hung server would cost four
    # request timeouts. One retry covers a dropped connection; kubectl does not retry.
    configuration.retries = 1
    host = str(configuration.host or "")
    api = client.CustomObjectsApi(client.ApiClient(configuration))
    return CheckedApi(api, request_timeout, host.split("://")[-1])


def kubeconfig_path(kubeconfig: str | None) -> str:
    """``--kubeconfig``, else ``$KUBECONFIG`` (read now: the client reads it once, at import),
    else ``~/.kube/config``; a ``$KUBECONFIG`` list of files is merged by the client."""
    return kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"


def default_namespace(kubeconfig: str | None = None, context: str | None = None) -> str:
    """The namespace kubectl uses without ``-n``: the kubeconfig context's (``--context``, else
    the current context), ``default`` when it names none. Without a usable kubeconfig, in a pod,
    the pod's own (``$POD_NAMESPACE``, else the service account's namespace file), as client-go's
    DirectClientConfig.Namespace and inClusterClientConfig.Namespace do
    (k8s.io/client-go tools/clientcmd/client_config.go)."""
    import yaml
    from kubernetes.config import kube_config
    from kubernetes.config.config_exception import ConfigException

    try:
        contexts, current = kube_config.list_kube_config_contexts(kubeconfig_path(kubeconfig))
    except (ConfigException, OSError, yaml.YAMLError):
        return _in_cluster_namespace()
    name = context or (current or {}).get("name")
    for item in contexts or []:
        if item.get("name") == name:
            return str((item.get("context") or {}).get("namespace") or DEFAULT_NAMESPACE)
    # An unknown --context: connect() fails with the kubeconfig's own message.
    return DEFAULT_NAMESPACE


def _in_cluster_namespace() -> str:
    if not os.environ.get("KUBERNETES_SERVICE_HOST"):
        return DEFAULT_NAMESPACE  # not in a pod: client-go's default
    if namespace := os.environ.get("POD_NAMESPACE"):
        return namespace
    try:
        return SERVICE_ACCOUNT_NAMESPACE.read_text().strip() or DEFAULT_NAMESPACE
    except OSError:
        return DEFAULT_NAMESPACE


class CheckedApi:
    """The client with a timeout on every request and its failures as ClusterErrors."""

    def __init__(self, api: Any, request_timeout: float | None, host: str) -> None:
        self._api = api
        self._timeout = request_timeout or None  # 0 means no timeout, as in kubectl
        self._host = host

    def _call(self, method: str, version: str, plural: str, *args: Any, **kwargs: Any) -> Any:
        if self._timeout is not None:
            kwargs.setdefault("_request_timeout", self._timeout)
        try:
            return getattr(self._api, method)(KATIB_GROUP, version, *args, **kwargs)
        except Exception as error:
            failure = translate(error, plural, f"{KATIB_GROUP}/{version}", self._host)
            if failure is error:
                raise
            raise failure from error

    def get_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str, **kwargs: Any
    ) -> Any:
        return self._call(
            "get_namespaced_custom_object", version, plural, namespace, plural, name, **kwargs
        )

    def list_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, **kwargs: Any
    ) -> Any:
        return self._call(
            "list_namespaced_custom_object", version, plural, namespace, plural, **kwargs
        )

    def create_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, body: Any, **kwargs: Any
    ) -> Any:
        return self._call(
            "create_namespaced_custom_object", version, plural, namespace, plural, body, **kwargs
        )

    def delete_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str, **kwargs: Any
    ) -> Any:
        return self._call(
            "delete_namespaced_custom_object", version, plural, namespace, plural, name, **kwargs
        )


def version_of(api_version: str) -> str:
    """``kubeflow.org/v1beta1`` -> ``v1beta1``."""
    return api_version.rsplit("/", 1)[-1]


def get_experiment(
    api: CustomObjectsApi, namespace: str, name: str, version: str = "v1beta1"
) -> dict[str, Any] | None:
    """The Experiment object, or None when there is none of that name."""
    try:
        document = api.get_namespaced_custom_object(
            KATIB_GROUP, version, namespace, EXPERIMENTS, name
        )
    except Exception as error:
        failure = _failure(error, version)
        if isinstance(failure, NotFoundError) and not failure.missing_type:
            return None
        raise failure from error
    return dict(document)


def experiment_finished(document: dict[str, Any]) -> bool:
    """Whether Katib marked the Experiment Succeeded or Failed."""
    conditions = (document.get("status") or {}).get("conditions") or []
    return any(
        c.get("type") in FINISHED_CONDITIONS and str(c.get("status")) == "True" for c in conditions
    )


def experiment_outcome(document: dict[str, Any]) -> tuple[str, str] | None:
    """``(Succeeded|Failed, message)`` once Katib marked the Experiment so, else None."""
    conditions = (document.get("status") or {}).get("conditions") or []
    for condition in reversed(conditions):
        if condition.get("type") in FINISHED_CONDITIONS and str(condition.get("status")) == "True":
            return str(condition["type"]), str(condition.get("message") or "")
    return None


def create_experiment(api: CustomObjectsApi, document: dict[str, Any]) -> dict[str, Any]:
    metadata = document.get("metadata") or {}
    namespace = str(metadata.get("namespace") or "default")
    try:
        created = api.create_namespaced_custom_object(
            KATIB_GROUP, version_of(str(document["apiVersion"])), namespace, EXPERIMENTS, document
        )
    except Exception as error:
        failure = _failure(error, version_of(str(document["apiVersion"])))
        if isinstance(failure, NotFoundError) and failure.missing_type:
            raise failure from error
        # The webhook's refusal text (e.g. Katib's validation message) is in the body.
        failure.args = (f"creating experiment {namespace}/{metadata.get('name')}: {failure}",)
        raise failure from error
    return dict(created)


def delete_experiment(api: CustomObjectsApi, namespace: str, name: str, version: str) -> None:
    try:
        api.delete_namespaced_custom_object(
            KATIB_GROUP, version, namespace, EXPERIMENTS, name, propagation_policy="Foreground"
        )
    except Exception as error:
        failure = _failure(error, version)
        if isinstance(failure, NotFoundError) and not failure.missing_type:
            return
        raise failure from error


def _failure(error: Exception, version: str) -> Exception:
    """``error`` as a ClusterError (already one when it came through CheckedApi)."""
    failure = translate(error, EXPERIMENTS, f"{KATIB_GROUP}/{version}")
    if not isinstance(failure, ClusterError):
        raise error
    return failure


# --- kubectl-style commands (list, delete, logs, budget) -------------------------------------


class ExperimentAdminApi(CustomObjectsApi, Protocol):
    """What `hpo-rig list` and `hpo-rig budget` need beyond CustomObjectsApi."""

    def list_cluster_custom_object(
        self, group: str, version: str, plural: str, **kwargs: Any
    ) -> Any: ...

    def patch_namespaced_custom_object(
        self,
        group: str,
        version: str,
        namespace: str,
        plural: str,
        name: str,
        body: Any,
        **kwargs: Any,
    ) -> Any: ...


class CoreV1Api(Protocol):
    """The subset of kubernetes.client.CoreV1Api `hpo-rig logs` uses."""

    def list_namespaced_pod(self, namespace: str, **kwargs: Any) -> Any: ...

    def read_namespaced_pod_log(self, name: str, namespace: str, **kwargs: Any) -> Any: ...


def connect_admin(kubeconfig: str | None = None, context: str | None = None) -> ExperimentAdminApi:
    """``connect``'s CustomObjectsApi, typed with the list-all and patch calls."""
    return cast(ExperimentAdminApi, connect(kubeconfig, context))


def connect_core(kubeconfig: str | None = None, context: str | None = None) -> CoreV1Api:
    """A CoreV1Api (pods and their logs) from the same configuration as ``connect``."""
    from kubernetes import client

    connect(kubeconfig, context)  # loads the kubeconfig or the in-cluster config
    return cast(CoreV1Api, client.CoreV1Api())


def list_experiments(
    api: ExperimentAdminApi, namespace: str | None, version: str = "v1beta1"
) -> list[dict[str, Any]]:
    """The Experiments of ``namespace``, or of every namespace when it is None (``-A``)."""
    try:
        if namespace is None:
            listing = api.list_cluster_custom_object(KATIB_GROUP, version, EXPERIMENTS)
        else:
            listing = api.list_namespaced_custom_object(
                KATIB_GROUP, version, namespace, EXPERIMENTS
            )
    except Exception as error:
        failure = _failure(error, version)
        where = "all namespaces" if namespace is None else f"namespace {namespace}"
        failure.args = (f"listing experiments in {where}: {failure}",)
        raise failure from error
    return [dict(item) for item in (listing or {}).get("items") or []]


def patch_experiment(
    api: ExperimentAdminApi, namespace: str, name: str, version: str, patch: dict[str, Any]
) -> dict[str, Any]:
    """A JSON merge patch (the client's default content type for custom objects)."""
    try:
        patched = api.patch_namespaced_custom_object(
            KATIB_GROUP, version, namespace, EXPERIMENTS, name, patch
        )
    except Exception as error:
        failure = _failure(error, version)
        failure.args = (f"updating experiment {namespace}/{name}: {failure}",)
        raise failure from error
    return dict(patched)
