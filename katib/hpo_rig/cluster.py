"""The Kubernetes boundary: Katib custom objects through the official Python client.

Commands reach the cluster only through ``connect``, so tests replace that one function with
a fake CustomObjectsApi.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from hpo_rig.trials import KATIB_GROUP

EXPERIMENTS = "experiments"
FINISHED_CONDITIONS = ("Succeeded", "Failed")


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


class ClusterError(OSError):
    """The cluster refused or could not be reached."""


def connect(kubeconfig: str | None = None, context: str | None = None) -> CustomObjectsApi:
    """A CustomObjectsApi from the kubeconfig (or ``$KUBECONFIG``), else the in-cluster config."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    try:
        config.load_kube_config(config_file=kubeconfig, context=context)
    except (ConfigException, OSError) as kube_error:
        try:
            config.load_incluster_config()
        except ConfigException:
            raise ClusterError(f"no usable kubeconfig: {kube_error}") from kube_error
    # The client's own signatures are stricter than the subset hpo-rig relies on.
    return cast(CustomObjectsApi, client.CustomObjectsApi())


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
        if _status(error) == 404:
            return None
        raise ClusterError(f"reading experiment {namespace}/{name}: {_reason(error)}") from error
    return dict(document)


def experiment_finished(document: dict[str, Any]) -> bool:
    """Whether Katib marked the Experiment Succeeded or Failed."""
    conditions = (document.get("status") or {}).get("conditions") or []
    return any(
        c.get("type") in FINISHED_CONDITIONS and str(c.get("status")) == "True" for c in conditions
    )


def create_experiment(api: CustomObjectsApi, document: dict[str, Any]) -> dict[str, Any]:
    metadata = document.get("metadata") or {}
    namespace = str(metadata.get("namespace") or "default")
    try:
        created = api.create_namespaced_custom_object(
            KATIB_GROUP, version_of(str(document["apiVersion"])), namespace, EXPERIMENTS, document
        )
    except Exception as error:
        if _status(error) is None:
            raise
        raise ClusterError(
            f"creating experiment {namespace}/{metadata.get('name')}: {_reason(error)}"
        ) from error
    return dict(created)


def delete_experiment(api: CustomObjectsApi, namespace: str, name: str, version: str) -> None:
    try:
        api.delete_namespaced_custom_object(
            KATIB_GROUP, version, namespace, EXPERIMENTS, name, propagation_policy="Foreground"
        )
    except Exception as error:
        if _status(error) == 404:
            return
        if _status(error) is None:
            raise
        raise ClusterError(f"deleting experiment {namespace}/{name}: {_reason(error)}") from error


def _status(error: Exception) -> int | None:
    """The HTTP status of a kubernetes ApiException (None for any other error)."""
    status = getattr(error, "status", None)
    return status if isinstance(status, int) else None


def _reason(error: Exception) -> str:
    body = getattr(error, "body", None)
    reason = getattr(error, "reason", None)
    # The webhook's refusal text (e.g. Katib's validation message) is in the body.
    return str(body or reason or error)


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
        if _status(error) is None:
            raise
        where = "all namespaces" if namespace is None else f"namespace {namespace}"
        raise ClusterError(f"listing experiments in {where}: {_reason(error)}") from error
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
        if _status(error) is None:
            raise
        raise ClusterError(f"updating experiment {namespace}/{name}: {_reason(error)}") from error
    return dict(patched)
