import pytest

from hpo_rig.engine.earlystop import EarlyStoppingError, MedianStop, RuleTracker, StopRule


def medianstop(**settings):
    return MedianStop.from_settings(
        "medianstop", {k: str(v) for k, v in settings.items()}, "accuracy", "maximize"
    )


def test_defaults_are_katibs():
    stop = medianstop()
    assert (stop.min_trials_required, stop.start_step) == (3, 4)


def test_no_rule_until_enough_trials_succeeded():
    assert medianstop(min_trials_required=2).rule([[0.5, 0.6]]) is None


def test_threshold_is_the_mean_of_the_first_start_step_averages():
    stop = medianstop(min_trials_required=2, start_step=2)
    rule = stop.rule([[0.2, 0.4, 0.9], [0.6, 0.8]])
    # Katib: per trial, average of the first start_step values (0.3, 0.7); then their mean.
    assert rule == StopRule("accuracy", pytest.approx(0.5), "less", 2)
    assert rule.as_katib() == {
        "name": "accuracy",
        "value": str(rule.threshold),
        "comparison": "less",
        "startStep": 2,
    }


def test_minimize_compares_greater():
    stop = MedianStop.from_settings("medianstop", {"min_trials_required": "1"}, "loss", "minimize")
    assert stop.rule([[1.0]]).comparison == "greater"


def test_tracker_uses_the_best_value_so_far_from_start_step():
    tracker = RuleTracker(StopRule("accuracy", 0.5, "less", 3), "maximize")
    assert tracker.update(0.1) is False  # step 1: before start_step
    assert tracker.update(0.6) is False  # step 2: before start_step
    assert tracker.update(0.2) is False  # step 3: best so far 0.6 >= 0.5
    low = RuleTracker(StopRule("accuracy", 0.5, "less", 2), "maximize")
    low.update(0.3)
    assert low.update(0.4) is True


def test_invalid_settings():
    with pytest.raises(EarlyStoppingError, match="greater than zero"):
        medianstop(min_trials_required=0)
    with pytest.raises(EarlyStoppingError, match="unknown setting"):
        medianstop(patience=3)
    with pytest.raises(EarlyStoppingError, match="unknown early stopping"):
        MedianStop.from_settings("truncation", {}, "accuracy", "maximize")
