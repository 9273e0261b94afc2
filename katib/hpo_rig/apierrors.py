"""Kubernetes API failures as one-line errors with an exit code, never a traceback.

The wording follows kubectl's (k8s.io/kubectl/pkg/cmd/util/helpers.go, StandardErrorMessage):
``Error from server (Reason): message`` for an API answer, ``The connection to the server
HOST was refused - did you specify the right host or port?`` for a refused connection and
``Unable to connect to the server: ...`` for the rest, so that users recognise them.
"""

from __future__ import annotations

import json
from typing import Any

from hpo_rig import exitcodes

# Answers refusing the request's content (a webhook's denial, a conflict, an invalid
# object): the input's problem, like validate's findings, rather than the cluster's.
REJECTED = (400, 409, 422)


class ClusterError(OSError):
    """The cluster refused or could not be reached."""

    exit_code = exitcodes.CLUSTER
    status: int | None = None


class NotFoundError(ClusterError):
    """A 404: the object, or the resource type itself (no CRD: Katib not installed)."""

    exit_code = exitcodes.NOT_FOUND
    status = 404

    def __init__(self, message: str, *, missing_type: bool) -> None:
        super().__init__(message)
        self.missing_type = missing_type


def translate(error: Exception, plural: str, group_version: str, host: str = "") -> Exception:
    """The ClusterError for a kubernetes client failure; other errors are returned as-is."""
    if isinstance(error, ClusterError):
        return error
    status = getattr(error, "status", None)
    if isinstance(status, int) and status != 0:
        return _from_answer(error, status, plural, group_version)
    if _is_transport(error):
        return _unreachable(error, host)
    return error


def _from_answer(error: Exception, status: int, plural: str, group_version: str) -> ClusterError:
    document = _status_document(getattr(error, "body", None))
    message = str(document.get("message") or "").strip()
    reason = str(document.get("reason") or getattr(error, "reason", "") or status)
    if status == 404:
        # A missing object's Status names it in details.name; the API server's answer for a
        # path it does not serve (no such CRD) has no details, or is not a Status at all.
        if (document.get("details") or {}).get("name"):
            return NotFoundError(f"Error from server (NotFound): {message}", missing_type=False)
        return NotFoundError(
            f'the server doesn\'t have a resource type "{plural}" in {group_version}: '
            "is Katib installed?",
            missing_type=True,
        )
    text = message or _plain(getattr(error, "body", None)) or str(getattr(error, "reason", ""))
    failure = ClusterError(f"Error from server ({reason}): {text}".rstrip(": "))
    failure.status = status
    if status in REJECTED:
        failure.exit_code = exitcodes.FAILED
    return failure


def _unreachable(error: Exception, host: str) -> ClusterError:
    text = _innermost(error)
    if "refused" in text.lower():
        where = host or "the Kubernetes API"
        return ClusterError(
            f"The connection to the server {where} was refused - "
            "did you specify the right host or port?"
        )
    return ClusterError(f"Unable to connect to the server {host}: {text}".replace("  ", " "))


def _is_transport(error: Exception) -> bool:
    if isinstance(error, OSError | TimeoutError):
        return True
    try:
        from urllib3.exceptions import HTTPError
    except ImportError:  # pragma: no cover - urllib3 comes with the kubernetes client
        return False
    return isinstance(error, HTTPError)


def _innermost(error: Exception) -> str:
    # urllib3's MaxRetryError wraps the cause (a NewConnectionError, a ReadTimeoutError).
    cause: Exception = error
    while isinstance(inner := getattr(cause, "reason", None), Exception):
        cause = inner
    text = str(cause)
    if "timed out" in text.lower() or "timeout" in type(cause).__name__.lower():
        return f"request timed out ({text})"
    return text


def _status_document(body: object) -> dict[str, Any]:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str):
        return {}
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    return document if isinstance(document, dict) and document.get("kind") == "Status" else {}


def _plain(body: object) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or body.lstrip().startswith("{"):
        return ""
    return " ".join(body.split())[:500]
