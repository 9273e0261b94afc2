import json
import math
from io import StringIO
from pathlib import Path

import pytest

from hpo_rig_train.metrics import (
    MetricsFormat,
    MetricsWriter,
    format_json,
    format_line,
    format_value,
)
from tests.katib import V1ALPHA3_FILTER, V1BETA1_FILTER, parse, parse_both

TS = "2026-01-02T03:04:05.000006Z"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (0.5, "0.5"),
        (0.123456789, "0.1234568"),
        (-2.5, "-2.5"),
        (1e-12, "0.000000000001"),
        (3.25e-9, "0.00000000325"),
        (1.5e20, "150000000000000000000"),
        (123456789.0, "123456800"),
    ],
)
def test_format_value_is_fixed_point(value: float, text: str) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_format_value_rejects_non_finite(value: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        format_value(value)


@pytest.mark.parametrize(
    "value", [0.0, 1.0, 0.987654321, -0.5, 1e-12, 7.5e-6, 2.0e-45, 1.5e20, 3.4e38, 42.0]
)
def test_both_katib_filters_read_the_same_value(value: float) -> None:
    line = format_line(7, {"loss": value, "val_accuracy": 0.25}, TS)
    metrics = parse_both(line)
    assert metrics["epoch"] == 7
    assert metrics["val_accuracy"] == 0.25
    assert metrics["loss"] == pytest.approx(value, rel=1e-6, abs=0)


def test_exponent_notation_would_be_misread_by_v1alpha3() -> None:
    # Why format_value never uses exponents: the old filter stops at the 'e'.
    line = "loss=1e-05"
    assert parse(line, V1ALPHA3_FILTER)["loss"] == 1.0
    assert parse(line, V1BETA1_FILTER)["loss"] == 1e-05


def test_line_orders_known_metrics_first_and_drops_non_finite() -> None:
    logs = {"zeta": 1.0, "val_loss": 0.3, "loss": 0.4, "accuracy": 0.9, "bad": math.nan}
    line = format_line(1, logs, TS)
    assert line == f"{TS} epoch=1 loss=0.4 accuracy=0.9 val_loss=0.3 zeta=1"


def test_json_line_has_string_values_and_timestamp() -> None:
    record = json.loads(format_json(2, {"loss": 1e-7, "accuracy": 0.5}, TS))
    # Katib's File collector reads JSON metric values only when they are strings.
    assert record == {"epoch": "2", "loss": "0.0000001", "accuracy": "0.5", "timestamp": TS}


@pytest.mark.parametrize("file_format", ["text", "json"])
def test_writer_writes_stdout_and_file(tmp_path: Path, file_format: MetricsFormat) -> None:
    out = StringIO()
    path = tmp_path / "sub" / "metrics.log"
    writer = MetricsWriter(stream=out, file_path=path, file_format=file_format)
    writer.write(1, {"loss": 0.25})
    writer.write(2, {"loss": 0.125})
    writer.close()
    stdout_lines = out.getvalue().splitlines()
    assert [parse_both(line)["loss"] for line in stdout_lines] == [0.25, 0.125]
    file_lines = path.read_text(encoding="utf-8").splitlines()
    if file_format == "json":
        assert [json.loads(line)["loss"] for line in file_lines] == ["0.25", "0.125"]
    else:
        assert [parse_both(line)["loss"] for line in file_lines] == [0.25, 0.125]
