import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hpo_rig.experiment import Objective
from hpo_rig.trials import (
    EXPERIMENT_LABEL,
    Metric,
    TrialsError,
    best_trial,
    fetch_trials,
    load_trials,
    parse_trials,
    trial_document,
    trial_list_document,
)

TRIALS = Path(__file__).parent / "fixtures" / "trials" / "random-trials.json"
MAXIMIZE = Objective("maximize", "Validation-accuracy", 0.99, ("Train-accuracy",))


def test_states_assignments_and_metrics_are_read_in_creation_order() -> None:
    trials = load_trials(TRIALS)
    assert [(t.name, t.state) for t in trials] == [
        ("random-4xkqj7lw", "Succeeded"),
        ("random-8f9d2wqp", "Succeeded"),
        ("random-b2mzc6tn", "Failed"),
        ("random-h7kd9s2x", "EarlyStopped"),
        ("random-m3p8q1vz", "MetricsUnavailable"),
        ("random-zq5w7rty", "Running"),
    ]
    first = trials[0]
    assert first.experiment == "random"
    assert first.assignments == {"lr": "0.0251", "num-layers": "3", "optimizer": "adam"}
    assert first.metrics["Validation-accuracy"] == Metric(
        "Validation-accuracy", "0.9101", "0.9712", "0.9688"
    )
    assert first.duration_s == 240.0
    assert first.finished
    assert not trials[-1].finished
    assert trials[2].message.startswith("Trial has failed")


def test_objective_value_follows_the_trial_strategy_else_katib_defaults() -> None:
    document = json.loads(TRIALS.read_text())["items"][0]
    minimize = Objective("minimize", "Validation-accuracy")
    first = parse_trials(document)[0]
    # The trial's own metricStrategies (max) wins over the direction's default.
    assert first.objective_value(MAXIMIZE) == pytest.approx(0.9712)
    assert first.objective_value(minimize) == pytest.approx(0.9712)
    assert first.objective_value(MAXIMIZE, "latest") == pytest.approx(0.9688)
    del document["spec"]["objective"]["metricStrategies"]
    plain = parse_trials(document)[0]
    assert plain.objective_value(MAXIMIZE) == pytest.approx(0.9712)
    assert plain.objective_value(minimize) == pytest.approx(0.9101)
    unavailable = load_trials(TRIALS)[4]
    assert unavailable.objective_value(MAXIMIZE) is None


def test_best_trial_honours_direction_and_skips_unfinished_or_failed() -> None:
    trials = load_trials(TRIALS)
    best = best_trial(trials, MAXIMIZE)
    assert best is not None
    assert best.name == "random-4xkqj7lw"
    worst_accuracy = best_trial(trials, Objective("minimize", "Validation-accuracy"))
    assert worst_accuracy is not None
    # Scored by the trials' own strategy (max): the early-stopped trial's 0.88 is lowest.
    assert worst_accuracy.name == "random-h7kd9s2x"
    assert best_trial(trials[2:3], MAXIMIZE) is None


def test_fetch_trials_asks_for_the_experiment_label() -> None:
    calls: list[tuple[Any, ...]] = []
    document = json.loads(TRIALS.read_text())

    class FakeApi:
        def list_namespaced_custom_object(
            self, group: str, version: str, namespace: str, plural: str, **kwargs: Any
        ) -> Any:
            calls.append((group, version, namespace, plural, kwargs))
            return document

    trials = fetch_trials(FakeApi(), "kubeflow", "random")
    assert len(trials) == 6
    assert calls == [
        (
            "kubeflow.org",
            "v1beta1",
            "kubeflow",
            "trials",
            {"label_selector": f"{EXPERIMENT_LABEL}=random"},
        )
    ]


def test_written_documents_read_back_identically() -> None:
    start = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    end = datetime(2026, 11, 28, 12, 3, 0, tzinfo=UTC)
    accuracy = Metric.from_values("val_accuracy", [0.5, 0.75, 0.7])
    assert accuracy == Metric("val_accuracy", "0.5", "0.75", "0.7")
    done = trial_document(
        name="local-1",
        namespace="default",
        experiment="local",
        assignments={"--lr": "0.1"},
        state="Succeeded",
        metrics=[accuracy],
        created=start,
        started=start,
        completed=end,
    )
    running = trial_document(
        name="local-2",
        namespace="default",
        experiment="local",
        assignments={"--lr": "0.2"},
        state="Running",
        created=end,
        started=end,
    )
    text = json.dumps(trial_list_document([done, running]))
    first, second = parse_trials(json.loads(text))
    assert (first.name, first.state, first.duration_s) == ("local-1", "Succeeded", 180.0)
    assert first.metrics == {"val_accuracy": accuracy}
    assert first.assignments == {"--lr": "0.1"}
    assert (second.state, second.metrics, second.completed) == ("Running", {}, None)
    assert json.loads(text)["kind"] == "List"


def test_tiny_metric_values_stay_fixed_point() -> None:
    assert Metric.from_values("loss", [1e-7]).latest == "0.000000100000"


def test_unknown_state_and_non_trials_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown trial state"):
        trial_document(
            name="x",
            namespace="n",
            experiment="e",
            assignments={},
            state="Done",
            created=datetime.now(UTC),
        )
    with pytest.raises(TrialsError, match="expected kind Trial"):
        parse_trials({"items": [{"kind": "Experiment"}]})


def test_best_trial_counts_running_trials_and_falls_back_to_latest() -> None:
    # Katib v0.19.0 status_util.go: any trial with a numeric observation counts, and an
    # unavailable min/max reads as latest.
    document = json.loads(TRIALS.read_text())
    running = document["items"][5]
    running["status"]["observation"] = {
        "metrics": [
            {"name": "Validation-accuracy", "min": "0.5", "max": "unavailable", "latest": "0.995"}
        ]
    }
    best = best_trial(parse_trials(document), MAXIMIZE)
    assert best is not None
    assert (best.name, best.state) == ("random-zq5w7rty", "Running")


def test_metrics_unavailable_reason_is_katibs_constant() -> None:
    # Katib v0.19.0 trial_controller_util.go: TrialMetricsUnavailableReason = "MetricsUnavailable".
    document = trial_document(
        name="t",
        namespace="kubeflow",
        experiment="e",
        assignments={},
        state="MetricsUnavailable",
        created=datetime(2026, 1, 1, tzinfo=UTC),
    )
    last = document["status"]["conditions"][-1]
    assert (last["type"], last["reason"], last["message"]) == (
        "MetricsUnavailable",
        "MetricsUnavailable",
        "Metrics are not available",
    )


def test_additional_metrics_default_to_the_objectives_direction() -> None:
    # Katib v0.19.0 experiment_defaults.go: additional metrics get max/min too, not latest.
    document = json.loads(TRIALS.read_text())
    del document["items"][0]["spec"]["objective"]["metricStrategies"]
    document["items"][0]["status"]["observation"]["metrics"][1]["latest"] = "0.9300"
    trial = parse_trials(document)[0]
    assert trial.metric_value("Train-accuracy", MAXIMIZE) == pytest.approx(0.985)
    minimize = Objective("minimize", "Validation-accuracy")
    assert trial.metric_value("Train-accuracy", minimize) == pytest.approx(0.92)


def test_local_trials_record_katibs_default_strategies_for_additional_metrics() -> None:
    import yaml

    from hpo_rig.engine.katib_format import metric_strategies
    from hpo_rig.experiment import load_experiment

    path = Path(__file__).parent / "fixtures" / "examples" / "v1beta1-random.yaml"
    document = yaml.safe_load(path.read_text())
    document["spec"]["objective"].pop("metricStrategies", None)
    document["spec"]["objective"]["additionalMetricNames"] = ["Train-accuracy"]
    strategies = metric_strategies(load_experiment(document))
    assert {s["name"]: s["value"] for s in strategies} == {
        "Validation-accuracy": "max",
        "Train-accuracy": "max",
    }
