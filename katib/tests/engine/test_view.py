import io

from hpo_rig.engine.state import TrialRecord
from hpo_rig.engine.view import TableView, View, make_view


class Terminal(io.StringIO):
    def isatty(self):
        return True


def record(index, status="Running"):
    item = TrialRecord(name=f"exp-{index}", index=index, assignments={"lr": "0.1"}, created="")
    item.status = status
    item.observation = [{"name": "accuracy", "min": "0.5", "max": "0.9", "latest": "0.9"}]
    return item


def test_a_terminal_gets_a_table_redrawn_in_place():
    stream = Terminal()
    view = make_view(stream, "accuracy")
    assert isinstance(view, TableView)
    view.refresh([record(1)], "exp: 0/2 done")
    view.refresh([record(1, "Succeeded"), record(2)], "exp: 1/2 done")
    text = stream.getvalue()
    # The second drawing moves up over the first (3 lines) and clears it.
    assert "\x1b[3F\x1b[J" in text
    assert text.rstrip().splitlines()[-1].startswith("exp-2")
    assert "Succeeded" in text


def test_a_pipe_gets_one_line_per_event():
    stream = io.StringIO()
    view = make_view(stream, "accuracy")
    assert type(view) is View
    view.started(record(1))
    view.finished(record(1, "Succeeded"), 1, 4)
    assert stream.getvalue().splitlines() == [
        "[1] exp-1 started: lr=0.1",
        "[1] exp-1 Succeeded accuracy=0.9 (1/4 done)",
    ]


def test_a_failed_trial_line_says_why():
    stream = io.StringIO()
    view = View(stream, "accuracy")
    failed = record(2, "Failed")
    failed.observation = []
    failed.conditions = [
        {"type": "Failed", "message": "Trial has failed. Job message: exit code 3"}
    ]
    view.finished(failed, 2, 4)
    assert stream.getvalue().strip() == (
        "[2] exp-2 Failed (2/4 done): Trial has failed. Job message: exit code 3"
    )
