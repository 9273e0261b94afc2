"""hpo-rig metrics: Katib v0.19.0's file-metricscollector parsing, on log fixtures."""

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from hpo_rig import observation_log as olog
from hpo_rig.cli import main
from hpo_rig.metrics import compile_filters, go_find_all, parse_line

LOGS = Path(__file__).parent / "fixtures" / "metrics"
ZERO = "0001-01-01T00:00:00Z"
KATIB_FILTER = r"{metricName: ([\w|-]+), metricValue: ((-?\d+)(\.\d+)?)}"


def records(
    path: Path, metrics: list[str], filters: tuple[str, ...] = ()
) -> list[tuple[str, str, str]]:
    lines = olog.split_lines(path.read_text())
    if path.suffix == ".json":
        logs = olog.collect_json(lines, metrics)
    else:
        logs = olog.collect_text(lines, metrics, filters)
    return [(log.timestamp, log.name, log.value) for log in logs]


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["metrics", *args, "-o", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_katib_good_json() -> None:
    # Katib's expected records: a number timestamp's fraction digits read as nanoseconds.
    assert records(LOGS / "katib-good.json", ["acc", "loss"]) == [
        ("2021-12-02T05:27:27.000028721Z", "loss", "0.22082142531871796"),
        ("2021-12-02T05:27:27.000287801Z", "acc", "0.9349666833877563"),
        ("2021-12-02T14:27:50.000035161Z", "loss", "0.1414974331855774"),
        ("2021-12-02T14:27:50.000037459Z", "acc", "0.9586416482925415"),
        (ZERO, "loss", "0.10683439671993256"),
    ]


def test_katib_good_text_with_its_filter() -> None:
    stamp = "2024-03-04T17:55:08Z"
    assert records(LOGS / "katib-good.log", ["accuracy", "loss"], (KATIB_FILTER,)) == [
        (stamp, "accuracy", "0.8078"),
        (stamp, "loss", "0.5183"),
        (stamp, "accuracy", "0.6752"),
        (stamp, "loss", "0.3634"),
        (stamp, "accuracy", "100"),
        (stamp, "accuracy", "888.333"),
        (stamp, "accuracy", "-0.4759"),
        (ZERO, "loss", "0.8671"),
    ]


def test_katib_invalid_values_make_the_objective_unavailable() -> None:
    path = LOGS / "katib-invalid-value.log"
    assert records(path, ["accuracy", "loss"], (KATIB_FILTER,)) == [
        (ZERO, "accuracy", "unavailable")
    ]


def test_katib_missing_objective_drops_the_other_metrics(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Only loss is in the log, accuracy (the objective) is not: Katib keeps one unavailable.
    code, _ = run_json(
        [
            "--metric",
            "loss",
            "--metric",
            "acc",
            "--format",
            "JSON",
            "--log",
            str(LOGS / "katib-good.json"),
        ],
        capsys,
    )
    assert code == 0
    code = main(
        [
            "metrics",
            "--metric",
            "accuracy",
            "--metric",
            "loss",
            "--filter",
            KATIB_FILTER,
            "--log",
            str(LOGS / "katib-invalid-value.log"),
        ]
    )
    assert code == 3
    assert "MetricsUnavailable" in capsys.readouterr().err


def test_default_filter_edge_cases() -> None:
    assert records(LOGS / "default-filter.log", ["accuracy", "loss"]) == [
        ("2024-05-01T10:00:00.5+02:00", "accuracy", "0.5"),
        ("2024-05-01T10:00:00.5+02:00", "loss", "1.25"),  # spaces around "=" are allowed
        # Validation-accuracy=0.99 is skipped: the name must equal a metric, not contain it.
        (ZERO, "accuracy", ""),  # accuracy=nan: the value group matches empty, Katib keeps ""
        (ZERO, "accuracy", ".75"),
        (ZERO, "accuracy", "1E+1"),
        (ZERO, "accuracy", "5"),  # "5." stops before the dot
        # "lr|x=3" is a name the filter reads ("|" is in [\w|-]) but not a metric.
        ("2024-05-01T10:00:01Z", "accuracy", "-2e-3"),
    ]


def test_observation_is_the_trial_controllers(capsys: pytest.CaptureFixture[str]) -> None:
    code, document = run_json(
        ["--metric", "accuracy", "--metric", "loss", "--log", str(LOGS / "default-filter.log")],
        capsys,
    )
    assert code == 0
    assert document["observation"]["metrics"] == [
        # "" is no number: not in min/max. Zero-time values never become latest after a
        # timestamped one (getMetrics keeps the newest timestamp).
        {"name": "accuracy", "min": "-2e-3", "max": "1E+1", "latest": "-2e-3"},
        {"name": "loss", "min": "1.25", "max": "1.25", "latest": "1.25"},
    ]
    code, document = run_json(
        [
            "--metric",
            "accuracy",
            "--metric",
            "loss",
            "--filter",
            KATIB_FILTER,
            "--log",
            str(LOGS / "katib-good.log"),
        ],
        capsys,
    )
    assert document["observation"]["metrics"] == [
        {"name": "accuracy", "min": "-0.4759", "max": "888.333", "latest": "-0.4759"},
        {"name": "loss", "min": "0.3634", "max": "0.8671", "latest": "0.3634"},
    ]
    assert document["observationLog"]["metricLogs"][0] == {
        "timeStamp": "2024-03-04T17:55:08Z",
        "metric": {"name": "accuracy", "value": "0.8078"},
    }


def test_json_lines_only_string_values_count() -> None:
    lines = [
        '{"loss": 0.5, "acc": "0.9", "timestamp": "2021-12-02T14:27:50+09:00"}',
        "null",
        "",
        '{"acc": " 0.8", "timestamp": true}',
    ]
    logs = olog.collect_json(lines, ["acc", "loss"])
    assert [(x.timestamp, x.name, x.value) for x in logs] == [
        ("2021-12-02T14:27:50+09:00", "acc", "0.9"),
        (ZERO, "acc", " 0.8"),
    ]
    # " 0.8" is no number for strconv.ParseFloat, and its zero time never makes it latest.
    assert olog.observation(logs, ["acc", "loss"])[0] == {
        "name": "acc",
        "min": "0.9",
        "max": "0.9",
        "latest": "0.9",
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('"checkpoint_path": "", "loss": "0.2"', "not JSON"),
        ('"just a string"', "cannot unmarshal string"),
        ("[1, 2]", "cannot unmarshal array"),
        ('{"acc": "0.9", "trial": "0', "not JSON"),
        ('{"acc": NaN}', "not JSON"),
        ("   ", "not JSON"),
    ],
)
def test_json_lines_katib_fails_on(
    line: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(olog.CollectorError, match=message):
        olog.collect_json(['{"acc": "1"}', line], ["acc"])


def test_cli_json_failure_is_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b'{"acc": "1"}\n[1]\n')))
    assert main(["metrics", "--metric", "acc", "--format", "JSON"]) == 1
    assert capsys.readouterr().err == (
        "hpo-rig metrics: Katib's collector would fail: line 2: json: cannot unmarshal array "
        "into Go value of type map[string]interface {}\n"
    )


def test_cli_reads_stdin_and_prints_tables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.TextIOWrapper(io.BytesIO(b"step 1 loss=0.5\nstep 2 loss=0.25\n"))
    )
    assert main(["metrics", "--metric", "loss"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "TIMESTAMP              METRIC   VALUE",
        f"{ZERO}   loss     0.5",
        f"{ZERO}   loss     0.25",
        "",
        "METRIC   MIN    MAX   LATEST",
        "loss     0.25   0.5   0.25",
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--filter", "(a"], "invalid filter"),
        (["--filter", r"(\w+)=\d+"], "two top subexpressions are required"),
        (["--format", "JSON", "--filter", r"(\w+)=(\d+)"], "filter must be nil"),
        ([], "--metric"),
    ],
)
def test_cli_usage_errors_are_exit_2(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    metric = [] if not arguments else ["--metric", "loss"]
    with pytest.raises(SystemExit) as exit_info:
        main(["metrics", *metric, *arguments])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_go_find_all_differs_from_finditer_where_go_does() -> None:
    assert [m.group() for m in go_find_all(re.compile("|a"), "a")] == ["", ""]
    assert [m.group() for m in re.finditer("|a", "a")] == ["", "a", ""]
    # An optional value group that did not take part reads "" (Go), not a skipped match.
    patterns = compile_filters([r"(\w+)=(\d+)?"])
    assert parse_line("loss= acc=1", ["loss", "acc"], patterns) == [("loss", ""), ("acc", "1")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1638422847.28721, "2021-12-02T05:27:27.000028721Z"),
        (1638422847, "2021-12-02T05:27:27Z"),
        (1.5, "1970-01-01T00:00:01.000000005Z"),
        (1e20, ""),  # seconds beyond what Go formats as a 4-digit year: hpo-rig gives up
        ("2021-12-02T14:27:50.000035161+09:00", "2021-12-02T14:27:50.000035161+09:00"),
        ("2021-02-30T00:00:00Z", ""),
        ("2021-12-02 14:27:50Z", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_json_timestamps(value: Any, expected: str) -> None:
    assert olog.json_timestamp(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1.0),
        (".5", 0.5),
        ("1.", 1.0),
        ("-2e-3", -0.002),
        ("0x1p-2", 0.25),
        ("+Inf", float("inf")),
        ("", None),
        (" 1", None),
        ("1_0", None),
        ("1e400", None),
        ("+nan", None),
        ("unavailable", None),
    ],
)
def test_go_parse_float(text: str, expected: float | None) -> None:
    assert olog.go_parse_float(text) == expected
