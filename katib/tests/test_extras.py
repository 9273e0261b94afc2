"""Optuna and matplotlib are extras: every other command works without them, and `run` and
`report` end in one line naming the pip command (hpo_rig/extras.py)."""

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from hpo_rig import exitcodes, extras

KATIB = Path(__file__).parents[1]
EXAMPLE = Path(__file__).parent / "fixtures" / "examples" / "v1beta1-random.yaml"
TRIALS = Path(__file__).parent / "fixtures" / "trials" / "random-trials.json"
VALUES = KATIB / "examples" / "values-mnist-tpe.yaml"
EXTRA_MODULES = ("optuna", "matplotlib")

# Imported by Python at start-up from PYTHONPATH: makes the extras' packages unimportable, as
# in an environment that installed hpo-rig without extras.
BLOCKER = f"""\
import sys

class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {EXTRA_MODULES!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _Blocker())
"""


def _hpo_rig(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI with the extras blocked (the ``without_extras`` directory as cwd)."""
    paths = [str(cwd / "site"), str(KATIB)]
    return subprocess.run(
        [sys.executable, "-m", "hpo_rig.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=os.environ | {"PYTHONPATH": os.pathsep.join(paths)},
        check=False,
    )


@pytest.fixture
def without_extras(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER)
    return tmp_path


def test_the_blocker_blocks(without_extras: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import optuna"],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(without_extras / "site")},
        check=False,
    )
    assert done.returncode != 0
    assert "No module named 'optuna'" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["run", "--help"],
        ["report", "--help"],
        ["validate", str(EXAMPLE)],
        ["render", str(VALUES)],
        ["export", "--from", str(TRIALS), "-o", "csv"],
        ["best", "--from", str(TRIALS), "--experiment", str(EXAMPLE)],
    ],
    ids=lambda args: " ".join(a for a in args if "/" not in a),
)
def test_the_commands_work_without_the_extras(args: list[str], without_extras: Path) -> None:
    done = _hpo_rig(args, without_extras)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (["run", str(EXAMPLE), "--runner", "process"], "run"),
        (["report", "--from", str(TRIALS), "--output-dir", "out"], "report"),
    ],
    ids=["run", "report"],
)
def test_a_command_without_its_extra_names_the_pip_command(
    args: list[str], extra: str, without_extras: Path
) -> None:
    done = _hpo_rig(args, without_extras)
    assert done.returncode == exitcodes.MISSING_EXTRA
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"hpo-rig {args[0]}: error: needs the '{extra}' extra (")
    assert " -m pip install " in lines[0]
    assert f"[{extra}]" in lines[0]
    assert not (without_extras / "out").exists()


def test_help_does_not_import_optuna_or_matplotlib(tmp_path: Path) -> None:
    probe = (
        "import json, sys\n"
        "from hpo_rig.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted({m.partition('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(KATIB)},
        check=True,
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert loaded.isdisjoint({"optuna", "matplotlib", "numpy", "scipy"})


def test_pyproject_extras_hold_what_the_commands_import() -> None:
    project = tomllib.loads((KATIB / "pyproject.toml").read_text())["project"]
    base = {_name(requirement) for requirement in project["dependencies"]}
    assert base.isdisjoint(EXTRA_MODULES)
    optional = project["optional-dependencies"]
    for command, extra in extras.COMMANDS.items():
        names = {_name(requirement) for requirement in optional[extra]}
        assert set(extras.EXTRAS[extra]) <= names, (command, extra)


def _name(requirement: str) -> str:
    return requirement.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip()


def test_the_pip_command_installs_from_the_source_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    direct = {"url": "file:///opt/hpo%20rig/katib", "dir_info": {"editable": True}}
    fake = SimpleNamespace(read_text=lambda name: json.dumps(direct))
    monkeypatch.setattr(extras.importlib.metadata, "distribution", lambda name: fake)
    assert extras.install_command("run") == (
        f"{sys.executable} -m pip install -e '/opt/hpo rig/katib[run]'"
    )


def test_the_pip_command_names_the_package_when_installed_from_an_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = SimpleNamespace(read_text=lambda name: None)
    monkeypatch.setattr(extras.importlib.metadata, "distribution", lambda name: fake)
    assert extras.install_command("report") == f"{sys.executable} -m pip install 'hpo-rig[report]'"
