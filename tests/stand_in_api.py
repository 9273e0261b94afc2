"""The stand-in Kubernetes API (fakek8s.apiserver) served from a thread, for the tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fakek8s import apiserver


@contextmanager
def serving(db: Path, tls: tuple[Path, Path] | None = None) -> Iterator[int]:
    """Serve the stand-in API (kube-apiserver 1.32's answers) on a free port of 127.0.0.1,
    with its objects in ``db``, over TLS with ``(certificate, key)`` if given; yields the port.
    """
    stop = threading.Event()
    listening = threading.Event()
    port: list[int] = []

    def on_listen(value: int) -> None:
        port.append(value)
        listening.set()

    thread = threading.Thread(
        target=apiserver.serve,
        args=("v1.32.3", stop, "127.0.0.1", 0, db, on_listen),
        kwargs={"tls": tls} if tls else {},
        daemon=True,
    )
    thread.start()
    assert listening.wait(10), "the stand-in API did not start"
    try:
        yield port[0]
    finally:
        stop.set()
        thread.join(10)
