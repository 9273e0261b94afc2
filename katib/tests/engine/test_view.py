import io
import re
import subprocess
import sys

from rich.console import Console

from hpo_rig.engine.state import TrialRecord
from hpo_rig.engine.view import TableView, View, make_view
from hpo_rig.experiment import load_experiment
from hpo_rig.live import LiveTable

from .conftest import experiment_document


class Terminal(io.StringIO):
    def isatty(self):
        return True


def experiment(**objective):
    document = experiment_document()
    document["spec"]["objective"].update(objective)
    return load_experiment(document)


def record(index, status="Running"):
    item = TrialRecord(name=f"exp-{index}", index=index, assignments={"lr": "0.1"}, created="")
    item.transition("Running")
    if status != "Running":
        item.transition(status)
    # latest differs from both min and max: the figure shown says which strategy was used.
    item.observation = [{"name": "accuracy", "min": "0.5", "max": "0.9", "latest": "0.7"}]
    return item


def last_frame(console, title):
    """What the screen shows at the end: the last drawing of the table titled ``title``."""
    text = console.export_text()
    return text[text.rindex(title) :]


def recorded_view(exp, width=100):
    console = Console(record=True, width=width, file=io.StringIO(), force_terminal=True)
    return TableView(Terminal(), exp, LiveTable(console=console)), console


def test_the_live_table_names_the_strategy_and_shows_its_value():
    view, console = recorded_view(experiment())
    view.refresh([record(1, "Succeeded"), record(2)], "engine-test: 1/4 done")
    view.close()
    text = last_frame(console, "engine-test: 1/4 done")
    assert "accuracy (max)" in text
    rows = [line for line in text.splitlines() if line.lstrip().startswith("exp-")]
    assert len(rows) == 2
    assert all(" 0.9 " in row and "0.7" not in row and "0.5" not in row for row in rows)


def test_the_experiments_metric_strategies_choose_the_figure():
    exp = experiment(metricStrategies=[{"name": "accuracy", "value": "latest"}])
    view, console = recorded_view(exp)
    view.refresh([record(1, "Succeeded")], "engine-test: 1/4 done")
    view.close()
    text = last_frame(console, "engine-test: 1/4 done")
    assert "accuracy (latest)" in text
    (row,) = [line for line in text.splitlines() if line.lstrip().startswith("exp-1")]
    assert " 0.7 " in row
    assert "0.9" not in row
    lines = io.StringIO()
    View(lines, exp).finished(record(1, "Succeeded"), 1, 4)
    assert lines.getvalue() == "[1] exp-1 Succeeded accuracy=0.7 (1/4 done)\n"


def test_a_minimised_objective_shows_the_minimum():
    view, console = recorded_view(experiment(type="minimize"))
    view.refresh([record(1, "Succeeded")], "engine-test: 1/4 done")
    view.close()
    text = last_frame(console, "engine-test: 1/4 done")
    assert "accuracy (min)" in text
    (row,) = [line for line in text.splitlines() if line.lstrip().startswith("exp-1")]
    assert " 0.5 " in row


def test_lines_said_during_a_live_run_print_above_the_table():
    view, console = recorded_view(experiment())
    view.refresh([record(1)], "engine-test: 0/4 done")
    view.say("note: something")
    view.close()
    text = console.export_text()
    assert "note: something" in text
    assert text.index("note: something") < text.rindex("exp-1")


def test_rows_that_do_not_fit_the_terminal_are_counted():
    console = Console(record=True, width=100, height=10, file=io.StringIO(), force_terminal=True)
    view = TableView(Terminal(), experiment(), LiveTable(console=console))
    view.refresh([record(i, "Succeeded") for i in range(1, 11)], "engine-test: 10/10 done")
    view.close()
    text = last_frame(console, "engine-test: 10/10 done")
    assert "exp-10" in text
    assert "exp-1 " not in text
    assert "6 earlier trial(s) not shown" in text


def test_a_terminal_gets_the_live_table_redrawn_in_place():
    stream = Terminal()
    view = make_view(stream, experiment())
    assert isinstance(view, TableView)
    with view:
        view.refresh([record(1)], "engine-test: 0/4 done")
        view.refresh([record(1, "Succeeded"), record(2)], "engine-test: 1/4 done")
    text = stream.getvalue()
    # rich moves the cursor up over the previous drawing to redraw it.
    assert re.search(r"\x1b\[\d*A", text)
    assert "Succeeded" in text
    assert "accuracy (max)" in text


def test_a_pipe_gets_one_line_per_event():
    stream = io.StringIO()
    view = make_view(stream, experiment())
    assert type(view) is View
    view.started(record(1))
    view.finished(record(1, "Succeeded"), 1, 4)
    assert stream.getvalue().splitlines() == [
        "[1] exp-1 started: lr=0.1",
        "[1] exp-1 Succeeded accuracy=0.9 (1/4 done)",
    ]
    assert "\x1b" not in stream.getvalue()


def test_a_failed_trial_line_says_why():
    stream = io.StringIO()
    view = View(stream, experiment())
    failed = record(2, "Failed")
    failed.observation = []
    failed.conditions = [
        {"type": "Failed", "message": "Trial has failed. Job message: exit code 3"}
    ]
    view.finished(failed, 2, 4)
    assert stream.getvalue().strip() == (
        "[2] exp-2 Failed (2/4 done): Trial has failed. Job message: exit code 3"
    )


def test_plain_output_and_other_commands_do_not_import_rich():
    code = (
        "import sys, io\n"
        "import hpo_rig.cli, hpo_rig.commands.watch\n"
        "from hpo_rig.engine.view import make_view\n"
        "from tests.engine.conftest import experiment_document\n"
        "from hpo_rig.experiment import load_experiment\n"
        "make_view(io.StringIO(), load_experiment(experiment_document())).say('x')\n"
        "print('rich' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
