"""A bad input file is one line naming it and exit status 2, in every command that reads one."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hpo_rig.cli import main
from hpo_rig.yamlio import MAX_INPUT_BYTES, InputFileError, load_all, read_input

# An Experiment whose `objective:` block has one key indented wrongly (line 6, column 4).
MALFORMED = """\
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: broken
spec:
  objective:
   type: maximize
    objectiveMetricName: accuracy
"""

TRIALS = {"apiVersion": "v1", "kind": "List", "items": []}


def commands(bad: Path, good_trials: Path) -> list[list[str]]:
    """Every command and option that reads a file the user names, fed ``bad``."""
    return [
        ["run", str(bad), "--runner", "process", "--plain"],
        ["best", "--from", str(bad)],
        ["report", "--from", str(bad), "--output-dir", str(bad.parent / "out")],
        ["best", "--from", str(good_trials), "--experiment", str(bad)],
        ["watch", "--from", str(good_trials), "--experiment", str(bad)],
    ]


@pytest.fixture
def good_trials(tmp_path: Path) -> Path:
    path = tmp_path / "trials.json"
    path.write_text(json.dumps(TRIALS))
    return path


def _check(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    if argv[0] == "watch":
        # watch binds sys.stdout at import (a default argument), which capsys replaces.
        done = subprocess.run(
            [sys.executable, "-m", "hpo_rig.cli", *argv], capture_output=True, text=True
        )
        code, err = done.returncode, done.stderr
    else:
        code = main(argv)
        err = capsys.readouterr().err
    assert code == 2, (argv, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, (argv, err)
    assert expected in lines[0], (argv, err)
    assert "Traceback" not in err


def test_malformed_yaml_names_file_line_and_column(
    tmp_path: Path, good_trials: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text(MALFORMED)
    for argv in commands(bad, good_trials):
        _check(argv, f"{bad}:8:24: not valid YAML: mapping values are not allowed here", capsys)


def test_non_utf8_file_is_named(
    tmp_path: Path, good_trials: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(MALFORMED.replace("broken", "br\xf6ken").encode("latin-1"))
    for argv in commands(bad, good_trials):
        _check(argv, f"{bad}: not UTF-8 text (byte 0xf6 on line 4)", capsys)


def test_unreadable_file_is_named(
    tmp_path: Path, good_trials: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for bad, reason in ((tmp_path / "missing.yaml", "No such file or directory"),
                        (tmp_path, "Is a directory")):  # fmt: skip
        for argv in commands(bad, good_trials):
            _check(argv, f"{bad}: cannot read: {reason}", capsys)


def test_oversized_file_is_refused_before_parsing(
    tmp_path: Path, good_trials: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "huge.yaml"
    with bad.open("wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)  # sparse: nothing is written
    for argv in commands(bad, good_trials):
        _check(argv, f"{bad}: {MAX_INPUT_BYTES + 1} bytes is more than an input file may", capsys)


def test_a_stream_larger_than_its_stat_is_refused_too(tmp_path: Path) -> None:
    # /proc files and pipes report size 0: the read itself is capped.
    with pytest.raises(InputFileError, match="bytes is more than"):
        read_input("/dev/zero", limit=1024)


def test_good_yaml_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("a: 1\n---\nb: 2\n")
    assert load_all(path) == [{"a": 1}, {"b": 2}]
