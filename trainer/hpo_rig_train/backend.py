"""Which Keras 3 backend a trial runs on, and whether its framework is installed.

Keras 3 reads the backend from ``KERAS_BACKEND`` when ``keras`` is first imported (keras.io,
"Configuring your backend": tensorflow, jax, torch); ``--backend`` sets that variable, so
it must be resolved before anything imports Keras. Keras 2 (the seed image's TensorFlow 2.11
ships Keras 2.11) runs on TensorFlow only.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Mapping

BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT_BACKEND = "tensorflow"
# The pip extra of hpo-rig-trainer that installs each backend (trainer/pyproject.toml).
EXTRAS: dict[str, str] = {
    "tensorflow": "tf-cpu (CPU) or tf-gpu (NVIDIA GPU)",
    "jax": "jax",
    "torch": "torch",
}


class BackendError(RuntimeError):
    """The backend is unknown or its framework is not installed (a usage error, exit 2)."""


def resolve(flag: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The backend: ``--backend``, else ``KERAS_BACKEND``, else TensorFlow."""
    env = os.environ if environ is None else environ
    name = flag or env.get("KERAS_BACKEND") or DEFAULT_BACKEND
    if name not in BACKENDS:
        raise BackendError(
            f"KERAS_BACKEND={name!r} is not supported; choose from {', '.join(BACKENDS)}"
        )
    return name


def missing_modules(backend: str) -> list[str]:
    """Modules the backend needs that cannot be imported (found without importing them)."""
    return [name for name in ("keras", backend) if not _importable(name)]


def _importable(name: str) -> bool:
    if name in sys.modules:
        return sys.modules[name] is not None  # None: an import blocked on purpose
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def keras_version() -> str | None:
    """The installed Keras distribution's version, read without importing Keras."""
    try:
        return importlib.metadata.version("keras")
    except importlib.metadata.PackageNotFoundError:
        return None


def require(backend: str) -> None:
    """Raise BackendError naming the extra to install when the framework is missing, or the
    image to use when this Keras cannot run the backend."""
    version = keras_version()
    if backend != "tensorflow" and version is not None and int(version.split(".")[0]) < 3:
        raise BackendError(
            f"the {backend} backend needs Keras 3, but this is Keras {version} (the seed image: "
            "TensorFlow 2.11, TensorFlow backend only); use the default trainer image for "
            f"{backend}, or --backend tensorflow"
        )
    missing = missing_modules(backend)
    if missing:
        raise BackendError(
            f"the {backend} backend needs {' and '.join(missing)}, not installed: install the "
            f"trainer with its extra {EXTRAS[backend]}, e.g. "
            f"pip install './trainer[{EXTRAS[backend].split()[0]}]'"
        )


def activate(backend: str) -> None:
    """Select the backend for the coming ``import keras``."""
    os.environ["KERAS_BACKEND"] = backend
