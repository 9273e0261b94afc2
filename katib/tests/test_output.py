"""kubectl's conventions in every command: -o/--output is a format, files go to --file or
--output-dir (hpo_rig/commands/_output.py)."""

import argparse
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from hpo_rig.cli import build_parser, main
from hpo_rig.trials import load_trials

ROOT = Path(__file__).parents[1]
EXAMPLES = Path(__file__).parent / "fixtures" / "examples"
TRIALS = Path(__file__).parent / "fixtures" / "trials" / "random-trials.json"
RANDOM = EXAMPLES / "v1beta1-random.yaml"
VALUES = ROOT / "examples" / "values-mnist-tpe.yaml"


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_dash_o_is_a_format_in_every_command(command: str) -> None:
    parser = _subcommands()[command]
    for action in parser._actions:
        if "-o" in action.option_strings:
            assert action.dest == "output"
            with pytest.raises(argparse.ArgumentTypeError, match="is not an output format"):
                action.type("results/trials.csv")  # type: ignore[misc,operator]


def test_an_old_path_after_dash_o_says_where_files_go(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["render", str(VALUES), "-o", str(tmp_path / "experiment.yaml")])
    assert exit_info.value.code == 2
    assert "write to a file with --file FILE" in capsys.readouterr().err
    assert not (tmp_path / "experiment.yaml").exists()


def test_report_takes_its_directory_from_output_dir_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--from", str(TRIALS), "-o", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert not (tmp_path / "out").exists()


def test_render_json_and_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(VALUES)]) == 0
    rendered = yaml.safe_load(capsys.readouterr().out)
    assert main(["render", str(VALUES), "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == rendered
    target = tmp_path / "experiment.json"
    assert main(["render", str(VALUES), "-o", "json", "--file", str(target)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"wrote 1 experiment(s) to {target}" in captured.err
    assert json.loads(target.read_text()) == rendered


def test_render_json_of_several_is_a_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = yaml.safe_load(VALUES.read_text())
    values.pop("name")
    values["experiments"] = [{"name": "one"}, {"name": "two"}]
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    assert main(["render", str(path), "-o", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert (listing["apiVersion"], listing["kind"]) == ("v1", "List")
    assert [item["metadata"]["name"] for item in listing["items"]] == ["one", "two"]


def _trials_with(value: str, tmp_path: Path) -> Path:
    """The trials fixture with one parameter value that CSV must quote."""
    document = json.loads(TRIALS.read_text())
    document["items"][0]["spec"]["parameterAssignments"][2]["value"] = value
    path = tmp_path / "trials.json"
    path.write_text(json.dumps(document))
    return path


def test_export_csv_quotes_and_has_one_row_per_trial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    awkward = 'sgd, "nesterov"\nmomentum'
    path = _trials_with(awkward, tmp_path)
    assert main(["export", "--from", str(path), "-o", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    trials = load_trials(path)
    assert [(row["name"], row["status"]) for row in rows] == [(t.name, t.state) for t in trials]
    assert rows[0]["optimizer"] == awkward


@pytest.mark.parametrize(
    ("flags", "reader"),
    [
        (["-o", "yaml"], yaml.safe_load),
        (["--file", "trials.yml"], yaml.safe_load),
        (["--file", "trials.json"], json.loads),
    ],
    ids=["-o yaml", "--file .yml", "--file .json"],
)
def test_export_yaml_and_the_files_suffix(
    flags: list[str], reader: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [f if not f.startswith("trials.") else str(tmp_path / f) for f in flags]
    assert main(["export", "--from", str(TRIALS), *args]) == 0
    text = Path(args[-1]).read_text() if "--file" in args else capsys.readouterr().out
    exported = reader(text)
    assert exported["kind"] == "List"
    assert exported["items"] == json.loads(TRIALS.read_text())["items"]


def test_export_yaml_to_a_csv_named_file_follows_dash_o(tmp_path: Path) -> None:
    target = tmp_path / "trials.csv"
    assert main(["export", "--from", str(TRIALS), "-o", "yaml", "--file", str(target)]) == 0
    assert yaml.safe_load(target.read_text())["kind"] == "List"


def test_best_yaml_matches_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["best", "--from", str(TRIALS), "--experiment", str(RANDOM), "-o", "json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert main(["best", "--from", str(TRIALS), "--experiment", str(RANDOM), "-o", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == as_json
    assert as_json["trial"]


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_watch_once_prints_the_trials(output: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "--from", str(TRIALS), "--once", "-o", output]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["kind"] == "List"
    assert printed["items"] == json.loads(TRIALS.read_text())["items"]


def test_watch_output_needs_once(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["watch", "--from", str(TRIALS), "-o", "json"])
    assert exit_info.value.code == 2
    assert "-o json needs --once" in capsys.readouterr().err


def test_metrics_yaml(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "train.log"
    log.write_text("epoch 1 loss=0.5\nepoch 2 loss=0.25\n")
    assert main(["metrics", "--metric", "loss", "--log", str(log), "-o", "yaml"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    (observed,) = printed["observation"]["metrics"]
    assert (observed["name"], observed["min"], observed["latest"]) == ("loss", "0.25", "0.25")


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_commands_help_lists_its_exit_codes(command: str) -> None:
    epilog = _subcommands()[command].epilog or ""
    assert "exit codes:" in epilog or "exit status:" in epilog
    assert "2 " in epilog
