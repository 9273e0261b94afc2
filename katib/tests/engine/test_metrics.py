import pytest

from hpo_rig.experiment import DEFAULT_METRICS_FILTERS, V1ALPHA2, V1ALPHA3, V1BETA1
from hpo_rig.metrics import UNAVAILABLE, MetricsCollector, collect, compile_filters, parse_line

V1BETA1_FILTER = DEFAULT_METRICS_FILTERS[V1BETA1]
V1ALPHA3_FILTER = DEFAULT_METRICS_FILTERS[V1ALPHA3]


def test_v1beta1_filter_reads_signs_and_exponents():
    patterns = compile_filters([V1BETA1_FILTER])
    line = "epoch 3: accuracy=0.91 loss = -1.5e-3 other=7"
    assert parse_line(line, ["accuracy", "loss"], patterns) == [
        ("accuracy", "0.91"),
        ("loss", "-1.5e-3"),
    ]


def test_v1alpha3_filter_stops_at_the_exponent():
    patterns = compile_filters([V1ALPHA3_FILTER])
    assert parse_line("loss=1.5e-3", ["loss"], patterns) == [("loss", "1.5")]


def test_lines_without_a_metric_name_are_skipped():
    patterns = compile_filters([V1BETA1_FILTER])
    assert parse_line("epoch=3 lr=0.1", ["accuracy"], patterns) == []


def test_names_must_match_exactly():
    patterns = compile_filters([V1BETA1_FILTER])
    assert parse_line("val-accuracy=0.2 accuracy=0.3", ["accuracy"], patterns) == [
        ("accuracy", "0.3")
    ]


def test_v1alpha2_tokens():
    patterns = compile_filters([DEFAULT_METRICS_FILTERS[V1ALPHA2]])
    assert parse_line("accuracy=0.5 loss=0.25", ["accuracy", "loss"], patterns) == [
        ("accuracy", "0.5"),
        ("loss", "0.25"),
    ]


def test_min_max_latest_keep_the_printed_text():
    collector = collect(
        ["accuracy=0.50", "accuracy=0.90", "accuracy=0.70"], ["accuracy", "loss"], [V1BETA1_FILTER]
    )
    assert collector.observation() == [
        {"name": "accuracy", "min": "0.50", "max": "0.90", "latest": "0.70"},
        {"name": "loss", "min": UNAVAILABLE, "max": UNAVAILABLE, "latest": UNAVAILABLE},
    ]
    assert collector.objective.values == [0.5, 0.9, 0.7]


def test_values_that_are_not_numbers_are_ignored():
    collector = MetricsCollector(["loss"], [V1BETA1_FILTER])
    assert collector.feed("loss=nan") == []
    assert collector.objective.latest == UNAVAILABLE


def test_custom_filter_from_the_experiment():
    collector = MetricsCollector(["accuracy"], [r"\{\"(\w+)\": ([\d.]+)\}"])
    assert collector.feed('{"accuracy": 0.75}') == [("accuracy", 0.75)]


def test_objective_name_required():
    with pytest.raises(ValueError, match="objective"):
        MetricsCollector([], [V1BETA1_FILTER])
