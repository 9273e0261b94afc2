"""`hpo-rig report`: the drawn figures read back (axis scales, tick labels, colours, time
axis, timeline layout, importances) and the page that embeds them."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from optuna.distributions import FloatDistribution, IntDistribution

from hpo_rig import cluster
from hpo_rig.cli import main
from hpo_rig.experiment import Experiment, load_experiment
from hpo_rig.report import draw_report
from hpo_rig.report.study import build_study
from hpo_rig.report.timeline import timeline_figure
from hpo_rig.trials import Trial, parse_trials
from tests.fakes import FakeCustomObjectsApi
from tests.report_trials import OPTIMIZERS, START, experiment_document, trials_document

ONE_SECOND = {"spacing": timedelta(0), "duration": timedelta(0)}
MULTI_HOUR = {"spacing": timedelta(minutes=20), "duration": timedelta(minutes=15)}


def trials(**kwargs: Any) -> list[Trial]:
    return parse_trials(trials_document(**kwargs))


def experiment(
    objective_type: str = "minimize", distribution: str | None = "logUniform"
) -> Experiment:
    return load_experiment(experiment_document(objective_type, distribution))


def figures(
    objective_type: str = "minimize", distribution: str | None = "logUniform", **kwargs: Any
) -> dict[str, Figure]:
    exp = experiment(objective_type, distribution)
    drawn = draw_report(trials(objective_type=objective_type, **kwargs), exp.objective, exp)
    return {image.slug: image.figure for image in drawn.images}


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    from matplotlib import pyplot

    pyplot.close("all")


def luminance(colour: Any) -> float:
    red, green, blue, _ = to_rgba(colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def parallel_axes(figure: Figure) -> dict[str, Axes]:
    """The parallel-coordinates figure's per-parameter axes, by the label under them."""
    main_axes = figure.axes[0]
    labels = [t.get_text() for t in main_axes.get_xticklabels()]
    twins = [a for a in figure.axes[1:] if a.get_label() != "<colorbar>"]
    # One twin axis per plotted dimension after the objective, left to right.
    return dict(zip(labels[1:], twins, strict=True))


def slice_axes(figure: Figure) -> dict[str, Axes]:
    return {a.get_xlabel(): a for a in figure.axes if a.get_xlabel()}


# --- log axes -------------------------------------------------------------------------------


def test_a_log_uniform_parameter_is_on_log_axes_in_every_plot() -> None:
    drawn = figures()
    slices = slice_axes(drawn["parameters"])
    assert slices["lr"].get_xscale() == "log"
    assert slices["layers"].get_xscale() == "linear"
    parallel = parallel_axes(drawn["parallel"])
    assert parallel["lr"].get_yscale() == "log"
    assert parallel["layers"].get_yscale() == "linear"


def test_a_uniform_parameter_stays_linear() -> None:
    drawn = figures(distribution="uniform")
    assert slice_axes(drawn["parameters"])["lr"].get_xscale() == "linear"
    assert parallel_axes(drawn["parallel"])["lr"].get_yscale() == "linear"


def test_without_the_experiment_the_scale_is_unknown_and_said() -> None:
    exp = experiment()
    drawn = draw_report(trials(), exp.objective, None)
    slug = {image.slug: image.figure for image in drawn.images}
    assert slice_axes(slug["parameters"])["lr"].get_xscale() == "linear"
    assert any("--experiment" in note and "distribution" in note for note in drawn.notes)


def test_log_normal_is_log_too() -> None:
    # Katib v0.19.0 hyperopt base_service.py samples logNormal with hp.lognormal: e ** normal.
    exp = experiment(distribution="logNormal")
    study = build_study(trials(), exp.objective, exp).study
    spaces = study.trials[0].distributions
    assert isinstance(spaces["lr"], FloatDistribution)
    assert spaces["lr"].log
    assert isinstance(spaces["layers"], IntDistribution)
    assert not spaces["layers"].log


# --- parallel coordinates -------------------------------------------------------------------


def test_parallel_coordinates_label_categories_and_number_every_axis() -> None:
    axes = parallel_axes(figures()["parallel"])
    labels = [t.get_text() for t in axes["optimizer"].get_yticklabels()]
    assert sorted(labels) == sorted(OPTIMIZERS)
    for name in ("lr", "layers"):
        ticks = [
            t
            for t in axes[name].get_yticks()
            if axes[name].get_ylim()[0] <= t <= axes[name].get_ylim()[1]
        ]
        assert len(ticks) >= 2, name
        assert axes[name].yaxis.get_visible()


@pytest.mark.parametrize("objective_type", ["minimize", "maximize"])
def test_parallel_coordinates_colour_the_better_trial_darker(objective_type: str) -> None:
    figure = figures(objective_type)["parallel"]
    (lines,) = [c for c in figure.axes[0].collections if isinstance(c, LineCollection)]
    values = list(lines.get_array())
    best, worst = (
        (max(values), min(values)) if objective_type == "maximize" else (min(values), max(values))
    )
    assert luminance(lines.to_rgba(best)) < luminance(lines.to_rgba(worst))
    colour_bar = [a for a in figure.axes if a.get_label() == "<colorbar>"]
    label = colour_bar[0].get_ylabel()
    assert "loss" in label
    assert ("higher is better" if objective_type == "maximize" else "lower is better") in label
    assert "darker" in label


def test_failed_and_unavailable_trials_are_not_plotted_as_values() -> None:
    exp = experiment()
    listed = trials(failed=(1, 2), unavailable=(4,))
    study = build_study(listed, exp.objective, exp).study
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert len(complete) == len(listed) - 3
    figure = draw_report(listed, exp.objective, exp).figure("parallel")
    (lines,) = [c for c in figure.axes[0].collections if isinstance(c, LineCollection)]
    assert len(lines.get_segments()) == len(listed) - 3


# --- time axis and timeline -----------------------------------------------------------------


def bars(figure: Figure) -> list[Rectangle]:
    return [p for p in figure.axes[0].patches if isinstance(p, Rectangle) and p.get_gid()]


def test_a_run_that_ends_in_one_second_gets_a_seconds_axis_on_its_day() -> None:
    figure = figures(count=6, **ONE_SECOND)["timeline"]
    axes = figure.axes[0]
    low, high = (mdates.num2date(x) for x in axes.get_xlim())
    assert low <= START <= high
    assert timedelta(seconds=2) <= high - low <= timedelta(minutes=1)
    formatter = axes.xaxis.get_major_formatter()
    assert isinstance(formatter, mdates.DateFormatter)
    assert formatter.fmt == "%H:%M:%S"
    assert "2026-11-28" in axes.get_xlabel()


def test_a_multi_hour_run_gets_an_hours_and_minutes_axis() -> None:
    figure = figures(count=12, **MULTI_HOUR)["timeline"]
    axes = figure.axes[0]
    low, high = (mdates.num2date(x) for x in axes.get_xlim())
    end = START + MULTI_HOUR["spacing"] * 11 + MULTI_HOUR["duration"]
    assert low <= START
    assert high >= end
    assert (high - low) < (end - START) * 1.2
    formatter = axes.xaxis.get_major_formatter()
    assert isinstance(formatter, mdates.DateFormatter)
    assert formatter.fmt == "%H:%M"


def test_a_multi_day_run_names_the_days() -> None:
    figure = figures(count=4, spacing=timedelta(days=1), duration=timedelta(hours=3))["timeline"]
    formatter = figure.axes[0].xaxis.get_major_formatter()
    assert isinstance(formatter, mdates.DateFormatter)
    assert "%d" in formatter.fmt


@pytest.mark.parametrize("timing", [ONE_SECOND, MULTI_HOUR], ids=["one-second", "multi-hour"])
def test_no_two_timeline_bars_overlap(timing: dict[str, timedelta]) -> None:
    exp = experiment()
    listed = trials(count=8, running=(7,), **timing)
    drawn = bars(timeline_figure(listed, exp.objective))
    assert sorted(b.get_gid() for b in drawn) == sorted(t.name for t in listed)
    for one, other in itertools.combinations(drawn, 2):
        a, b = one.get_bbox(), other.get_bbox()
        overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
        overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
        assert overlap_x <= 0 or overlap_y <= 0, (one.get_gid(), other.get_gid())
    assert all(b.get_width() > 0 for b in drawn)


@pytest.mark.parametrize("objective_type", ["minimize", "maximize"])
def test_timeline_colours_the_better_trial_darker_and_failures_by_outcome(
    objective_type: str,
) -> None:
    exp = experiment(objective_type)
    listed = trials(objective_type=objective_type, failed=(3,), unavailable=(5,))
    drawn = {b.get_gid(): b for b in bars(timeline_figure(listed, exp.objective))}
    scored = {t.name: v for t in listed if (v := t.objective_value(exp.objective)) is not None}
    ordered = sorted(scored, key=scored.__getitem__, reverse=objective_type == "maximize")
    assert luminance(drawn[ordered[0]].get_facecolor()) < luminance(
        drawn[ordered[-1]].get_facecolor()
    )
    assert drawn["sweep-003"].get_facecolor() == to_rgba("tab:red")
    assert drawn["sweep-005"].get_facecolor() == to_rgba("tab:gray")


# --- importances and the page ---------------------------------------------------------------


def test_importances_are_drawn_for_every_parameter() -> None:
    axes = figures()["importances"].axes[0]
    names = {t.get_text() for t in axes.get_yticklabels()}
    assert names == {"lr", "layers", "optimizer"}
    assert len(axes.patches) == 3


def test_importances_need_two_values_and_say_so() -> None:
    exp = experiment()
    drawn = draw_report(trials(count=2, failed=(0,), unavailable=()), exp.objective, exp)
    texts = [t.get_text() for t in drawn.figure("importances").axes[0].texts]
    assert any("at least 2" in text for text in texts)


def test_the_command_writes_every_figure_and_the_page_embeds_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "trials.json"
    source.write_text(json.dumps(trials_document(count=10, running=(9,))))
    spec = tmp_path / "experiment.yaml"
    spec.write_text(yaml.safe_dump(experiment_document()))
    out = tmp_path / "out"
    assert (
        main(["report", "--from", str(source), "--experiment", str(spec), "--output-dir", str(out)])
        == 0
    )
    pngs = sorted(out.glob("sweep-*.png"))
    assert [p.name for p in pngs] == [
        f"sweep-{slug}.png"
        for slug in sorted(("objective", "parameters", "parallel", "importances", "timeline"))
    ]
    page = (out / "sweep.html").read_text()
    assert page.count('src="data:image/png;base64,') == len(pngs)
    for png in pngs:
        assert base64.b64encode(png.read_bytes()).decode("ascii") in page
    assert "wrote" in capsys.readouterr().out


def test_the_page_says_when_the_distributions_are_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "trials.json"
    source.write_text(json.dumps(trials_document(count=4)))
    assert main(["report", "--from", str(source), "--output-dir", str(tmp_path)]) == 0
    assert "--experiment" in capsys.readouterr().err
    assert "distributions unknown" in (tmp_path / "sweep.html").read_text()


def test_what_optuna_warns_of_is_written_on_the_plot(capsys: pytest.CaptureFixture[str]) -> None:
    document = trials_document(count=4, failed=(), unavailable=())
    for item in document["items"]:
        for assignment in item["spec"]["parameterAssignments"]:
            assignment["value"] = {"lr": "0.01", "layers": "2", "optimizer": "adam"}[
                assignment["name"]
            ]
        item["status"]["observation"]["metrics"][0].update(min="1.0", max="1.0", latest="1.0")
    exp = experiment()
    figure = draw_report(parse_trials(document), exp.objective, exp).figure("importances")
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert any(text.startswith("Optuna: ") and "equal" in text for text in texts)
    assert "Warning" not in capsys.readouterr().err


def test_a_cluster_experiment_gives_the_distributions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = FakeCustomObjectsApi()
    monkeypatch.setattr(cluster, "connect", lambda *args, **kwargs: api)
    api.add("experiments", experiment_document())
    for item in trials_document(count=6)["items"]:
        api.add("trials", item)
    drawn: list[Figure] = []
    monkeypatch.setattr("hpo_rig.report.png.pyplot.close", lambda figure: drawn.append(figure))
    assert main(["report", "sweep", "-n", "kubeflow", "--output-dir", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("sweep-*.png"))) == 5
    (parameters,) = [f for f in drawn if "lr" in slice_axes(f)]
    assert slice_axes(parameters)["lr"].get_xscale() == "log"
