import io

from rich.console import Console

from hpo_rig.live import column_widths, trial_table

HEADER = ["TRIAL", "STATE", "learning_rate", "optimizer", "val_accuracy (max)", "SECONDS"]
ROWS = [
    ["mnist-tpe-x7k2p9", "MetricsUnavailable", "0.000123456", "adam", "-", "12"],
    ["mnist-tpe-b2mzc6", "Succeeded", "0.0251", "sgd", "0.9712", "240"],
]


def rendered(width):
    console = Console(record=True, width=width, file=io.StringIO())
    console.print(trial_table("mnist-tpe: 1/12 done", HEADER, ROWS, width))
    return console.export_text()


def test_a_wide_terminal_gets_every_column_whole():
    assert column_widths(HEADER, ROWS, 200) == [16, 18, 13, 9, 18, 7]
    text = rendered(120)
    assert "val_accuracy (max)" in text
    assert "0.000123456" in text
    assert "MetricsUnavailable" in text


def test_a_narrow_terminal_cuts_parameters_and_keeps_trial_state_and_objective_whole():
    widths = column_widths(HEADER, ROWS, 70)
    assert sum(widths) + 3 * (len(HEADER) - 1) <= 70
    assert widths[:2] == [16, 18]
    assert widths[-2:] == [12, 7]
    text = rendered(70)
    lines = text.splitlines()
    # The objective's header wraps, its strategy on the second line; values stay whole.
    assert any(line.rstrip().endswith("SECONDS") and "(max)" in line for line in lines)
    assert "val_accuracy" in text
    assert "mnist-tpe-x7k2p9" in text
    assert "MetricsUnavailable" in text
    assert "0.9712" in text
    assert "0.000123456" not in text
    assert "…" in text
    assert all(len(line) <= 70 for line in lines)
