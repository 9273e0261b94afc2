"""The optional dependencies (katib/pyproject.toml's extras) and the one line that names the
pip command when a command needs one that is not installed.

The provisioning environment (scripts/setup without --dev) installs hpo-rig without extras:
render, validate and the cluster commands need neither Optuna nor matplotlib, which are
imported only inside the commands that use them.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import shlex
import sys
from urllib.parse import unquote, urlparse

DISTRIBUTION = "hpo-rig"

# extra -> the modules whose import proves it is installed (pyproject.toml lists the same
# distributions under [project.optional-dependencies]; a test keeps the two in step).
EXTRAS: dict[str, tuple[str, ...]] = {
    "run": ("optuna",),
    "report": ("matplotlib", "optuna"),
}
# command -> the extra it needs
COMMANDS: dict[str, str] = {"run": "run", "report": "report"}


class MissingExtraError(Exception):
    """A command's optional dependencies are not installed."""

    def __init__(self, extra: str, missing: str) -> None:
        super().__init__(
            f"needs the '{extra}' extra ({missing} is not installed): {install_command(extra)}"
        )


def require_for(command: str) -> None:
    """Raise MissingExtraError when ``command`` needs an extra that is not installed."""
    if command in COMMANDS:
        require(COMMANDS[command])


def require(extra: str) -> None:
    """Raise MissingExtraError unless every module of ``extra`` imports."""
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise MissingExtraError(extra, error.name or module) from error


def install_command(extra: str) -> str:
    """The pip command that adds ``extra`` to this installation: the running interpreter's pip
    (so the right environment), and the source directory when hpo-rig was installed from one
    (PEP 610's direct_url.json, e.g. scripts/setup's ``pip install -e ./katib``)."""
    requirement = f"{DISTRIBUTION}[{extra}]"
    editable = False
    try:
        text = importlib.metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        text = None
    if text:
        try:
            direct = json.loads(text)
        except ValueError:
            direct = {}
        url = urlparse(str(direct.get("url", "")))
        if url.scheme == "file" and "dir_info" in direct:
            requirement = f"{unquote(url.path)}[{extra}]"
            editable = bool(direct["dir_info"].get("editable"))
    words = [sys.executable, "-m", "pip", "install", *(["-e"] if editable else []), requirement]
    return shlex.join(words)
