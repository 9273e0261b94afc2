"""A minimal HTTP client for the stand-in API (used by the stand-in tools)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from . import paths


class ClientError(Exception):
    def __init__(self, code: int, body: Any) -> None:
        message = body.get("message") if isinstance(body, dict) else str(body)
        super().__init__(message)
        self.code = code
        self.body = body


def local_server() -> str:
    return f"http://127.0.0.1:{paths.API_PORT}"


def request(
    method: str,
    path: str,
    body: Any = None,
    server: str | None = None,
    content_type: str = "application/json",
    timeout: float = 10.0,
) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        (server or local_server()) + path,
        data=data,
        method=method,
        headers={"Content-Type": content_type, "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError:
            parsed = raw.decode(errors="replace")
        raise ClientError(error.code, parsed) from error
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw.decode(errors="replace")


def healthy(server: str | None = None) -> bool:
    try:
        return request("GET", "/healthz", server=server, timeout=2.0) == "ok"
    except (OSError, ClientError):
        return False


def upsert(path: str, name: str, obj: dict[str, Any], server: str | None = None) -> Any:
    """Create the object, or merge it into the existing one."""
    try:
        return request("POST", path, obj, server=server)
    except ClientError as error:
        if error.code != 409:
            raise
    return request(
        "PATCH", f"{path}/{name}", obj, server=server, content_type="application/merge-patch+json"
    )
