"""The Kubernetes boundary: Katib custom objects through the official Python client.

Commands reach the cluster only through ``connect``, so tests replace that one function with
a fake CustomObjectsApi. Every failure of the API (refusals, 404s, unreachable server,
timeouts) leaves this module as a ``ClusterError`` carrying its exit code.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from hpo_rig.apierrors import ClusterError, NotFoundError, translate
from hpo_rig.trials import KATIB_GROUP

__all__ = ["ClusterError", "NotFoundError", "connect"]
# Seconds one API request may take (kubectl's --request-timeout; kubectl waits forever by
# default, a CLI that ends with a clear line is more useful).
DEFAULT_REQUEST_TIMEOUT = 30.0

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


def connect(
    kubeconfig: str | None = None,
    context: str | None = None,
    request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
) -> CustomObjectsApi:
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
